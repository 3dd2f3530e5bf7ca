"""Canonical records to and from Visma.net's data, as pure functions.

Reads decode the ERP's plain read DTOs (`CustomerDto`, `InventoryDto`, `InventorySummaryDto`,
`CustomerSalesPriceDto`, `ShipmentDto`, …) and the V3 order views; writes build plain bodies in the
write names (`CustomerUpdateDto`, `ContactUpdateDto`), which `values.wrap` wraps, and V3's
`NewSalesOrderCommand`, which travels as it is. Read and write names differ: `country.id` is
written `countryId`, `customerClass.id` `customerClassId`, `customerOrder` (V3 list) is written
`customer.order`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from connectors.visma_net.protocol import CUSTOMER_ORDER_LENGTH, PRICE_CLASS
from connectors.visma_net.settings import VismaNetSettings
from engine.errors import RecordError
from engine.mapping.transforms import split_street
from engine.records import (
    Address,
    Category,
    Contact,
    Customer,
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

CENT = Decimal("0.01")
ITEM_CLASS = "class-"  # category keys: item classes and sales categories are both collections
SALES_CATEGORY = "sales-"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _decimal(value: Any) -> Decimal:
    """A JSON number as a decimal without the float's trailing `.0`: 35.0 is 35, 2.50 is 2.5."""
    number = Decimal(str(value)) if value not in (None, "") else Decimal(0)
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _amount(value: Any) -> Decimal:
    """Money to the cent, as prices are kept everywhere else."""
    return _decimal(value).quantize(CENT)


def _id(reference: Any, name: str = "id") -> str | None:
    return _text(reference.get(name)) if isinstance(reference, Mapping) else None


# ---- addresses ---------------------------------------------------------------------------------


def address_from(data: Mapping[str, Any] | None) -> Address | None:
    """An address read (`addressLine1`, `country.id`), or None when it holds nothing."""
    if not data:
        return None
    street = split_street(str(data.get("addressLine1") or ""))
    address = Address(street=street["street"], house_number=street["house_number"],
                      house_number_suffix=street["house_number_suffix"], postal_code=_text(data.get("postalCode")),
                      city=_text(data.get("city")), country=_id(data.get("country")))  # fmt: skip
    return address if address.model_dump(exclude_none=True) else None


def street_line(address: Address) -> str | None:
    number = "-".join(p for p in (address.house_number, address.house_number_suffix) if p)
    return " ".join(p for p in (address.street, number) if p) or None


def address_to(address: Address | None) -> dict[str, Any] | None:
    """An `AddressUpdateDto`, plain (write names: `countryId`)."""
    if address is None:
        return None
    return {"addressLine1": street_line(address), "postalCode": address.postal_code, "city": address.city,
            "countryId": address.country}  # fmt: skip


# ---- customers ---------------------------------------------------------------------------------


def customer_from(data: Mapping[str, Any], contacts: Sequence[Mapping[str, Any]] = ()) -> Customer | None:
    """A customer read with its contact persons: a company when it has one, else a person. None for
    a customer without an email, which no other system can match."""
    main = data.get("mainContact") or {}
    email = _text(main.get("email"))
    if email is None:
        return None
    address = address_from(data.get("mainAddress"))
    common: dict[str, Any] = {
        "email": email, "number": _text(data.get("number")), "phone": _text(main.get("phone1")),
        "vat_number": _text(data.get("vatRegistrationId")), "billing_address": address,
    }  # fmt: skip
    if contacts:
        first = contacts[0]
        contact = Contact(first_name=_text(first.get("firstName")), last_name=_text(first.get("lastName")),
                          email=_text(first.get("email")), phone=_text(first.get("phone1")))  # fmt: skip
        return Customer(kind="company", company_name=_text(data.get("name")), contact=contact, **common)
    first_name, _, last_name = str(data.get("name") or "").partition(" ")
    return Customer(kind="person", first_name=_text(first_name), last_name=_text(last_name), **common)


def customer_to(customer: Customer) -> dict[str, Any]:
    """A plain `CustomerUpdateDto`: a company by its name, a person by first and last name."""
    if customer.kind == "company":
        name = customer.company_name or customer.email
    else:
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p) or customer.email
    return {
        "name": name,
        "vatRegistrationId": customer.vat_number,
        "mainContact": {"name": name, "email": customer.email, "phone1": customer.phone},
        "mainAddress": address_to(customer.billing_address or customer.shipping_address),
    }


