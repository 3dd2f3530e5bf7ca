"""A sandbox of MplusKASSA's SOAP API. See `app` for what it does."""

from connectors.mpluskassa.sandbox.app import MplusSandbox
from connectors.mpluskassa.sandbox.seed import seed
from connectors.mpluskassa.sandbox.store import Till


def start(catalogue: bool = False) -> MplusSandbox:
    """The MplusKASSA sandbox with its small catalogue, stock, customers and default debtor."""
    sandbox = MplusSandbox()
    seed(sandbox.till)
    return sandbox


__all__ = ["MplusSandbox", "Till", "start"]
