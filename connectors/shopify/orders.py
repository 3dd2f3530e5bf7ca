"""Orders read from Shopify as canonical records: web and POS sales with their lines and customer.

An order's number is its name in Shopify (`#1001`), the id a till or ERP keeps as the external
order id; `source` is `pos` for Shopify POS sales, whose `branch` is the POS location; every order's
`fulfillment_location` is the location Shopify assigned to ship it (its first fulfillment order's:
an order split over several locations is named by the first). An order Shopify ships from several
locations (a fulfillment order per location) has its lines read per fulfillment order too, in a
second query for that order alone, and each line names the location it ships from (`location`): a
line shipped from two is a line per location, its quantity and discount shared out. Fulfillment
orders Shopify cancelled (a move replaces one) are left out. Orders are read by a search built from the flow's
statuses and cursor; an order made elsewhere (a till's sale) is booked once with `orderCreate`, and
never changed after. `orderCreate` takes no idempotency key, so one whose answer was lost is
settled by its name: found in the shop, it is booked; not found, it fails with why, and the next
run books it if the shop still has none (Shopify's order search may lag a moment behind an order
just made, so a miss right away is no proof it was not).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from connectors.shopify.customers import address_from_node
from connectors.shopify.products import variant_ids
from connectors.shopify.session import Session, chunks_or_all, of_type, user_errors
from engine.connector import RawRecord, ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, RecordError, RetriableConnectorError
from engine.keys import Key, read_digest
from engine.records import Contact, Customer, Money, Order, OrderLine, Record

ORDERS_PER_PAGE = 5
CANCELLED = "CANCELLED"  # a fulfillment order Shopify replaced (moved elsewhere) or cancelled: it ships nothing
CENT = Decimal("0.01")


def from_node(node: Mapping[str, Any]) -> Order:
    """The canonical order of an `OrderFields` node."""
    name = node["name"]
    page = node.get("lineItems") or {}
    if (page.get("pageInfo") or {}).get("hasNextPage"):
        raise RecordError(f"order {name} has more than 25 lines; Tillsync reads at most 25 per order")
    billing = address_from_node(node["billingAddress"]) if node.get("billingAddress") else None
    return Order(
        number=name,
        source="pos" if node.get("sourceName") == "pos" else "web",
        status="cancelled" if node.get("cancelledAt") else "open",
        financial_status=str(node.get("displayFinancialStatus") or "").lower() or None,
        currency=node["currencyCode"],
        created_at=node.get("createdAt"),
        updated_at=node.get("updatedAt"),
        customer=_customer(node, billing.company if billing else None),
        billing_address=billing,
        shipping_address=address_from_node(node["shippingAddress"]) if node.get("shippingAddress") else None,
        lines=_lines(page.get("nodes") or [], _shipped_from(node)),
        payment_method=(node.get("paymentGatewayNames") or [None])[0],
        total=_money(node.get("totalPriceSet")),
        prices_include_tax=bool(node.get("taxesIncluded", True)),
        branch=(node.get("retailLocation") or {}).get("name"),
        fulfillment_location=_fulfillment_location(node),
        note=node.get("note"),
    )


def _fulfillment_orders(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The order's fulfillment orders that ship something: those Shopify cancelled are left out."""
    found = (node.get("fulfillmentOrders") or {}).get("nodes") or []
    return [fulfillment_order for fulfillment_order in found if fulfillment_order.get("status") != CANCELLED]


def _assigned(fulfillment_order: Mapping[str, Any]) -> str | None:
    """The name of the location assigned to a fulfillment order (a location since deleted is named by
    the assignment's own copy of its name)."""
    assigned = fulfillment_order.get("assignedLocation") or {}
    name = (assigned.get("location") or {}).get("name") or assigned.get("name")
    return str(name) if name else None


def _fulfillment_location(node: Mapping[str, Any]) -> str | None:
    """The name of the location Shopify assigned to ship the order from: its first fulfillment order's."""
    return next((name for name in map(_assigned, _fulfillment_orders(node)) if name), None)


def ships_from_several(node: Mapping[str, Any]) -> bool:
    """Whether Shopify ships the order from more than one location."""
    return len({_assigned(fulfillment_order) for fulfillment_order in _fulfillment_orders(node)}) > 1


def _shipped_from(node: Mapping[str, Any]) -> dict[str, list[tuple[str | None, int]]] | None:
    """Per line item id, the locations it ships from with how many from each, in the order of the
    fulfillment orders; None when the order's fulfillment orders were read without their lines (it
    ships from one location)."""
    fulfillment_orders = _fulfillment_orders(node)
    if not ships_from_several(node) or not all("lineItems" in fo for fo in fulfillment_orders):
        return None
    if ((node.get("fulfillmentOrders") or {}).get("pageInfo") or {}).get("hasNextPage") or any(
        (fo["lineItems"].get("pageInfo") or {}).get("hasNextPage") for fo in fulfillment_orders
    ):
        raise RecordError(f"order {node['name']} ships from more fulfillment orders or lines than Tillsync reads "
                          "(10 of 25 lines)", "lines")  # fmt: skip
    parts: dict[str, list[tuple[str | None, int]]] = {}
    for fulfillment_order in fulfillment_orders:
        for item in fulfillment_order["lineItems"].get("nodes") or []:
            parts.setdefault(item["lineItem"]["id"], []).append((_assigned(fulfillment_order), item["totalQuantity"]))
    return parts


