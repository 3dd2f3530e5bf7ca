"""Literal flows and records for the pure plan tests: what a diff gets, written out by hand.

No files, no state store, no connector: a `DiffPolicy` says what the diff needs to know of a flow,
records are canonical records built here, and a last-applied document is what the state would hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from engine.keys import Key
from engine.mapping.desired import Desired
from engine.plan.diff import DiffPolicy, project
from engine.plan.model import Document
from engine.records import (
    Address,
    Category,
    Customer,
    Entity,
    Money,
    Order,
    OrderLine,
    Product,
    Record,
    StockLevel,
    Variant,
)
from engine.spec.models import DeletePolicy, Direction

# An ERP's categories to a shop: the smallest records, for the rules every entity shares.
CATEGORIES = DiffPolicy(
    entity=Entity.category,
    source="erp",
    target="shop",
    fields=("key", "name", "parent", "description"),
    match=("key",),
)

PRODUCTS = DiffPolicy(
    entity=Entity.product,
    source="erp",
    target="shop",
    fields=("sku", "title", "description", "status", "tags", "features", "variants"),
    match=("sku",),
    delete=DeletePolicy.archive,
)

CUSTOMERS = DiffPolicy(
    entity=Entity.customer,
    source="erp",
    target="shop",
    fields=("email", "first_name", "billing_address"),
    match=("email",),
    objects=frozenset({"billing_address"}),  # as the catalogue says of an address: an object with fixed fields
)

STOCK = DiffPolicy(
    entity=Entity.stock,
    source="erp",
    target="shop",
    fields=("sku", "location", "available"),
    match=("sku", "location"),
)

# A till takes web orders but never changes one it has booked.
ORDERS = DiffPolicy(
    entity=Entity.order,
    source="shop",
    target="till",
    fields=("number", "currency", "lines", "note"),
    match=("number",),
    updates=False,
)

# The same products both ways: the shop's edits flow back to the ERP by another flow; ERP is master.
TWO_WAY = replace(
    PRODUCTS,
    fields=("sku", "title", "description", "variants"),
    direction=Direction.two_way,
    delete=DeletePolicy.never,
    master="erp",
)


def source_of(key: Key) -> Document:
    """The source record a change came from, as a plan shows it: here a stand-in naming its key."""
    return {"erp_id": "/".join(key)}


def wanted(policy: DiffPolicy, record: Record) -> Desired:
    """A source record mapped to `record`, keyed by the flow's match fields."""
    key = key_of(policy, record)
    return Desired(key, source_of(key), record=record)


def key_of(policy: DiffPolicy, record: Record) -> Key:
    return tuple(str(getattr(record, name)) for name in policy.match)


def keyed(policy: DiffPolicy, records: Iterable[Record]) -> dict[Key, Record]:
    """The target's records by match key."""
    return {key_of(policy, record): record for record in records}


def last_applied(policy: DiffPolicy, records: Iterable[Record]) -> dict[Key, Document]:
    """The state's last-applied documents, as apply records them: the flow's fields of each record."""
    return {key_of(policy, record): project(record, policy.fields) for record in records}


def dump(record: Record, **changed: Any) -> Document:
    """A record whole, as apply writes it, with some fields changed."""
    return record.model_dump(mode="json", exclude_none=True) | changed


def category(key: str, name: str, **extra: Any) -> Category:
    return Category.model_validate({"key": key, "name": name, **extra})


def product(sku: str, title: str, price: str = "10.00", **extra: Any) -> Product:
    variant = Variant(sku=sku, price=Money.model_validate(f"{price} EUR"))
    return Product.model_validate({"sku": sku, "title": title, "variants": [variant.model_dump()], **extra})


def customer(email: str, first_name: str, **address: str) -> Customer:
    return Customer(email=email, first_name=first_name, billing_address=Address.model_validate(address))


def order(number: str, note: str | None = None) -> Order:
    line = OrderLine(sku="1001", quantity=Decimal(1), price=Money.model_validate("29.95 EUR"))
    return Order(number=number, currency="EUR", lines=(line,), note=note)


def price(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def stock_level(sku: str, location: str, available: int) -> StockLevel:
    return StockLevel(sku=sku, location=location, available=Decimal(available))
