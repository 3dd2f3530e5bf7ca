"""Canonical records to and from CCV's JSON (in the shapes `protocol` describes); pure functions.

Money: a product's selling price is `price − discount`, a variant's that plus its combination's
`netto_extra_price`; an order row's unit price is `price − discount` too. VAT: products carry a
`vatrate` percentage; orders say whether row prices include VAT (`order_row_taxes_included`), and
an intra-Community or platform sale has 0 % on every row. Order statuses are the numbers 1–14,
read as `protocol.STATUSES` names and written from them (or from another system's `open`,
`cancelled` or `closed`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.ccv import protocol
from engine.errors import RecordError
from engine.records import Address, Category, Contact, Customer, Money, Order, OrderLine, Product, StockLevel, Variant

OTHER_STATUSES = {"open": 1, "cancelled": 8, "closed": 7}  # another system's order statuses, as CCV numbers


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _decimal(value: Any) -> Decimal:
    """A JSON number as a decimal in its shortest form: CCV's 12.0 is 12, its 12.50 is 12.5."""
    number = Decimal(str(value or 0))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _amount(value: Any) -> Decimal:
    """An amount of money to the cent, as other systems say it: CCV's 12.5 is 12.50."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _float(value: Decimal) -> float:
    return float(value)


# ---- order statuses ----------------------------------------------------------------------------


def status_name(number: Any) -> str | None:
    """The canonical status of a CCV status number; None for none or one outside 1–14."""
    return protocol.STATUSES.get(int(number)) if isinstance(number, int) else None


def status_number(name: str | None) -> int:
    """The CCV status number of a canonical status; a new order (1) when none is given."""
    if name is None:
        return 1
    number = protocol.STATUS_NUMBERS.get(name, OTHER_STATUSES.get(name))
    if number is None:
        known = ", ".join([*protocol.STATUS_NUMBERS, *OTHER_STATUSES])
        raise RecordError(f"order status {name!r} has no CCV status number; known: {known}", "status")
    return number


# ---- products ----------------------------------------------------------------------------------


def selling_price(data: Mapping[str, Any]) -> Decimal:
    """What a product sells for: its price less its discount."""
    return _amount(data.get("price")) - _amount(data.get("discount"))


def product_from(data: Mapping[str, Any], combinations: Sequence[Mapping[str, Any]], categories: Sequence[str],
                 currency: str) -> Product:  # fmt: skip
    base = selling_price(data)
    rate = _decimal(data["vatrate"]) if data.get("vatrate") is not None else None
    tracked = bool(data["stockenabled"]) if data.get("stockenabled") is not None else None
    if combinations:
        variants = tuple(_combination_variant(c, base, rate, tracked, currency) for c in combinations)
        options = tuple(dict.fromkeys(name for v in variants for name in v.options))
    else:
        discount = _decimal(data.get("discount"))
        variants = (Variant(
            sku=str(data["productnumber"]), barcode=_text(data.get("eannumber")),
            price=Money(amount=base, currency=currency),
            compare_at_price=Money(amount=_amount(data.get("price")), currency=currency) if discount else None,
            tax_rate=rate, tracked=tracked,
        ),)  # fmt: skip
        options = ()
    return Product(sku=str(data["productnumber"]), title=str(data.get("name") or ""),
                   description=_text(data.get("description")), categories=tuple(categories), options=options,
                   variants=variants, prices_include_tax=True)  # fmt: skip


def _combination_variant(combination: Mapping[str, Any], base: Decimal, rate: Decimal | None, tracked: bool | None,
                         currency: str) -> Variant:  # fmt: skip
    options = {str(part["attribute"]["name"]): str(part["attribute_value"]["name"])
               for part in combination.get("combination") or []}  # fmt: skip
    return Variant(
        sku=str(combination.get("sku_number") or combination.get("product_number") or combination["id"]),
        barcode=_text(combination.get("ean_number")), options=options,
        price=Money(amount=base + _amount(combination.get("netto_extra_price")), currency=currency),
        tax_rate=rate, tracked=tracked,
    )  # fmt: skip


def product_to(product: Product, package_id: int | None) -> dict[str, Any]:
    """A product's own fields; `package_id` only when it is created. A variant product's price is
    its cheapest variant's; the others differ by extra prices per attribute value (`value_prices`)."""
    variants = product.variants or (Variant(sku=product.sku),)
    prices = [v.price.amount for v in variants if v.price is not None]
    base = min(prices) if prices else Decimal(0)
    first = variants[0]
    data: dict[str, Any] = {"productnumber": product.sku, "name": product.title, "description": product.description,
                            "price": _float(base), "discount": 0.0}  # fmt: skip
    if not product.options and first.compare_at_price is not None and first.compare_at_price.amount > base:
        data.update(price=_float(first.compare_at_price.amount), discount=_float(first.compare_at_price.amount - base))
    if not product.options:
        data["eannumber"] = first.barcode
    if first.tax_rate is not None:
        data["vatrate"] = _float(first.tax_rate)
    if first.tracked is not None:
        data["stockenabled"] = first.tracked
    data["stocktype"] = protocol.STOCK_ON_COMBINATIONS if product.options else protocol.STOCK_ON_PRODUCT
    if package_id is not None:
        data["package_id"] = package_id
    return {k: v for k, v in data.items() if v is not None}


