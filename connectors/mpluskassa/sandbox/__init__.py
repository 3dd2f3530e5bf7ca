"""A sandbox of MplusKASSA's SOAP API. See `app` for what it does."""

from connectors.mpluskassa.sandbox.app import MplusSandbox
from connectors.mpluskassa.sandbox.store import Till

__all__ = ["MplusSandbox", "Till"]
