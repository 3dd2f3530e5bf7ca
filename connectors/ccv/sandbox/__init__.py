"""A sandbox of the CCV Shop REST API as CCV SalesPOS uses it. See `app` for what it does."""

from connectors.ccv.sandbox.app import CcvSandbox
from connectors.ccv.sandbox.seed import seed
from connectors.ccv.sandbox.store import Store


def start(catalogue: bool = False) -> CcvSandbox:
    """The CCV sandbox with its user groups and, with `catalogue`, its small catalogue and a till sale."""
    sandbox = CcvSandbox()
    seed(sandbox.store, catalogue)
    return sandbox


__all__ = ["CcvSandbox", "Store", "start"]