def value_prices(product: Product) -> dict[tuple[str, str], Decimal]:
    """The extra price of each (attribute, value) that makes every variant's price: the first
    attribute carries the differences, the others none. A product whose prices cannot be made so
    is that record's error."""
    prices = [v.price.amount for v in product.variants if v.price is not None]
    base = min(prices) if prices else Decimal(0)
    extras: dict[tuple[str, str], Decimal] = {}
    for variant in product.variants:
        for index, name in enumerate(product.options):
            value = variant.options.get(name)
            if value is None:
                raise RecordError(f"variant {variant.sku} of {product.sku} has no {name}", "variants")
            extra = (variant.price.amount - base) if index == 0 and variant.price is not None else Decimal(0)
            if extras.setdefault((name, value), extra) != extra:
                raise RecordError(f"the prices of {product.sku}'s variants differ by more than their "
                                  f"{product.options[0]}; CCV prices variants by an extra price per attribute value",
                                  "variants")  # fmt: skip
    return extras


# ---- categories and stock ----------------------------------------------------------------------


def category_from(data: Mapping[str, Any]) -> Category:
    parent = data.get("parentcategory") or {}
    return Category(key=str(data["id"]), name=str(data.get("name") or ""),
                    parent=_text(parent.get("id")) if isinstance(parent, dict) else None,
                    description=_text(data.get("description")))  # fmt: skip


def stock_from(sku: str, stock: Any, reserved: Decimal, tracked: Any, store: str) -> StockLevel:
    on_hand = _decimal(stock)
    return StockLevel(sku=sku, location=store, on_hand=on_hand, reserved=reserved, available=on_hand - reserved,
                      tracked=bool(tracked) if tracked is not None else None)  # fmt: skip


# ---- customers: users and the personal info on users and orders ------------------------------


def customer_from(info: Mapping[str, Any], number: str | None = None) -> Customer | None:
    email = _text(info.get("email"))
    if email is None:
        return None
    billing = info.get("billingaddress") or {}
    company = _text(billing.get("company"))
    first, last, phone = (
        _text(billing.get("first_name")),
        _text(billing.get("last_name")),
        _text(billing.get("telephone")),
    )
    business = company is not None or info.get("customertype") == "b2b"
    return Customer(
        email=email, kind="company" if business else "person", number=number, company_name=company,
        first_name=None if business else first, last_name=None if business else last,
        contact=Contact(first_name=first, last_name=last, phone=phone) if business and (first or last) else None,
        phone=phone, vat_number=_text(info.get("btw")),
        billing_address=_address_from(billing), shipping_address=_address_from(info.get("deliveryaddress") or {}),
    )  # fmt: skip


def _address_from(data: Mapping[str, Any]) -> Address | None:
    if not any(data.get(k) for k in ("street", "zipcode", "city")):
        return None
    return Address(street=_text(data.get("street")), house_number=_text(data.get("housenumber")),
                   house_number_suffix=_text(data.get("housenumber_suffix")), postal_code=_text(data.get("zipcode")),
                   city=_text(data.get("city")), country=_text(data.get("country_code")))  # fmt: skip