def contact_to(customer: Customer, number: str) -> dict[str, Any]:
    """A plain `ContactUpdateDto` of a company's contact person, linked to customer `number`."""
    contact = customer.contact or Contact()
    return {"firstName": contact.first_name, "lastName": contact.last_name or customer.company_name,
            "email": contact.email or customer.email, "phone1": contact.phone, "businessAccount": number,
            "active": True}  # fmt: skip


# ---- products, categories, images ---------------------------------------------------------------


def image_url(erp_url: str, attachment: Mapping[str, Any]) -> str:
    """Where an attachment's bytes are, with its revision: a new revision is a new URL."""
    return f"{erp_url.rstrip('/')}/v1/attachment/{attachment['id']}?revision={attachment.get('revision') or 1}"


def categories_of(item: Mapping[str, Any]) -> tuple[str, ...]:
    keys = [ITEM_CLASS + c for c in [_id(item.get("itemClass"))] if c]
    keys += [f"{SALES_CATEGORY}{c['categoryId']}" for c in item.get("salesCategories") or [] if c.get("categoryId")]
    return tuple(keys)


def products_from(items: Iterable[Mapping[str, Any]], settings: VismaNetSettings) -> list[Product]:
    """Inventory items as products: items whose variant attribute names a product number are that
    product's variants, in order of inventory number; every other item is a simple product."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        attributes = _attributes(item)
        parent = attributes.get(settings.variant_attribute) if settings.variant_attribute else None
        groups.setdefault(parent or str(item["inventoryNumber"]), []).append(item)
    products = []
    for number, members in groups.items():
        members.sort(key=lambda item: str(item["inventoryNumber"]))
        products.append(_product(number, members, settings))
    return products


def _attributes(item: Mapping[str, Any]) -> dict[str, str]:
    return {str(a["id"]): str(a.get("value") or "") for a in item.get("attributes") or [] if a.get("id")}


def _product(number: str, items: Sequence[Mapping[str, Any]], settings: VismaNetSettings) -> Product:
    first = items[0]
    variants = []
    option_names: list[str] = []
    for item in items:
        attributes = _attributes(item)
        options = {name: attributes[a] for a, name in settings.options.items() if attributes.get(a)}
        option_names += [name for name in options if name not in option_names]
        price = item.get("defaultPrice")
        variants.append(Variant(
            sku=str(item["inventoryNumber"]), title=_text(item.get("description")), options=options,
            price=Money(amount=_amount(price), currency=settings.currency) if price is not None else None,
            tracked=bool(item.get("stockItem", True)),
        ))  # fmt: skip
    attributes = _attributes(first)
    features = {name: attributes[a] for a, name in settings.features.items() if attributes.get(a)}
    images = tuple(image_url(settings.url, a) for item in items for a in item.get("attachments") or [] if a.get("id"))
    title = str(first.get("description") or number)
    if len(items) > 1 or (settings.variant_attribute and number != str(first["inventoryNumber"])):
        title = title.split(" - ")[0]  # a variant's description names its options after " - "
    status: Literal["active", "draft"] = "active" if first.get("status") == "Active" else "draft"
    return Product(sku=number, title=title, description=_text(first.get("body")), categories=categories_of(first),
                   options=tuple(option_names), features=features, images=images, variants=tuple(variants),
                   prices_include_tax=False, status=status)  # fmt: skip


def item_class_from(data: Mapping[str, Any]) -> Category:
    return Category(key=ITEM_CLASS + str(data["id"]), name=str(data.get("description") or data["id"]))


def sales_categories_from(data: Mapping[str, Any], parent: str | None = None) -> list[Category]:
    """A sales category and its subcategories, each with its parent."""
    key = f"{SALES_CATEGORY}{data['categoryID']}"
    found = [Category(key=key, name=str(data.get("description") or key), parent=parent)]
    for child in data.get("subCategories") or []:
        found += sales_categories_from(child, key)
    return found


# ---- stock and prices ---------------------------------------------------------------------------


def stock_from(row: Mapping[str, Any], location: str) -> StockLevel:
    """A warehouse's stock of an item: reserved is what sales orders booked and allocated, available
    what is on hand beyond that."""
    on_hand = _decimal(row.get("onHand"))
    reserved = _decimal(row.get("soBooked")) + _decimal(row.get("soAllocated"))
    return StockLevel(sku=str(row["inventory"]["number"]), location=location, on_hand=on_hand, reserved=reserved,
                      available=on_hand - reserved)  # fmt: skip


def price_from(row: Mapping[str, Any], group: str, currency: str) -> Price | None:
    """A customer price class's price of an item; None for rows of other price types."""
    if row.get("priceType") != PRICE_CLASS or row.get("price") is None:
        return None
    return Price(sku=str(row["inventoryId"]), price_group=group,
                 price=Money(amount=_amount(row["price"]), currency=str(row.get("currency") or currency)))  # fmt: skip


