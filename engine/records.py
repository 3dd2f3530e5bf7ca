"""The canonical record model: one shape per entity, whatever system it came from.

Connectors translate their API's payloads to and from these shapes; mappings, plans and the
state store only ever see them. Money is a `Decimal` with a currency, never a float; quantities
are `Decimal` too because cash registers keep fractional stock (kilos, metres).

Each entity knows its default match key (`KEYS`), the field a flow matches records on unless the
spec says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LARGEST = Decimal("1e15")  # no price, quantity or rate in retail comes near; a larger one is a mistake
# A number a record holds: finite (pydantic refuses NaN and infinities) and within ±LARGEST.
Number = Annotated[Decimal, Field(ge=-LARGEST, le=LARGEST)]
Quantity = Annotated[Decimal, Field(gt=0, le=LARGEST, description="more than zero")]

_MONEY_TEXT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z]{3})\s*$")


class Entity(StrEnum):
    product = "product"
    stock = "stock"
    price = "price"
    category = "category"
    image = "image"
    customer = "customer"
    order = "order"
    shipment = "shipment"


class Record(BaseModel):
    """Base of every canonical record: strict about unknown keys, immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(Record):
    """An amount in a currency. Accepts `{"amount": "19.99", "currency": "EUR"}` or `"19.99 EUR"`."""

    amount: Number
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _MONEY_TEXT.match(value)
            if not match:
                raise ValueError(f"money must look like '19.99 EUR', got {value!r}")
            return {"amount": match.group(1), "currency": match.group(2)}
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        # A float has already lost the cents; take its shortest repr, never its binary value.
        return str(value) if isinstance(value, float) else value

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class Address(Record):
    name: str | None = None
    company: str | None = None
    street: str | None = None
    house_number: str | None = None
    house_number_suffix: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code")
    phone: str | None = None


class Variant(Record):
    """A sellable item of a product (an MplusKASSA article, a Shopify variant)."""

    sku: str
    barcode: str | None = Field(default=None, description="EAN/GTIN")
    title: str | None = None
    options: dict[str, str] = Field(
        default_factory=dict, description="attribute name → value, e.g. size: M, colour: red"
    )
    price: Money | None = None
    compare_at_price: Money | None = None
    cost: Money | None = None
    tax_rate: Number | None = Field(default=None, description="percent, e.g. 21")
    weight_grams: Number | None = None
    tracked: bool | None = Field(default=None, description="stock managed (true) or not")


class Product(Record):
    """A product with one variant (simple) or several (variant product)."""

    sku: str = Field(description="product number; for a simple product, its variant's SKU")
    title: str
    description: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    status: Literal["active", "draft", "archived"] = "active"
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = Field(default=(), description="category keys")
    options: tuple[str, ...] = Field(default=(), description="attribute names, in display order")
    features: dict[str, str] = Field(
        default_factory=dict, description="feature name → value: country_of_origin, delivery_time…"
    )
    images: tuple[str, ...] = Field(default=(), description="image URLs, first is the main one")
    variants: tuple[Variant, ...] = ()
    prices_include_tax: bool | None = None


class Category(Record):
    key: str
    name: str
    parent: str | None = None
    description: str | None = None


class Image(Record):
    url: str
    product_sku: str
    alt: str | None = None
    position: int | None = None


class StockLevel(Record):
    """Stock of one SKU at one location. `available` is what can still be sold."""

    sku: str
    location: str
    on_hand: Number | None = None
    reserved: Number | None = Field(default=None, description="held for open sales orders")
    available: Number | None = None
    tracked: bool | None = None


class Price(Record):
    sku: str
    price_group: str
    price: Money
    compare_at_price: Money | None = None


class Contact(Record):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


class Customer(Record):
    """A person, or a company with a contact person; matched across systems by email."""

    email: str
    kind: Literal["person", "company"] = "person"
    number: str | None = Field(default=None, description="debtor / relation number")
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    contact: Contact | None = None
    phone: str | None = None
    vat_number: str | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    tags: tuple[str, ...] = ()

    @field_validator("email")
    @classmethod
    def _email_lowercase(cls, value: str) -> str:
        # Shopify and most POS systems compare email case-insensitively; so do we.
        return value.strip().lower()


class OrderLine(Record):
    sku: str
    quantity: Quantity
    price: Money = Field(description="unit price")
    title: str | None = None
    tax_rate: Number | None = None
    tax: Money | None = None
    discount: Money | None = None
    location: str | None = Field(
        default=None, description="the location this line is shipped from (Shopify: the location assigned to the "
        "fulfillment order holding it); a line shipped from several is a line per location",
    )  # fmt: skip


class Order(Record):
    number: str = Field(description="the order's id in its source system (external order id)")
    source: Literal["web", "pos"] = "web"
    type: Literal["order", "invoice", "sales_invoice"] = "order"
    status: str | None = None
    financial_status: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    created_at: str | None = None
    updated_at: str | None = Field(default=None, description="when the source last changed it (ISO 8601)")
    customer: Customer | None = None
    customer_number: str | None = Field(
        default=None, description="the customer's number in the target; the default debtor when there is no customer"
    )
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: tuple[OrderLine, ...] = ()
    payment_method: str | None = None
    payment_terms: str | None = None
    total: Money | None = None
    prices_include_tax: bool = True
    branch: str | None = None
    fulfillment_location: str | None = Field(
        default=None, description="the location the order is shipped from (Shopify: its first fulfillment order's "
        "assigned location); a web order has no branch, but this",
    )  # fmt: skip
    employee: str | None = None
    note: str | None = None


class ShipmentLine(Record):
    sku: str
    quantity: Quantity


class Shipment(Record):
    key: str = Field(description="the shipment's id in its source system")
    order_number: str
    tracking_number: str | None = None
    tracking_url: str | None = None
    carrier: str | None = None
    lines: tuple[ShipmentLine, ...] = ()


_CONTAINERS = (dict, list)


def compact(value: Any) -> Any:
    """JSON data without empty values (None, {}, []) at any depth: what a record really says."""
    # Exact types rather than isinstance: JSON data holds plain dicts and lists, and a plan runs this
    # over every record it compares, where the type test is most of the cost.
    kind = type(value)
    if kind is dict:
        kept = {}
        for key, item in value.items():
            if type(item) in _CONTAINERS:
                item = compact(item)
                if not item:
                    continue
            elif item is None:
                continue
            kept[key] = item
        return kept
    if kind is list:
        return [compact(item) if type(item) in _CONTAINERS else item for item in value]
    return value


MODELS: dict[Entity, type[Record]] = {
    Entity.product: Product,
    Entity.stock: StockLevel,
    Entity.price: Price,
    Entity.category: Category,
    Entity.image: Image,
    Entity.customer: Customer,
    Entity.order: Order,
    Entity.shipment: Shipment,
}

KEYS: dict[Entity, tuple[str, ...]] = {
    Entity.product: ("sku",),
    Entity.stock: ("sku", "location"),
    Entity.price: ("sku", "price_group"),
    Entity.category: ("key",),
    Entity.image: ("product_sku", "url"),
    Entity.customer: ("email",),
    Entity.order: ("number",),
    Entity.shipment: ("key",),
}


def record_key(entity: Entity, record: Record | Mapping[str, Any]) -> tuple[str, ...]:
    """A record's own key (`KEYS`) as text, from a record or from its data; an empty field is ""."""
    get = record.get if isinstance(record, Mapping) else lambda name: getattr(record, name, None)
    return tuple("" if get(name) is None else str(get(name)) for name in KEYS[entity])
