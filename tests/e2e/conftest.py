"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import serving


@pytest.fixture
def shop() -> Iterator[tuple[ShopifySandbox, str]]:
    """The Shopify sandbox, served, with the locations the bundled specs name."""
    sandbox = ShopifySandbox()
    for name in ("warehouse", "store-amsterdam"):
        sandbox.shop.add_location(name)
    with serving(sandbox) as url:
        yield sandbox, url
