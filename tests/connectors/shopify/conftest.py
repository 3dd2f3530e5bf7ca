"""A Shopify sandbox served over loopback HTTP, and a client of the connector pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from connectors.shopify import ShopifySettings
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import serving

LOCATIONS = ("warehouse", "store-amsterdam")


@dataclass
class Running:
    sandbox: ShopifySandbox
    url: str
    opened: list[ShopifyClient] = field(default_factory=list)

    def client(self, **settings: object) -> ShopifyClient:
        made = ShopifyClient(ShopifySettings(url=self.url, **settings), self.sandbox.token)  # type: ignore[arg-type]
        self.opened.append(made)
        return made

    def close(self) -> None:
        for client in self.opened:
            client.close()


@pytest.fixture
def sandbox() -> ShopifySandbox:
    made = ShopifySandbox()
    for name in LOCATIONS:
        made.shop.add_location(name)
    return made


@pytest.fixture
def shopify(sandbox: ShopifySandbox) -> Iterator[Running]:
    with serving(sandbox) as url:
        running = Running(sandbox, url)
        yield running
        running.close()
