"""The `ccv` connector: CCV SalesPOS on the CCV Shop ("Verto") REST API.

Products with attribute combinations as variants, categories and their links, stock on products
or combinations, customers as users, and orders with rows and status numbers 1–14. Every request
is signed and every answer's signature checked (`signing`); webhook deliveries are verified with
the webhook key (`webhooks`); what is assumed of the API, and on what evidence, is in `protocol`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.ccv.protocol import STATUS_NUMBERS
from connectors.ccv.settings import CcvSettings
from engine.catalogue import entity_catalogue
from engine.connector import Client, Connector, EntitySupport, Sandbox, SandboxSeed, SandboxSupport, WebhookSupport
from engine.records import Entity

PRODUCT_FIELDS = ("sku", "title", "description", "categories", "options", "variants", "prices_include_tax")
STOCK_FIELDS = ("sku", "location", "on_hand", "reserved", "available", "tracked")
CUSTOMER_FIELDS = ("email", "kind", "number", "first_name", "last_name", "company_name", "contact", "phone",
                   "vat_number", "billing_address", "shipping_address")  # fmt: skip
ORDER_FIELDS = ("number", "source", "status", "financial_status", "currency", "created_at", "customer",
                "customer_number", "billing_address", "lines", "payment_method", "total", "prices_include_tax",
                "branch")  # fmt: skip
PRODUCT_DEFAULTS: dict[str, str | None] = {
    # what CCV keeps of a variant: its SKU, EAN, attribute values and price (VAT and stock on the product)
    "variants": "variants[*].{sku: sku, barcode: barcode, options: options, price: price, tax_rate: tax_rate, "
    "tracked: tracked}",
}
ORDER_DEFAULTS: dict[str, str | None] = {
    "lines": "lines[*].{sku: sku, quantity: quantity, price: price, title: title, tax_rate: tax_rate}",
}


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.ccv.client import CcvClient  # the HTTP client is imported only when a client opens

    assert isinstance(settings, CcvSettings)
    return CcvClient(settings, credentials["secret"])


def _sandbox(seed: SandboxSeed) -> Sandbox:
    from connectors.ccv import sandbox

    return sandbox.start(seed.catalogue)


CONNECTOR = Connector(
    name="ccv",
    description="CCV SalesPOS through the CCV Shop REST API (signed requests and answers)",
    settings=CcvSettings,
    entities={
        Entity.product: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.product, PRODUCT_FIELDS),
            defaults=PRODUCT_DEFAULTS,
            required=("variants",),
        ),
        Entity.category: EntitySupport(True, False, entity_catalogue(Entity.category)),
        Entity.stock: EntitySupport(True, False, entity_catalogue(Entity.stock, STOCK_FIELDS)),
        Entity.customer: EntitySupport(True, True, entity_catalogue(Entity.customer, CUSTOMER_FIELDS)),
        Entity.order: EntitySupport(
            True,
            True,
            entity_catalogue(Entity.order, ORDER_FIELDS),
            tuple(STATUS_NUMBERS),
            "status",
            defaults=ORDER_DEFAULTS,
            updates=False,
            required=("lines",),
        ),
    },
    open=_open,
    credentials=("secret",),
    optional_credentials=("webhook_key", "previous_webhook_key"),
    webhooks=WebhookSupport.of_module("connectors.ccv.webhooks", "webhook_key", "previous_webhook_key"),
    sandbox=SandboxSupport(8704, _sandbox),
)

__all__ = ["CONNECTOR", "CcvSettings"]
