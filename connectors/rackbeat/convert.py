"""Canonical records to and from Rackbeat's JSON (in the shapes `protocol` describes). Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from connectors.rackbeat.protocol import TIME_FORMAT, order_status
from engine.errors import RecordError
from engine.mapping.transforms import split_street
from engine.records import Address, Category, Customer, Money, Order, OrderLine, Product, StockLevel, Variant

PRICE = Decimal("0.0001")  # Rackbeat keeps four decimals of a price [I]
CENT = Decimal("0.01")
ALL_LOCATIONS = "all"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


# ---- times ----------------------------------------------------------------------------------


def local_time(iso: str, timezone: str) -> str:
    """An ISO 8601 time as Rackbeat writes times: the account's local time, without a zone."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(timezone)).strftime(TIME_FORMAT)


def iso_time(local: Any, timezone: str) -> str | None:
    """A Rackbeat time (the account's local time) as ISO 8601 in UTC."""
    if not local:
        return None
    when = datetime.strptime(str(local), TIME_FORMAT).replace(tzinfo=ZoneInfo(timezone))
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- product groups and products ----------------------------------------------------------------


def category_from(group: Mapping[str, Any]) -> Category:
    return Category(key=str(group["number"]), name=str(group.get("name") or ""))


def category_to(category: Category) -> dict[str, Any]:
    return {"number": category.key, "name": category.name}


def _price(value: Any) -> Decimal | None:
    """A price as Rackbeat answers it (a JSON number: 149, 119.5), with cents as a webshop writes them."""
    price = _decimal(value)
    return price if price is None or price != price.quantize(CENT) else price.quantize(CENT)


def product_from(data: Mapping[str, Any], currency: str, prices_include_tax: bool) -> Product:
    price = _price(data.get("sales_price"))
    weight = _decimal((data.get("physical") or {}).get("weight"))
    group = data.get("group") or {}
    return Product(
        sku=str(data["number"]),
        title=str(data.get("name") or ""),
        description=_text(data.get("description")),
        categories=(str(group["number"]),) if group.get("number") is not None else (),
        variants=(
            Variant(
                sku=str(data["number"]),
                barcode=_text(data.get("barcode")),
                price=Money(amount=price, currency=currency) if price is not None else None,
                weight_grams=weight,
            ),
        ),
        prices_include_tax=prices_include_tax,
    )


def product_to(product: Product, group_id: int) -> dict[str, Any]:
    """A simple product as a Rackbeat product; a product of several variants is refused (Rackbeat
    keeps items, and this connector writes one item per product)."""
    if len(product.variants) > 1:
        raise RecordError(
            f"product {product.sku} has {len(product.variants)} variants; Rackbeat keeps items, not variants: "
            "set variants_as_products on the flow to make each variant an item of its own",
            "variants",
        )
    variant = product.variants[0] if product.variants else Variant(sku=product.sku)
    data: dict[str, Any] = {"number": product.sku, "name": product.title, "group_id": group_id}
    if product.description is not None:
        data["description"] = product.description
    if variant.barcode is not None:
        data["barcode"] = variant.barcode
    if variant.price is not None:
        data["sales_price"] = str(variant.price.amount.quantize(PRICE, ROUND_HALF_UP).normalize())
    if variant.weight_grams is not None:
        data["physical"] = {"weight": str(variant.weight_grams)}
    return data


def registered_stock(product: Mapping[str, Any]) -> Decimal | None:
    """A product's stock of all locations together when it has any (Rackbeat will not delete it), else None."""
    stock = _decimal(product.get("stock_quantity"))
    return stock if stock else None


def stock_from(number: str, rows: Sequence[Mapping[str, Any]], location: str) -> list[StockLevel]:
    """An item's stock per location; with `location` "all", one level of all locations together."""
    levels = [
        StockLevel(
            sku=number,
            location=str(row["location"]["number"]),
            on_hand=_decimal(row.get("in_stock")),
            reserved=_decimal(row.get("in_order")),
            available=_decimal(row.get("available")),
        )
        for row in rows
    ]
    if location != ALL_LOCATIONS:
        return [level for level in levels if level.location == location]

    def total(name: str) -> Decimal:
        return sum((getattr(level, name) or Decimal(0) for level in levels), Decimal(0))

    return [
        StockLevel(
            sku=number,
            location=ALL_LOCATIONS,
            on_hand=total("on_hand"),
            reserved=total("reserved"),
            available=total("available"),
        )
    ]


# ---- customers --------------------------------------------------------------------------------


