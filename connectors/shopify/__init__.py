"""The `shopify` connector: Shopify's Admin GraphQL API, version 2026-10.

Products (with variants, options and features) created or updated by product number with
`productSet`, stock per location with `inventorySetQuantities`, paced inside the shop's rate budget.

`client.ShopifyClient` hands each entity to its own module's object (`products`, `stock`,
`categories`, `prices`, `customers`, `orders`, `shipments`), which holds that entity's conversions
to and from canonical records, names the operations it sends (`graphql/<entity>.graphql`), and cuts
its own batches; `transport` paces and retries every request.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.shopify.session import MAX_QUANTITIES
from connectors.shopify.settings import ShopifySettings
from engine.catalogue import entity_catalogue
from engine.connector import Client, Connector, EntitySupport, Sandbox, SandboxSeed, SandboxSupport, WebhookSupport
from engine.records import Entity

PRODUCT_FIELDS = ("sku", "title", "description", "vendor", "product_type", "status", "tags", "categories", "options",
                  "features", "images", "variants")  # fmt: skip
STOCK_FIELDS = ("sku", "location", "on_hand", "reserved", "available", "tracked")
CUSTOMER_FIELDS = ("email", "kind", "number", "first_name", "last_name", "company_name", "contact", "phone",
                   "billing_address", "shipping_address", "tags")  # fmt: skip
ORDER_STATUSES = ("pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided",
                  "expired")  # fmt: skip
STOCK_DEFAULTS: dict[str, str | None] = {"on_hand": None, "reserved": None}  # Shopify is sent what is available

PRODUCT_DEFAULTS: dict[str, str | None] = {
    "tags": "sort(tags)",  # Shopify keeps tags in alphabetical order
    # what Shopify stores of a variant; its title is made from the option values
    "variants": "variants[*].{sku: sku, barcode: barcode, options: options, price: price, "
    "compare_at_price: compare_at_price, tracked: tracked}",
}
# Shopify knows a shipment by its order and tracking number: `ORDER/TRACKING` (`shipments.key_of`)
SHIPMENT_DEFAULTS: dict[str, str | None] = {"key": "join('/', [order_number, tracking_number || key])"}


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.shopify.client import ShopifyClient  # the HTTP client is imported only when a client opens

    assert isinstance(settings, ShopifySettings)
    return ShopifyClient(settings, credentials["access_token"])


def _sandbox(seed: SandboxSeed) -> Sandbox:
    from connectors.shopify import sandbox

    return sandbox.start(seed.catalogue, seed.name, seed.synced_with)


CONNECTOR = Connector(
    name="shopify",
    description="Shopify and Shopify POS through the Admin GraphQL API 2026-10",
    settings=ShopifySettings,
    entities={
        Entity.product: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.product, PRODUCT_FIELDS),
            defaults=PRODUCT_DEFAULTS,
            required=("variants",),  # else Shopify makes its default variant at 0.00
        ),
        Entity.customer: EntitySupport(
            True, True, entity_catalogue(Entity.customer, CUSTOMER_FIELDS), defaults={"tags": "sort(tags)"}
        ),
        Entity.category: EntitySupport(True, True, entity_catalogue(Entity.category)),
        Entity.price: EntitySupport(True, True, entity_catalogue(Entity.price)),
        Entity.shipment: EntitySupport(True, True, entity_catalogue(Entity.shipment), defaults=SHIPMENT_DEFAULTS),
        Entity.order: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.order),
            ORDER_STATUSES,
            "financial_status",
            updates=False,
            required=("lines",),
        ),
        Entity.stock: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.stock, STOCK_FIELDS),
            defaults=STOCK_DEFAULTS,
            batch=MAX_QUANTITIES,
        ),
    },
    open=_open,
    credentials=("access_token",),
    optional_credentials=("webhook_secret", "previous_webhook_secret"),
    webhooks=WebhookSupport.of_module("connectors.shopify.webhooks", "webhook_secret", "previous_webhook_secret"),
    sandbox=SandboxSupport(8701, _sandbox),
)

__all__ = ["CONNECTOR", "ShopifySettings"]
