"""The client hands each entity to its own object, and says plainly which entities it has none for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.shopify import CONNECTOR, ShopifySettings
from connectors.shopify.client import ShopifyClient
from engine.errors import FatalConnectorError
from engine.records import Entity


@pytest.fixture
def client() -> Iterator[ShopifyClient]:
    made = ShopifyClient(ShopifySettings(url="http://127.0.0.1:1"), "shpat_never_sent")
    yield made
    made.close()


def test_the_client_reads_and_writes_every_entity_the_connector_declares(client: ShopifyClient) -> None:
    declared = {entity for entity, support in CONNECTOR.entities.items() if support.read or support.write}
    assert set(client.entities) == declared


def test_an_entity_without_an_object_is_one_clear_error_before_any_request(client: ShopifyClient) -> None:
    known = "category, customer, order, price, product, shipment, stock"
    with pytest.raises(FatalConnectorError, match=f"cannot read image records; known: {known}$"):
        client.read(Entity.image)
    with pytest.raises(FatalConnectorError, match=f"cannot write image records; known: {known}$"):
        client.write(Entity.image, [])
    with pytest.raises(FatalConnectorError, match="does not delete product records; archive them"):
        client.delete(Entity.product, [("1000",)])
    assert client.calls == 0
