"""A sandbox of EasyCashier's Back Office JSON API. See `app` for what it does."""

from connectors.easycashier.sandbox.app import EasyCashierSandbox
from connectors.easycashier.sandbox.seed import seed
from connectors.easycashier.sandbox.store import BackOffice


def start(catalogue: bool = False) -> EasyCashierSandbox:
    """The EasyCashier sandbox with its small catalogue and stock at two stores."""
    sandbox = EasyCashierSandbox()
    seed(sandbox.office)
    return sandbox


__all__ = ["BackOffice", "EasyCashierSandbox", "start"]
