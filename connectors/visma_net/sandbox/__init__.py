"""A sandbox of Visma.net's ERP and SalesOrders V3 APIs. See `app` for what it does."""

from connectors.visma_net.sandbox.app import VismaNetSandbox
from connectors.visma_net.sandbox.seed import seed, seed_shipped_order
from connectors.visma_net.sandbox.store import Company


def start(catalogue: bool = False) -> VismaNetSandbox:
    """The Visma.net sandbox with its small seeded company; with `catalogue` (`sandbox up --seed`)
    also a web order shipped in two parts."""
    sandbox = VismaNetSandbox()
    seed(sandbox.company)
    if catalogue:
        seed_shipped_order(sandbox.company)
    return sandbox


__all__ = ["Company", "VismaNetSandbox", "start"]
