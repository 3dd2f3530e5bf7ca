"""Canonical records to and from MplusKASSA's data (in the shapes `protocol` describes)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.mpluskassa.amounts import from_amount, to_amount
from connectors.mpluskassa.protocol import PRICE_PLACES, QUANTITY_PLACES
from engine.errors import RecordError
from engine.mapping.transforms import numeric_sku
from engine.records import Address, Category, Contact, Customer, Money, Order, Price, Product, StockLevel, Variant


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# ---- products ------------------------------------------------------------------------------


def product_from(data: Mapping[str, Any], currency: str) -> Product:
    articles = _list(data.get("articleList"))
    options = list(dict.fromkeys(a["name"] for article in articles for a in _list(article.get("attributeList"))))
    first = articles[0] if articles else {}
    return Product(
        sku=str(data["productNumber"]),
        title=str(data.get("description") or ""),
        description=_text(data.get("extraText")),
        vendor=_text(data.get("brand")),
        categories=tuple(str(g) for g in _list(data.get("groupNumberList"))),
        options=tuple(options),
        features={f["name"]: str(f["value"]) for f in _list(first.get("customFieldList"))},
        variants=tuple(_variant(article, currency) for article in articles),
        prices_include_tax=True,
    )


def _variant(article: Mapping[str, Any], currency: str) -> Variant:
    price = article.get("priceIncl")
    return Variant(
        sku=str(article["articleNumber"]),
        barcode=_text(article.get("barcode")),
        title=_text(article.get("description")),
        options={a["name"]: str(a["value"]) for a in _list(article.get("attributeList"))},
        price=Money(amount=from_amount(price), currency=currency) if isinstance(price, dict) else None,
        tax_rate=Decimal(str(article["vatPercentage"])) if _text(article.get("vatPercentage")) else None,
        tracked=str(article.get("stockManaged", "true")).lower() != "false",
    )


def product_to(product: Product) -> dict[str, Any]:
    number = numeric_sku(product.sku)
    articles = []
    for variant in product.variants or (Variant(sku=product.sku),):
        article: dict[str, Any] = {
            "articleNumber": numeric_sku(variant.sku),
            "description": variant.title or product.title,
            "barcode": variant.barcode,
            "attributeList": [{"name": k, "value": v} for k, v in variant.options.items()],
            "customFieldList": [{"name": k, "value": v} for k, v in product.features.items()],
            "turnoverGroup": 0,
        }
        if variant.price is not None:
            article["priceIncl"] = to_amount(variant.price.amount, PRICE_PLACES)
        if variant.tax_rate is not None:
            article["vatPercentage"] = str(variant.tax_rate)
        if variant.tracked is not None:
            article["stockManaged"] = variant.tracked
        articles.append(article)
    groups = [numeric_sku(g) for g in product.categories]
    return {"productNumber": number, "description": product.title, "extraText": product.description,
            "brand": product.vendor, "groupNumberList": groups, "articleList": articles}  # fmt: skip


# ---- categories, stock, prices -------------------------------------------------------------


def category_from(group: Mapping[str, Any]) -> Category:
    return Category(key=str(group["groupNumber"]), name=str(group.get("name") or ""),
                    parent=_text(group.get("parentGroupNumber")))  # fmt: skip


def stock_from(row: Mapping[str, Any], branch: int) -> StockLevel:
    on_hand, reserved = from_amount(row["amount"]), from_amount(row.get("reserved") or {"value": 0})
    return StockLevel(sku=str(row["articleNumber"]), location=str(branch), on_hand=on_hand, reserved=reserved,
                      available=on_hand - reserved)  # fmt: skip


def price_from(row: Mapping[str, Any], group: str, currency: str) -> Price:
    return Price(sku=str(row["articleNumber"]), price_group=group,
                 price=Money(amount=from_amount(row["price"]), currency=currency))  # fmt: skip


# ---- relations -----------------------------------------------------------------------------


def customer_from(relation: Mapping[str, Any]) -> Customer | None:
    email = _text(relation.get("email"))
    if email is None:
        return None
    contact = relation.get("contact") if isinstance(relation.get("contact"), dict) else None
    company = _text(relation.get("companyName"))
    return Customer(
        email=email,
        kind="company" if company else "person",
        number=str(relation["relationNumber"]),
        company_name=company,
        first_name=None if company else _text(relation.get("firstName")),
        last_name=None if company else _text(relation.get("lastName")),
        contact=Contact(
            first_name=_text(contact.get("firstName")),
            last_name=_text(contact.get("lastName")),
            email=_text(contact.get("email")),
            phone=_text(contact.get("phone")),
        )
        if contact
        else None,
        phone=_text(relation.get("phone")),
        vat_number=_text(relation.get("vatNumber")),
        billing_address=_address_from(relation.get("address")),
        shipping_address=_address_from(relation.get("deliveryAddress")),
    )


def _address_from(data: Any) -> Address | None:
    if not isinstance(data, dict) or not any(data.values()):
        return None
    return Address(street=_text(data.get("street")), house_number=_text(data.get("houseNumber")),
                   house_number_suffix=_text(data.get("houseNumberAddition")), postal_code=_text(data.get("zipcode")),
                   city=_text(data.get("city")), country=_text(data.get("country")))  # fmt: skip


def relation_to(customer: Customer, number: int | None) -> dict[str, Any]:
    """A relation: a company with its contact person, or a person."""
    contact = customer.contact or Contact()
    if customer.kind == "company" or customer.company_name:
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or customer.company_name
        data: dict[str, Any] = {
            "companyName": customer.company_name, "name": name,
            "contact": {"firstName": contact.first_name, "lastName": contact.last_name,
                        "email": contact.email or customer.email, "phone": contact.phone},
        }  # fmt: skip
    else:
        # A guest known only by an email is named by it when made; an existing relation keeps its name.
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p)
        data = {"name": name or (customer.email if number is None else None), "firstName": customer.first_name,
                "lastName": customer.last_name}  # fmt: skip
    data.update({"relationNumber": number, "email": customer.email, "phone": customer.phone,
                 "vatNumber": customer.vat_number, "address": _address_to(customer.billing_address),
                 "deliveryAddress": _address_to(customer.shipping_address)})  # fmt: skip
    return data


def _address_to(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {"street": address.street, "houseNumber": address.house_number,
            "houseNumberAddition": address.house_number_suffix, "zipcode": address.postal_code,
            "city": address.city, "country": address.country}  # fmt: skip


# ---- orders --------------------------------------------------------------------------------


def order_to(order: Order, relation: int | None, employee: int, branch: int) -> dict[str, Any]:
    lines = []
    for line in order.lines:
        if line.price.currency != order.currency:
            raise RecordError(f"line {line.sku} is in {line.price.currency}, the order in {order.currency}", "lines")
        data: dict[str, Any] = {
            "articleNumber": numeric_sku(line.sku),
            "quantity": to_amount(line.quantity, QUANTITY_PLACES),
            "price": to_amount(line.price.amount, PRICE_PLACES),
            "description": line.title,
        }
        if line.discount is not None:
            data["discount"] = to_amount(line.discount.amount, PRICE_PLACES)
        lines.append(data)
    payments = []
    if order.payment_method and order.total is not None and order.financial_status == "paid":
        payments.append({"method": order.payment_method, "amount": to_amount(order.total.amount, PRICE_PLACES)})
    return {
        "extOrderId": order.number,
        "type": order.type,
        "employeeNumber": employee,
        "branchNumber": branch,
        "relationNumber": relation,
        "reference": order.note,
        "vatMethod": "INCLUSIVE" if order.prices_include_tax else "EXCLUSIVE",
        "paymentTerms": order.payment_terms,
        "lineList": lines,
        "paymentList": payments,
        "totalInclAmount": to_amount(order.total.amount, PRICE_PLACES) if order.total else None,
    }


def order_from(data: Mapping[str, Any], currency: str) -> Order:
    lines = []
    for line in _list(data.get("lineList")):
        lines.append({"sku": str(line["articleNumber"]), "quantity": from_amount(line["quantity"]),
                      "price": {"amount": from_amount(line["price"]), "currency": currency},
                      "title": _text(line.get("description"))})  # fmt: skip
    total = data.get("totalInclAmount")
    payments = _list(data.get("paymentList"))
    return Order.model_validate({
        "number": str(data.get("extOrderId") or data["orderId"]),  # the till's id for its own sales
        "source": "pos",
        "type": data.get("type") if data.get("type") in ("order", "invoice") else "order",
        "financial_status": "paid" if payments else "pending",
        "currency": currency,
        "created_at": _text(data.get("financialDate")),
        "lines": lines,
        "payment_method": payments[0]["method"] if payments else None,
        "payment_terms": _text(data.get("paymentTerms")),
        "total": {"amount": from_amount(total), "currency": currency} if isinstance(total, dict) else None,
        "branch": _text(data.get("branchNumber")),
        "employee": _text(data.get("employeeNumber")),
        "customer_number": _text(data.get("relationNumber")),
        "note": _text(data.get("reference")),
        "updated_at": f"{int(data.get('syncMarker') or 0):012d}",  # the change feed's marker, as a cursor
    })  # fmt: skip
