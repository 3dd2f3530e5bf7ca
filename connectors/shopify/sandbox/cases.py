"""The Shopify connector's contract inputs (see `connectors.testing.suite`).

Samples are in the form Shopify keeps them: tags sorted, money to the cent, a product's variants
each with a value for every option, a customer's street and house number in one address line
that reads back split. The sandbox starts with two locations (`warehouse`, `store-amsterdam`) and
a `b2b` price list; everything else the samples bring, in the order they need it.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.testing.suite import ContractInputs, Paging, Refusal, Samples, WebhookCase
from engine.connector import Client
from engine.records import (
    Address,
    Category,
    Customer,
    Entity,
    Money,
    Order,
    OrderLine,
    Price,
    Product,
    Shipment,
    ShipmentLine,
    StockLevel,
    Variant,
)

# The pages the client asks for (`first`) on full reads: more records than these cross a boundary.
CUSTOMERS_PER_PAGE = 50
ORDERS_PER_PAGE = 5


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


SHIRT = Product(
    sku="7000",
    title="Linen shirt",
    description="<p>Washed linen</p>",
    vendor="Tillwear",
    product_type="Shirt",
    tags=("linen", "summer"),
    categories=("summer",),
    options=("size",),
    features={"country_of_origin": "PT"},
    variants=(
        Variant(sku="7001", barcode="8712345700013", options={"size": "S"}, price=eur("39.95"), tracked=True),
        Variant(sku="7002", options={"size": "M"}, price=eur("39.95"), compare_at_price=eur("49.95"), tracked=True),
    ),
)
TOTE = Product(sku="7100", title="Canvas tote", vendor="Tillwear", variants=(Variant(sku="7100", price=eur("12.00")),))
INES = Customer(email="ines@example.com", first_name="Ines", last_name="Bakker", phone="+31612345678", tags=("vip",),
                billing_address=Address(street="Prinsengracht", house_number="263", postal_code="1016 GV",
                                        city="Amsterdam", country="NL"))  # fmt: skip
ORDER = Order(
    number="W7001",
    currency="EUR",
    financial_status="paid",
    customer=Customer(email="ines@example.com", first_name="Ines", last_name="Bakker"),
    lines=(OrderLine(sku="7001", quantity=Decimal(2), price=eur("39.95")),),
    payment_method="manual",
    total=eur("79.90"),
    note="Gift wrap, please",
)
SHIPMENT = Shipment(key="W7001/3SABC1", order_number="W7001", tracking_number="3SABC1", carrier="PostNL",
                    tracking_url="https://postnl.example/3SABC1",
                    lines=(ShipmentLine(sku="7001", quantity=Decimal(2)),))  # fmt: skip


def _order(n: int) -> Order:
    return Order(number=f"P{n:04d}", currency="EUR", financial_status="pending",
                 lines=(OrderLine(sku="7100", quantity=Decimal(1), price=eur("12.00")),))  # fmt: skip


def _subscribe(client: Client, url: str) -> None:
    from connectors.shopify.client import ShopifyClient

    assert isinstance(client, ShopifyClient), f"webhooks are subscribed with the Shopify client, not {client!r}"
    for topic in ("products/create", "products/update"):
        client.subscribe(topic, url)


PRICES = (
    Price(sku="7001", price_group="b2b", price=eur("29.95"), compare_at_price=eur("39.95")),
    Price(sku="7100", price_group="b2b", price=eur("9.00")),
)
STOCK = (
    StockLevel(sku="7001", location="warehouse", available=Decimal(7)),
    StockLevel(sku="7002", location="store-amsterdam", available=Decimal(0)),
)
PAGE_OF_CUSTOMERS = tuple(
    Customer(email=f"page{n:03d}@example.com", first_name=f"Page {n}") for n in range(CUSTOMERS_PER_PAGE + 3)
)
SCARF = Product(sku="7200", title="Wool scarf", variants=(Variant(sku="7200"),))

INPUTS = ContractInputs(
    samples=(
        Samples(Entity.category, (Category(key="summer", name="Summer", parent="seasons", description="<p>Sun</p>"),)),
        Samples(Entity.product, (SHIRT, TOTE)),
        Samples(Entity.price, PRICES),
        Samples(Entity.stock, STOCK),
        Samples(Entity.customer, (INES,)),
        Samples(Entity.order, (ORDER,)),
        Samples(Entity.shipment, (SHIPMENT,)),
    ),
    # productSet refuses a product without a title ("Title can't be blank"); canonical records allow it
    refusal=Refusal(Entity.product, Product(sku="7900", title="", variants=(Variant(sku="7900"),))),
    paging=(
        Paging(Entity.customer, PAGE_OF_CUSTOMERS, CUSTOMERS_PER_PAGE),
        Paging(Entity.order, tuple(_order(n) for n in range(ORDERS_PER_PAGE * 2 + 1)), ORDERS_PER_PAGE),
    ),
    webhook=WebhookCase(_subscribe, Entity.product, SCARF),
)
