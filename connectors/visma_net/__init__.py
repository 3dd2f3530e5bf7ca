"""The `visma_net` connector: Visma.net ERP's API (`/v1/…`) and its SalesOrders V3 API.

Products (inventory items; attributes as options and features, item classes and sales categories
as categories, attachments as images), stock per warehouse (on hand less what sales orders booked
and allocated), prices per customer price class, customers with their contact persons and
shipments are read; customers and orders are written, orders through V3 as the order type chosen
for their kind. `protocol` keeps every assumption beyond Visma's OpenAPI description, with its
evidence; `openapi` validates bodies against that description.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.visma_net.settings import VismaNetSettings
from engine.catalogue import entity_catalogue
from engine.connector import Client, Connector, EntitySupport, Sandbox, SandboxSupport
from engine.records import Entity

PRODUCT_FIELDS = ("sku", "title", "description", "status", "categories", "options", "features", "images", "variants",
                  "prices_include_tax")  # fmt: skip
STOCK_FIELDS = ("sku", "location", "on_hand", "reserved", "available")
CUSTOMER_FIELDS = ("email", "kind", "number", "first_name", "last_name", "company_name", "contact", "phone",
                   "vat_number", "billing_address", "shipping_address")  # fmt: skip
ORDER_STATUSES = ("pending", "authorized", "partially_paid", "paid")


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.visma_net.client import VismaNetClient  # the HTTP client is imported only when a client opens

    assert isinstance(settings, VismaNetSettings)
    return VismaNetClient(settings, dict(credentials))


def _sandbox(catalogue: bool) -> Sandbox:
    from connectors.visma_net import sandbox

    return sandbox.start(catalogue)


CONNECTOR = Connector(
    name="visma_net",
    description="Visma.net ERP through its ERP API and SalesOrders V3 API",
    settings=VismaNetSettings,
    entities={
        Entity.product: EntitySupport(True, False, entity_catalogue(Entity.product, PRODUCT_FIELDS)),
        Entity.category: EntitySupport(True, False, entity_catalogue(Entity.category, ("key", "name", "parent"))),
        Entity.stock: EntitySupport(True, False, entity_catalogue(Entity.stock, STOCK_FIELDS)),
        Entity.price: EntitySupport(True, False, entity_catalogue(Entity.price, ("sku", "price_group", "price"))),
        Entity.customer: EntitySupport(True, True, entity_catalogue(Entity.customer, CUSTOMER_FIELDS)),
        Entity.shipment: EntitySupport(True, False, entity_catalogue(Entity.shipment)),
        Entity.order: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.order),
            ORDER_STATUSES,
            "financial_status",
            updates=False,
            required=("lines",),
        ),
    },
    open=_open,
    credentials=("client_id", "client_secret"),
    sandbox=SandboxSupport(8706, _sandbox),
)

__all__ = ["CONNECTOR", "VismaNetSettings"]
