"""The `mpluskassa` connector: MplusKASSA's SOAP API (`urn:mplusqapi`).

Products with their articles, article groups, stock per branch, prices per price group,
relations and orders. Article numbers are numeric: a SKU bound for MplusKASSA that is not is a
record error when the plan is made, through the connector's default mappings.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.mpluskassa.settings import MplusSettings
from engine.catalogue import entity_catalogue
from engine.connector import Client, Connector, EntitySupport, Sandbox, SandboxSupport
from engine.records import Entity

PRODUCT_FIELDS = ("sku", "title", "description", "vendor", "categories", "options", "features", "variants",
                  "prices_include_tax")  # fmt: skip
ORDER_STATUSES = ("pending", "paid")
STOCK_FIELDS = ("sku", "location", "on_hand", "reserved", "available")

PRODUCT_DEFAULTS: dict[str, str | None] = {
    "sku": "numeric_sku(sku)",
    "variants": "variants[*].{sku: numeric_sku(sku), barcode: barcode, title: title, options: options, "
    "price: price, tax_rate: tax_rate, tracked: tracked}",
}
ORDER_DEFAULTS: dict[str, str | None] = {
    "lines": "lines[*].{sku: numeric_sku(sku), quantity: quantity, price: price, title: title, discount: discount}",
}


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.mpluskassa.client import MplusClient  # the HTTP client is imported only when a client opens

    assert isinstance(settings, MplusSettings)
    return MplusClient(settings, dict(credentials))


def _sandbox(catalogue: bool) -> Sandbox:
    from connectors.mpluskassa import sandbox

    return sandbox.start(catalogue)


CONNECTOR = Connector(
    name="mpluskassa",
    description="MplusKASSA cash registers through their SOAP API",
    settings=MplusSettings,
    entities={
        Entity.product: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.product, PRODUCT_FIELDS),
            defaults=PRODUCT_DEFAULTS,
            required=("variants",),  # a till sells articles: a product without one cannot be sold
        ),
        Entity.category: EntitySupport(True, True, entity_catalogue(Entity.category, ("key", "name", "parent"))),
        Entity.stock: EntitySupport(
            True, True, entity_catalogue(Entity.stock, ("sku", "location", "on_hand", "reserved", "available"))
        ),
        Entity.price: EntitySupport(True, False, entity_catalogue(Entity.price, ("sku", "price_group", "price"))),
        Entity.customer: EntitySupport(True, True, entity_catalogue(Entity.customer)),
        Entity.order: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.order),
            ORDER_STATUSES,
            "financial_status",
            defaults=ORDER_DEFAULTS,
            updates=False,
            required=("lines",),
        ),
    },
    open=_open,
    credentials=("ident", "secret"),
    sandbox=SandboxSupport(8702, _sandbox),
)

__all__ = ["CONNECTOR", "MplusSettings"]
