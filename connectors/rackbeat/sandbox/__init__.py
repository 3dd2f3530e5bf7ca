"""A sandbox of Rackbeat's REST API. See `app` for what it does."""

from connectors.rackbeat.sandbox.app import RackbeatSandbox
from connectors.rackbeat.sandbox.seed import seed
from connectors.rackbeat.sandbox.store import Account


def start(catalogue: bool = False) -> RackbeatSandbox:
    """The Rackbeat sandbox with its two warehouses; with `catalogue`, groups, items, stock and an order."""
    sandbox = RackbeatSandbox()
    seed(sandbox.account, catalogue)
    return sandbox


__all__ = ["Account", "RackbeatSandbox", "start"]