def customer_from(data: Mapping[str, Any]) -> Customer | None:
    email = _text(data.get("contact_email"))
    if email is None:
        return None  # matched by email: one without it is not a customer Tillsync can match
    name = str(data.get("name") or "")
    company = bool(data.get("company_vat"))
    first, _, last = name.partition(" ")
    street = _text(data.get("address_street"))
    address = Address(
        **(split_street(street) if street else {}),
        postal_code=_text(data.get("address_zipcode")),
        city=_text(data.get("address_city")),
        country=_text(data.get("address_country")),
    )
    return Customer(
        email=email,
        kind="company" if company else "person",
        number=str(data["number"]),
        company_name=name if company else None,
        first_name=None if company else (first or None),
        last_name=None if company else (last or None),
        phone=_text(data.get("contact_phone")),
        vat_number=_text(data.get("company_vat")),
        billing_address=address if address.model_dump(exclude_none=True) else None,
    )


def customer_to(customer: Customer) -> dict[str, Any]:
    if customer.kind == "company" and customer.company_name:
        name = customer.company_name
    else:
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p) or customer.email
    data: dict[str, Any] = {"name": name, "contact_email": customer.email}
    if customer.phone:
        data["contact_phone"] = customer.phone
    if customer.vat_number:
        data["company_vat"] = customer.vat_number
    address = customer.billing_address or customer.shipping_address
    if address is not None:
        number = f"{address.house_number or ''}{address.house_number_suffix or ''}"
        street = " ".join(p for p in (address.street, number) if p)
        data.update(
            {
                k: v
                for k, v in {
                    "address_street": street or None,
                    "address_zipcode": address.postal_code,
                    "address_city": address.city,
                    "address_country": address.country,
                }.items()
                if v
            }
        )
    return data


# ---- orders -----------------------------------------------------------------------------------


def order_from(data: Mapping[str, Any], currency: str, timezone: str) -> Order:
    customer = data.get("customer") or {}
    email = _text(customer.get("contact_email"))
    lines = []
    for line in data.get("lines") or []:
        price = Decimal(str(line.get("line_price") or 0))
        quantity = Decimal(str(line["quantity"]))
        percent = _decimal(line.get("discount_percentage")) or Decimal(0)
        discount = (price * quantity * percent / 100).quantize(CENT, ROUND_HALF_UP)
        lines.append(
            OrderLine(
                sku=str((line.get("item") or {}).get("number") or line.get("item_number")),
                quantity=quantity,
                price=Money(amount=price, currency=currency),
                title=_text(line.get("name")),
                tax_rate=_decimal(line.get("vat_percentage")),
                discount=Money(amount=discount, currency=currency) if discount else None,
            )
        )
    return Order(
        number=str(data.get("your_reference") or data["number"]),
        status=order_status(data),
        currency=str(data.get("currency") or currency),
        created_at=iso_time(data.get("created_at"), timezone),
        updated_at=iso_time(data.get("updated_at"), timezone),
        customer=Customer(email=email, number=str(customer["number"])) if email else None,
        customer_number=str(customer["number"]) if customer.get("number") is not None else None,
        lines=tuple(lines),
        note=_text(data.get("note")),
        prices_include_tax=False,
    )


def order_to(order: Order, customer_id: int, item_ids: Mapping[str, int]) -> dict[str, Any]:
    """An order as Rackbeat takes it: the webshop's id in `your_reference`, the webshop's prices on
    every line (they win over any price Rackbeat keeps), excluding VAT, and line discounts as
    percentages of the line."""
    lines = []
    for line in order.lines:
        price = line.price.amount
        if order.prices_include_tax and line.tax_rate:
            price = price / (1 + line.tax_rate / 100)
        gross = price * line.quantity
        discount = line.discount.amount if line.discount else Decimal(0)
        if order.prices_include_tax and line.tax_rate and discount:
            discount = discount / (1 + line.tax_rate / 100)
        row: dict[str, Any] = {
            "item_id": item_ids[line.sku],
            "quantity": str(line.quantity),
            "line_price": str(price.quantize(PRICE, ROUND_HALF_UP).normalize()),
        }
        if discount and gross:
            row["discount_percentage"] = str((discount / gross * 100).quantize(PRICE, ROUND_HALF_UP).normalize())
        if line.tax_rate is not None:
            row["vat_percentage"] = str(line.tax_rate)
        if line.title:
            row["name"] = line.title
        lines.append(row)
    data: dict[str, Any] = {
        "customer_id": customer_id,
        "currency": order.currency,
        "your_reference": order.number,
        "lines": lines,
    }
    if order.created_at:
        data["order_date"] = order.created_at[:10]
    if order.note:
        data["note"] = order.note
    return data
