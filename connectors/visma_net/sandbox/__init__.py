"""A sandbox of Visma.net's ERP and SalesOrders V3 APIs. See `app` for what it does."""

from connectors.visma_net.sandbox.app import VismaNetSandbox
from connectors.visma_net.sandbox.seed import seed
from connectors.visma_net.sandbox.store import Company


def start(catalogue: bool = False) -> VismaNetSandbox:
    """The Visma.net sandbox with its small seeded company."""
    sandbox = VismaNetSandbox()
    seed(sandbox.company)
    return sandbox


__all__ = ["Company", "VismaNetSandbox", "start"]
