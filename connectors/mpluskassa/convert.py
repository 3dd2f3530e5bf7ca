"""Canonical records to and from MplusKASSA's data, in the shapes of `schema` (see `protocol`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from connectors.mpluskassa.amounts import from_amount, from_cents, to_amount, to_cents
from connectors.mpluskassa.protocol import QUANTITY_PLACES
from engine.errors import RecordError
from engine.mapping.transforms import numeric_sku, split_street
from engine.records import Address, Category, Contact, Customer, Money, Order, Price, Product, StockLevel, Variant

OPTIONS = {"colour": "colour", "color": "colour", "size": "size"}  # option name → the article's element


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _names(name: str | None) -> tuple[str | None, str | None]:
    """ "Sanne de Vries" → ("Sanne", "de Vries"): a relation has one name; the first word is taken as
    the first name."""
    first, _, last = (name or "").strip().partition(" ")
    return first or None, last.strip() or None


# ---- products ------------------------------------------------------------------------------


def product_from(data: Mapping[str, Any], currency: str) -> Product:
    articles = data.get("articleList") or []
    options = [o for o in ("colour", "size") if any(_text(a.get(o)) for a in articles)]
    first = articles[0] if articles else {}
    return Product(
        sku=str(data["productNumber"]),
        title=str(data.get("description") or ""),
        description=_text(data.get("extraText")),
        vendor=_text(first.get("brandName")),
        categories=tuple(str(g) for g in data.get("groupNumbers") or []),
        options=tuple(options),
        features={f["fieldName"]: str(f.get("strValue") or "") for f in first.get("customFieldList") or []},
        variants=tuple(_variant(article, options, currency) for article in articles),
        prices_include_tax=True,
    )


def _variant(article: Mapping[str, Any], options: list[str], currency: str) -> Variant:
    price = article.get("priceIncl")
    return Variant(
        sku=str(article["articleNumber"]),
        barcode=_text(article.get("barcode")),
        title=_text(article.get("description")),
        options={o: str(article[o]) for o in options if _text(article.get(o))},
        price=Money(amount=from_cents(price), currency=currency) if price is not None else None,
        tax_rate=Decimal(article["vatPercentage"]) if article.get("vatPercentage") is not None else None,
        tracked=article.get("stockArticle", True),
    )


def product_to(product: Product) -> dict[str, Any]:
    articles = []
    fields = [{"fieldName": k, "dataType": "DATA-TYPE-STRING", "strValue": v} for k, v in product.features.items()]
    for variant in product.variants or (Variant(sku=product.sku),):
        article: dict[str, Any] = {
            "articleNumber": int(numeric_sku(variant.sku)),
            "description": variant.title or product.title,
            "barcode": variant.barcode,
            "brandName": product.vendor,
            "turnoverGroup": 0,
            "customFieldList": fields,
            "stockArticle": variant.tracked,
        }
        for name, value in variant.options.items():
            element = OPTIONS.get(name.lower())
            if element is None:
                raise RecordError(f"MplusKASSA articles have a colour and a size, not {name!r}; map it in the spec",
                                  "variants")  # fmt: skip
            article[element] = value
        if variant.price is not None:
            article["priceIncl"] = to_cents(variant.price.amount)
        if variant.tax_rate is not None:
            if variant.tax_rate != int(variant.tax_rate):
                raise RecordError(f"MplusKASSA takes whole VAT percentages, not {variant.tax_rate}", "variants")
            article["vatPercentage"] = int(variant.tax_rate)
        articles.append(article)
    return {"productNumber": int(numeric_sku(product.sku)), "description": product.title,
            "extraText": product.description, "articleList": articles,
            "groupNumbers": [int(numeric_sku(g)) for g in product.categories]}  # fmt: skip


def prices_from(data: Mapping[str, Any], names: Mapping[int, str], currency: str) -> Iterator[Price]:
    """The prices per price group of a product's articles (their `priceGroupList`)."""
    for article in data.get("articleList") or []:
        for group in article.get("priceGroupList") or []:
            if group.get("priceIncl") is not None:
                name = names.get(group["priceGroupNumber"]) or str(group["priceGroupNumber"])
                yield Price(sku=str(article["articleNumber"]), price_group=name,
                            price=Money(amount=from_cents(group["priceIncl"]), currency=currency))  # fmt: skip


# ---- categories, stock ---------------------------------------------------------------------


def categories_from(groups: list[dict[str, Any]], parent: int | None = None) -> Iterator[Category]:
    """The article group tree as categories, each naming its parent group."""
    for group in groups:
        yield Category(key=str(group["groupNumber"]), name=str(group.get("name") or ""),
                       parent=str(parent) if parent is not None else None)  # fmt: skip
        yield from categories_from(group.get("subGroupList") or [], group["groupNumber"])


def stock_from(row: Mapping[str, Any], branch: int) -> StockLevel:
    on_hand = from_amount(row["amountFree"], row.get("decimalPlacesFree"))
    reserved = from_amount(row["amountReserved"], row.get("decimalPlacesReserved"))
    return StockLevel(sku=str(row["articleNumber"]), location=str(branch), on_hand=on_hand, reserved=reserved,
                      available=on_hand - reserved)  # fmt: skip


# ---- relations -----------------------------------------------------------------------------