def _lines(nodes: Sequence[Mapping[str, Any]], shipped_from: Mapping[str, list[tuple[str | None, int]]] | None
           ) -> tuple[OrderLine, ...]:  # fmt: skip
    """The order's lines; where it ships from several locations, each naming its own (`_located`)."""
    if shipped_from is None:
        return tuple(_line(line) for line in nodes)
    return tuple(part for line in nodes for part in _located(_line(line), shipped_from.get(line.get("id") or "", [])))


def _located(line: OrderLine, parts: Sequence[tuple[str | None, int]]) -> list[OrderLine]:
    """A line of an order shipped from several locations, as a line per location it ships from with
    the quantity that ships there (what no fulfillment order holds: without a location), its
    discount shared out by quantity to the cent."""
    by_location: dict[str | None, Decimal] = {}
    left = line.quantity
    for location, held in parts:
        taken = min(Decimal(held), left)
        if taken > 0:
            by_location[location] = by_location.get(location, Decimal(0)) + taken
            left -= taken
    if left > 0:
        by_location[None] = by_location.get(None, Decimal(0)) + left
    located: list[OrderLine] = []
    shared = Decimal(0)
    for index, (location, quantity) in enumerate(by_location.items()):
        discount = line.discount
        if discount is not None and len(by_location) > 1:
            last = index == len(by_location) - 1
            amount = discount.amount - shared if last else (discount.amount * quantity / line.quantity).quantize(CENT)
            shared += amount
            discount = discount.model_copy(update={"amount": amount})
        located.append(line.model_copy(update={"quantity": quantity, "location": location, "discount": discount}))
    return located


def _customer(node: Mapping[str, Any], company: str | None) -> Customer | None:
    customer = node.get("customer") or {}
    email = customer.get("email") or node.get("email")
    if not email:
        return None
    # A guest checkout's buyer has no customer account with a name: the billing address names them.
    address = node.get("billingAddress") or node.get("shippingAddress") or {}
    first = customer.get("firstName") or address.get("firstName")
    last = customer.get("lastName") or address.get("lastName")
    phone = customer.get("phone") or address.get("phone")
    if company:  # a company customer: the person named is its contact
        contact = Contact(first_name=first, last_name=last, email=email, phone=phone)
        return Customer(email=email, kind="company", company_name=company, contact=contact, phone=phone)
    return Customer(email=email, first_name=first, last_name=last, phone=phone)


def _line(node: Mapping[str, Any]) -> OrderLine:
    rate = next((Decimal(str(t["rate"])) for t in node.get("taxLines") or [] if t.get("rate") is not None), None)
    price = _money(node.get("originalUnitPriceSet"))
    if price is None:
        raise RecordError(f"order line {node.get('sku')} has no price")
    discount = _money(node.get("totalDiscountSet"))
    return OrderLine(
        sku=node.get("sku") or "",
        quantity=Decimal(node["quantity"]),
        price=price,
        title=node.get("title"),
        tax_rate=(rate * 100).normalize() if rate is not None else None,
        discount=discount if discount is not None and discount.amount else None,
    )


def _money(bag: Mapping[str, Any] | None) -> Money | None:
    money = (bag or {}).get("shopMoney")
    if not money:
        return None
    return Money(amount=Decimal(str(money["amount"])), currency=money["currencyCode"])


def name_query(names: list[str]) -> str:
    """The order search for these names: `name:"#1001" OR name:"#1002"`."""
    return " OR ".join(f'name:"{name}"' for name in names)


def search(wanted: ReadFilter | None, extra: str | None) -> str | None:
    """The Shopify order search for a flow's statuses and cursor, plus the system's own filter."""
    terms = [f"({extra})"] if extra else []
    if wanted is not None and wanted.statuses:
        terms.append("(" + " OR ".join(f"financial_status:{status}" for status in wanted.statuses) + ")")
    if wanted is not None and wanted.since:
        terms.append(f"updated_at:>'{wanted.since}'")
    return " AND ".join(terms) or None