def info_to(customer: Customer) -> dict[str, Any]:
    """Personal info: a company with its contact person, or a person."""
    contact = customer.contact or Contact()
    company = customer.kind == "company" or customer.company_name is not None
    billing = _address_to(customer.billing_address) or {}
    billing.update(first_name=contact.first_name if company else customer.first_name,
                   last_name=contact.last_name if company else customer.last_name,
                   company=customer.company_name, telephone=customer.phone or contact.phone)  # fmt: skip
    info = {"email": customer.email, "customertype": "b2b" if company else "b2c", "btw": customer.vat_number,
            "billingaddress": _compact(billing), "deliveryaddress": _address_to(customer.shipping_address)}  # fmt: skip
    return _compact(info)


def _address_to(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    number = address.house_number
    data = {"street": address.street, "housenumber": int(number) if number and number.isdigit() else None,
            "housenumber_suffix": address.house_number_suffix, "zipcode": address.postal_code, "city": address.city,
            "country_code": address.country}  # fmt: skip
    if number and not number.isdigit():  # CCV's house number is a number: the rest is its suffix
        digits = "".join(c for c in number if c.isdigit())
        data.update(housenumber=int(digits) if digits else None,
                    housenumber_suffix=number[len(digits):].strip() or address.house_number_suffix)  # fmt: skip
    return _compact(data)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, {}, "")}


# ---- orders ------------------------------------------------------------------------------------


def order_number(data: Mapping[str, Any]) -> str:
    """An order's key: the number its source gave it (kept in `reservationnumber`), else CCV's own."""
    return str(data.get(protocol.EXTERNAL_NUMBER) or data.get("ordernumber_full") or data["id"])


def order_from(data: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], store: str) -> Order:
    currency = str(data.get("currency") or "EUR")
    zero_rated = bool(data.get("is_intra_community_order") or data.get("is_platform_sale"))
    lines = [OrderLine(
        sku=str(row.get("sub_sku_number") or row.get("product_number") or ""), quantity=_decimal(row.get("count")),
        price=Money(amount=selling_price(row), currency=currency), title=_text(row.get("product_name")),
        tax_rate=Decimal(0) if zero_rated else (_decimal(row["tax"]) if row.get("tax") is not None else None),
    ) for row in rows]  # fmt: skip
    total = data.get("total_price")
    return Order(
        number=order_number(data), source="web" if data.get(protocol.EXTERNAL_NUMBER) else "pos",
        status=status_name(data.get("status")), financial_status="paid" if data.get("paid") else "pending",
        currency=currency, created_at=_text(data.get("create_date")),
        customer=customer_from(data.get("customer") or {}),
        billing_address=_address_from((data.get("customer") or {}).get("billingaddress") or {}),
        lines=tuple(lines), payment_method=_text(data.get("paymethod")),
        total=Money(amount=_amount(total), currency=currency) if total is not None else None,
        prices_include_tax=bool(data.get("order_row_taxes_included", True)), branch=store,
    )  # fmt: skip


def order_to(order: Order, user_id: int | None, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A new order: its number as `reservationnumber`, its status, paid flag and VAT flag, its
    customer's personal info, and its rows (made by `row_to` from the products found)."""
    data: dict[str, Any] = {
        protocol.EXTERNAL_NUMBER: order.number, "status": status_number(order.status),
        "paid": order.financial_status == "paid", "currency": order.currency,
        "order_row_taxes_included": order.prices_include_tax, "user_id": user_id, "orderrows": list(rows),
    }  # fmt: skip
    if order.customer is not None:
        data["customer"] = info_to(order.customer)
    return {k: v for k, v in data.items() if v is not None}


def row_to(line: Any, product_id: int, combination_id: int | None, currency: str) -> dict[str, Any]:
    if line.price.currency != currency:
        raise RecordError(f"line {line.sku} is in {line.price.currency}, the order in {currency}", "lines")
    row: dict[str, Any] = {"product_id": product_id, "count": _float(line.quantity),
                           "price": _float(line.price.amount), "discount": 0.0}  # fmt: skip
    if line.tax_rate is not None:
        row["tax"] = _float(line.tax_rate)
    if combination_id is not None:
        row["attribute_combination_id"] = combination_id
    return row