def customer_from(relation: Mapping[str, Any]) -> Customer | None:
    email = _text(relation.get("email"))
    if email is None:
        return None
    company = _text(relation.get("companyName"))
    person = (relation.get("contactList") or [{}])[0]
    contact_name = _text(person.get("name")) or _text(relation.get("contact"))
    first, last = _names(None if company else relation.get("name"))
    contact_first, contact_last = _names(contact_name)
    contact = Contact(first_name=contact_first, last_name=contact_last, email=_text(person.get("email")),
                      phone=_text(person.get("telephone")))  # fmt: skip
    return Customer(
        email=email,
        kind="company" if company else "person",
        number=str(relation["relationNumber"]),
        company_name=company,
        first_name=first,
        last_name=last,
        contact=contact if company and contact_name else None,
        phone=_text(relation.get("telephone")),
        vat_number=_text(relation.get("vatNumber")),
        billing_address=_address_from(relation, ""),
        shipping_address=_address_from(relation, "delivery"),
    )


def _address_from(relation: Mapping[str, Any], prefix: str) -> Address | None:
    def part(name: str) -> str | None:
        return _text(relation.get(prefix + name[0].upper() + name[1:] if prefix else name))

    if not any(part(n) for n in ("address", "zipcode", "city", "country")):
        return None
    street = split_street(part("address") or "")
    return Address(street=street["street"], house_number=street["house_number"],
                   house_number_suffix=street["house_number_suffix"], postal_code=part("zipcode"),
                   city=part("city"), country=part("country"))  # fmt: skip


def _address_to(address: Address | None, prefix: str) -> dict[str, Any]:
    if address is None:
        return {}
    number = f" {address.house_number}" if address.house_number else ""
    suffix = address.house_number_suffix or ""
    line = f"{address.street or ''}{number}{suffix if suffix.isalpha() else ' ' + suffix if suffix else ''}"
    values = {"address": line.strip() or None, "zipcode": address.postal_code, "city": address.city,
              "country": address.country}  # fmt: skip
    return {(prefix + k[0].upper() + k[1:] if prefix else k): v for k, v in values.items()}


def relation_to(customer: Customer, number: int | None, payment_days: int | None = None) -> dict[str, Any]:
    """A relation: a company with its contact person (`contactList`), or a person."""
    data: dict[str, Any] = {"relationNumber": number}
    if customer.kind == "company" or customer.company_name:
        contact = customer.contact or Contact()
        contact_name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or None
        data.update({"name": customer.company_name, "contact": contact_name})
        if contact_name:
            data["contactList"] = [{"name": contact_name, "email": contact.email, "telephone": contact.phone}]
    else:
        # A guest known only by an email is named by it when made; an existing relation keeps its name.
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p)
        data["name"] = name or (customer.email if number is None else None)
    data.update(
        {
            "telephone": customer.phone,
            "email": customer.email,
            "paymentWithinDays": payment_days,
            "vatNumber": customer.vat_number,
            "companyName": customer.company_name,
            **_address_to(customer.billing_address, ""),
            **_address_to(customer.shipping_address, "delivery"),
        }
    )
    return data


# ---- orders --------------------------------------------------------------------------------


def order_to(order: Order, relation: int, employee: int, branch: int) -> dict[str, Any]:
    lines = []
    for line in order.lines:
        if line.price.currency != order.currency:
            raise RecordError(f"line {line.sku} is in {line.price.currency}, the order in {order.currency}", "lines")
        quantity, places = to_amount(line.quantity, QUANTITY_PLACES)
        data: dict[str, Any] = {"quantity": quantity, "decimalPlaces": places, "price": to_cents(line.price.amount)}
        if line.discount is not None:
            data["discountAmount"] = to_cents(line.discount.amount)
        lines.append({"articleNumber": int(numeric_sku(line.sku)), "text": line.title, "data": data})
    paid = order.financial_status == "paid"
    payments = []
    if paid and order.payment_method and order.total is not None:
        payments.append({"method": order.payment_method, "amount": to_cents(order.total.amount)})
    return {
        "orderId": "",  # a new order: the till gives it its id
        "extOrderId": order.number,
        "entryBranchNumber": branch,
        "employeeNumber": employee,
        "relationNumber": relation,
        "financialBranchNumber": branch,
        "reference": order.note,
        "totalInclAmount": to_cents(order.total.amount) if order.total else None,
        "vatMethod": "VAT-METHOD-INCLUSIVE" if order.prices_include_tax else "VAT-METHOD-EXCLUSIVE",
        "paymentMethod": order.payment_method,
        "fullyPaid": paid,
        "lineList": lines,
        "paymentList": payments,
    }


def order_from(data: Mapping[str, Any], currency: str) -> Order:
    lines = []
    for line in data.get("lineList") or []:
        values = line.get("data") or {"quantity": 1}
        lines.append({"sku": str(line["articleNumber"]),
                      "quantity": from_amount(values["quantity"], values.get("decimalPlaces")),
                      "price": {"amount": from_cents(values.get("price") or 0), "currency": currency},
                      "title": _text(line.get("text"))})  # fmt: skip
    payments = data.get("paymentList") or []
    day = data.get("financialDate")
    total = data.get("totalInclAmount")
    return Order.model_validate({
        "number": str(data.get("extOrderId") or data["orderId"]),  # the till's id for its own sales
        "source": "pos",
        "type": "order",
        "financial_status": "paid" if data.get("fullyPaid") or payments else "pending",
        "currency": currency,
        "created_at": f"{day['year']:04d}-{day['mon']:02d}-{day['day']:02d}" if day else None,
        "lines": lines,
        "payment_method": _text(data.get("paymentMethod")) or (payments[0]["method"] if payments else None),
        "total": {"amount": from_cents(total), "currency": currency} if total is not None else None,
        "branch": _text(data.get("financialBranchNumber")),
        "employee": _text(data.get("employeeNumber")),
        "customer_number": _text(data.get("relationNumber") or None),
        "note": _text(data.get("reference")),
        "updated_at": f"{int(data.get('syncMarker') or 0):012d}",  # the change feed's marker, as a cursor
    })  # fmt: skip
