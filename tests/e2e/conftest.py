"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.ccv import transport as ccv_transport
from connectors.easycashier import transport as easycashier_transport
from connectors.http import Backoff
from connectors.mpluskassa import transport as mpluskassa_transport
from connectors.rackbeat import transport as rackbeat_transport
from connectors.shopify import transport as shopify_transport
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import serving


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries after a server error or a cut connection at once (10 ms, doubling to 50 ms), not after
    half a second and more: the fault tests wait for nothing (a 429's wait they set with
    `Faults(retry_after=runs.QUICK)`). Honouring the waits is tested by tests/connectors/test_http.py."""
    for transport in (ccv_transport, easycashier_transport, mpluskassa_transport, rackbeat_transport,
                      shopify_transport):  # fmt: skip
        monkeypatch.setattr(transport, "BACKOFF", Backoff(first=0.01, cap=0.05))


@pytest.fixture
def shop() -> Iterator[tuple[ShopifySandbox, str]]:
    """The Shopify sandbox, served, with the locations the bundled specs name."""
    sandbox = ShopifySandbox()
    for name in ("warehouse", "store-amsterdam"):
        sandbox.shop.add_location(name)
    with serving(sandbox) as url:
        yield sandbox, url
