"""The `rackbeat` connector: Rackbeat's REST API (inventory and ERP).

Products (one item each) in product groups, stock per location or of all locations together (read;
written per location by a booked count, as a one-off initial sync does), customers by email (new
ones numbered by Rackbeat), and orders written once each in the state the system's settings ask for.
Every assumption about the API, with its evidence, is in `protocol`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.rackbeat.protocol import ORDER_STATUSES
from connectors.rackbeat.settings import RackbeatSettings
from engine.catalogue import entity_catalogue
from engine.connector import Client, Connector, EntitySupport, Sandbox, SandboxSeed, SandboxSupport, WebhookSupport
from engine.records import Entity

PRODUCT_FIELDS = ("sku", "title", "description", "categories", "variants", "prices_include_tax")
STOCK_FIELDS = ("sku", "location", "on_hand", "reserved", "available")
CUSTOMER_FIELDS = (
    "email",
    "kind",
    "number",
    "first_name",
    "last_name",
    "company_name",
    "phone",
    "vat_number",
    "billing_address",
)
ORDER_FIELDS = (
    "number",
    "status",
    "currency",
    "created_at",
    "updated_at",
    "customer",
    "customer_number",
    "lines",
    "note",
    "prices_include_tax",
)

PRODUCT_DEFAULTS: dict[str, str | None] = {
    # what Rackbeat keeps of an item: its number, barcode, sales price and weight
    "variants": "variants[*].{sku: sku, barcode: barcode, price: price, weight_grams: weight_grams}",
}

STOCK_DEFAULTS: dict[str, str | None] = {
    # stock is counted in Rackbeat: what is on hand at a location; its reservations are Rackbeat's own
    "reserved": None,
    "available": None,
}


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.rackbeat.client import RackbeatClient  # the HTTP client is imported only when a client opens

    assert isinstance(settings, RackbeatSettings)
    return RackbeatClient(settings, credentials["api_token"])


def _sandbox(seed: SandboxSeed) -> Sandbox:
    from connectors.rackbeat import sandbox

    return sandbox.start(seed.catalogue)


CONNECTOR = Connector(
    name="rackbeat",
    description="Rackbeat inventory and ERP through its REST API",
    settings=RackbeatSettings,
    entities={
        Entity.product: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.product, PRODUCT_FIELDS),
            defaults=PRODUCT_DEFAULTS,
            batch=50,
            variants=False,
        ),
        Entity.category: EntitySupport(True, True, entity_catalogue(Entity.category, ("key", "name"))),
        Entity.stock: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.stock, STOCK_FIELDS),
            defaults=STOCK_DEFAULTS,
            required=("on_hand",),
        ),
        Entity.customer: EntitySupport(True, True, entity_catalogue(Entity.customer, CUSTOMER_FIELDS)),
        Entity.order: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.order, ORDER_FIELDS),
            ORDER_STATUSES,
            "status",
            updates=False,
            required=("lines",),
        ),
    },
    open=_open,
    credentials=("api_token",),
    optional_credentials=("webhook_token",),
    webhooks=WebhookSupport.of_module("connectors.rackbeat.webhooks", "webhook_token"),
    sandbox=SandboxSupport(8703, _sandbox),
)

__all__ = ["CONNECTOR", "RackbeatSettings"]