# ---- orders -------------------------------------------------------------------------------------


def order_to(order: Order, customer: str, order_type: str, branch: str | None) -> dict[str, Any]:
    """A V3 `NewSalesOrderCommand` (plain JSON): the Shopify number as the customer's order reference."""
    if len(order.number) > CUSTOMER_ORDER_LENGTH:
        raise RecordError(f"order number {order.number} is longer than Visma.net's {CUSTOMER_ORDER_LENGTH} "
                          "characters of a customer's order reference", "number")  # fmt: skip
    body: dict[str, Any] = {
        "type": order_type,
        "customer": {"id": customer, "order": order.number, "termsId": order.payment_terms},
        "branchId": branch,
        "currencyId": order.currency,
        "date": order.created_at,
        "note": order.note,
        "orderLines": [_line(line, branch) for line in order.lines],
    }
    if order.payment_method:
        body["paymentSettings"] = {"paymentMethodId": order.payment_method}
    for section, address in (("billing", order.billing_address), ("shipping", order.shipping_address)):
        if address is not None:
            body[section] = {"address": {"line1": street_line(address), "postalCode": address.postal_code,
                                         "city": address.city, "countryId": address.country}}  # fmt: skip
    return _without_none(body)


def _line(line: OrderLine, branch: str | None) -> dict[str, Any]:
    return {"inventoryId": line.sku, "quantity": float(line.quantity), "unitPrice": float(line.price.amount),
            "hasManualPrice": True, "description": line.title, "branchId": branch}  # fmt: skip


def _without_none(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _pruned(v) for k, v in value.items() if v is not None}


def _pruned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def order_from(head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], kind: str) -> Order:
    """A V3 order (the single view) with its lines; its number is the customer's order reference
    where it has one (an order Tillsync made), else Visma.net's own order id."""
    currency = str(head.get("currencyId") or "EUR")
    customer = head.get("customer") or {}
    return Order(
        number=str(customer.get("order") or head["orderId"]),
        type=kind,  # type: ignore[arg-type]
        status=_id(head.get("status"), "description"),
        currency=currency,
        created_at=_text(head.get("date")),
        updated_at=_text(head.get("lastModified")),
        customer_number=_text(customer.get("id")),
        branch=_id(head.get("branch")),
        note=_text(head.get("note")),
        payment_method=_id((head.get("paymentSettings") or {}).get("paymentMethod")),
        payment_terms=_id((head.get("financialInformation") or {}).get("terms")),
        lines=tuple(
            OrderLine(sku=str((line.get("inventory") or {}).get("id")), quantity=_decimal(line.get("quantity")),
                      price=Money(amount=_amount(line.get("unitPrice")), currency=currency),
                      title=_text(line.get("description")))
            for line in lines
        ),
    )  # fmt: skip


# ---- shipments ----------------------------------------------------------------------------------


def shipments_from(
    data: Mapping[str, Any], order_numbers: Mapping[tuple[str, str], str], carriers: Mapping[str, str]
) -> list[Shipment]:
    """A shipment as one record per order it ships lines of, with exactly those lines, its first
    package's tracking number and its carrier's name. `order_numbers` gives each (order type, order
    id) the number the order is known by elsewhere (its customer's order reference); `carriers`
    each ship via id its carrier's description (an id the list lacks stays as it is)."""
    number = str(data["shipmentNumber"])
    by_order: dict[tuple[str, str], list[ShipmentLine]] = {}
    for line in data.get("shipmentDetailLines") or []:
        quantity = _decimal(line.get("shippedQty"))
        if quantity <= 0:
            continue
        of_order = (str(line.get("orderType") or ""), str(line.get("orderNbr") or ""))
        by_order.setdefault(of_order, []).append(ShipmentLine(sku=str(line["inventoryNumber"]), quantity=quantity))
    tracking = next((_text(p.get("trackingNumber")) for p in data.get("shipmentPackageLines") or []
                     if _text(p.get("trackingNumber"))), None)  # fmt: skip
    ship_via = _id(data.get("shipVia"))
    carrier = carriers.get(ship_via, ship_via) if ship_via else None
    found = []
    for (kind, order), lines in by_order.items():
        key = number if len(by_order) == 1 else f"{number}-{order}"
        found.append(Shipment(key=key, order_number=order_numbers.get((kind, order), order),
                              tracking_number=tracking, carrier=carrier, lines=tuple(lines)))  # fmt: skip
    return found