def order_create_input(order: Order, variant_ids: Mapping[str, str], currency: str) -> dict[str, Any]:
    """The OrderCreateOrderInput for an order made elsewhere; its number becomes the order's name."""
    missing = sorted({line.sku for line in order.lines if line.sku not in variant_ids})
    if missing:
        raise RecordError(f"order {order.number} has SKUs Shopify does not know: {', '.join(missing)}", "lines")
    if order.currency != currency:
        raise RecordError(f"order {order.number} is in {order.currency}; the shop sells in {currency}", "currency")
    lines = []
    for line in order.lines:
        if line.quantity != line.quantity.to_integral_value():
            raise RecordError(f"Shopify sells whole units; {line.sku} has {line.quantity}", "lines")
        price = _bag(line.price.amount, currency)
        lines.append({"variantId": variant_ids[line.sku], "quantity": int(line.quantity), "priceSet": price})
    data: dict[str, Any] = {
        "name": order.number,
        "sourceName": "pos" if order.source == "pos" else "web",
        "sourceIdentifier": order.number,
        "currency": currency,
        "lineItems": lines,
        "taxesIncluded": order.prices_include_tax,
        "financialStatus": "PAID" if order.financial_status == "paid" else "PENDING",
        "note": order.note,
    }
    if order.customer is not None:
        data["email"] = order.customer.email
        data["customer"] = {"toUpsert": {"email": order.customer.email, "firstName": order.customer.first_name,
                                         "lastName": order.customer.last_name}}  # fmt: skip
    if order.financial_status == "paid" and order.total is not None:
        gateway = order.payment_method or "manual"
        paid = _bag(order.total.amount, currency)
        data["transactions"] = [{"kind": "SALE", "status": "SUCCESS", "gateway": gateway, "amountSet": paid}]
    return {k: v for k, v in data.items() if v is not None}


def _bag(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}


class Orders:
    """Reads orders; books orders made elsewhere."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The orders with these names, or those the flow's statuses, cursor and the system's
        `order_query` choose."""
        return [raw.build() for raw in self.read_raw(keys, wanted)]

    def read_raw(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> Iterator[RawRecord]:
        """As `read`, each order unbuilt: one Tillsync cannot take (more than 25 lines, a price that
        is no number) is that order's error, not the read's."""
        for node in self._nodes(keys, search(wanted, self.session.settings.order_query)):
            text = json.dumps(node, sort_keys=True, default=str)
            yield RawRecord((node["name"],), read_digest(text), partial(from_node, node))

    def _nodes(self, keys: Sequence[Key] | None, query: str | None) -> Iterator[Mapping[str, Any]]:
        names = [key[0] for key in keys] if keys is not None else None
        for chunk in chunks_or_all(names, ORDERS_PER_PAGE):
            variables = {"query": name_query(chunk) if chunk else query, "first": ORDERS_PER_PAGE}
            for node in self.session.nodes("Orders", "orders", variables):
                yield self._with_lines_by_location(node) if ships_from_several(node) else node

    def _with_lines_by_location(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """An order shipped from several locations, with what each of its fulfillment orders holds."""
        found = self.session.request("OrderFulfillmentLines", {"id": node["id"]})["order"]
        return {**node, "fulfillmentOrders": found["fulfillmentOrders"]} if found else node

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Orders made elsewhere, booked once: one that exists (by name) is left as it is."""
        orders = of_type(records, Order)
        existing = {node["name"] for node in self._nodes([(r.number,) for r in orders], None)}
        ids = variant_ids(self.session, [line.sku for order in orders for line in order.lines])
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):
            for order in orders:
                key = (order.number,)
                if order.number in existing:
                    outcomes.append(WriteOutcome(key, target_id=order.number, response={"existed": True}))
                    continue
                try:
                    data = order_create_input(order, ids, self.session.settings.currency)
                except RecordError as exc:
                    outcomes.append(WriteOutcome(key, error=str(exc)))
                    continue
                try:
                    payload = self.session.request("OrderCreate", {"order": data})["orderCreate"]
                except AnswerLostError as lost:
                    outcomes.append(self._settle(order, lost))
                    continue
                if payload["userErrors"]:
                    outcomes.append(WriteOutcome(key, error=user_errors(payload["userErrors"]), response=payload))
                else:
                    made = payload["order"]
                    outcomes.append(
                        WriteOutcome(key, target_id=made["id"], response={"id": made["id"], "name": made["name"]})
                    )
        return outcomes

    def _settle(self, order: Order, lost: AnswerLostError) -> WriteOutcome:
        """The outcome of an `orderCreate` whose answer was lost, from the order of that name in the shop."""
        key = (order.number,)
        try:
            found = list(self.session.nodes("Orders", "orders", {"query": name_query([order.number]), "first": 1}))
        except RetriableConnectorError as exc:
            return WriteOutcome(key, error=f"{lost}; looking for order {order.number} failed too: {exc}")
        made = next((node for node in found if node["name"] == order.number), None)
        if made is None:
            return WriteOutcome(key, error=f"{lost}; Shopify shows no order {order.number} yet, so the next run "
                                           "books it if it is still missing")  # fmt: skip
        response = {"id": made["id"], "name": made["name"], "settled": "found after its answer was lost"}
        return WriteOutcome(key, target_id=made["id"], response=response)
