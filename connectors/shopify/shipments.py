"""Shipments as Shopify fulfillments with track and trace.

A fulfillment has no id of the sender's, so a shipment is known in Shopify by its order and
tracking number: its key is `ORDER/TRACKING` (`#1001/3SABC123`). Shipping takes the shipment's
lines from what is left to fulfil on the order; a shipment without lines ships all that is left.
Each shipment is one `fulfillmentCreate`, after which the order is read again for what is left.
`fulfillmentCreate` takes no idempotency key: one whose answer was lost is settled by reading the
order again and looking for the shipment's key among its fulfillments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.shopify.orders import name_query
from connectors.shopify.session import Session, chunks_or_all, of_type, user_errors
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, RecordError, RetriableConnectorError
from engine.keys import Key
from engine.records import Record, Shipment, ShipmentLine

ORDERS_PER_READ = 4  # orders with their fulfillment orders and fulfillments, under the query cost limit


def key_of(order_name: str, tracking_number: str | None, fallback: str) -> str:
    """A shipment's key: `ORDER/TRACKING`, or the fulfillment's name where it has no tracking number."""
    return f"{order_name}/{tracking_number or fallback}"


def from_order(order: Mapping[str, Any]) -> list[Shipment]:
    """The shipments of an `OrderFulfillments` order node, one per fulfillment."""
    shipments = []
    for fulfillment in order.get("fulfillments") or []:
        tracking = (fulfillment.get("trackingInfo") or [{}])[0] if fulfillment.get("trackingInfo") else {}
        lines = [
            ShipmentLine(sku=node["lineItem"]["sku"] or "", quantity=Decimal(node["quantity"]))
            for node in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []
        ]
        shipments.append(Shipment(
            key=key_of(order["name"], tracking.get("number"), fulfillment["name"]),
            order_number=order["name"],
            tracking_number=tracking.get("number"),
            tracking_url=tracking.get("url"),
            carrier=tracking.get("company"),
            lines=tuple(lines),
        ))  # fmt: skip
    return shipments


def fulfillment_input(shipment: Shipment, order: Mapping[str, Any], notify: bool) -> dict[str, Any]:
    """The FulfillmentInput that ships `shipment` from the order's open fulfillment orders."""
    open_orders = [fo for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []
                   if fo["status"] in ("OPEN", "IN_PROGRESS")]  # fmt: skip
    if not open_orders:
        raise RecordError(f"order {order['name']} has nothing left to fulfil", "order_number")
    groups: dict[str, list[dict[str, Any]]] = {}
    for line in shipment.lines:
        left = int(line.quantity)
        if line.quantity != left:
            raise RecordError(f"Shopify ships whole units; {line.sku} has {line.quantity}", "lines")
        for fo in open_orders:
            for item in fo["lineItems"]["nodes"]:
                if item["sku"] == line.sku and item["remainingQuantity"] and left:
                    take = min(left, item["remainingQuantity"])
                    groups.setdefault(fo["id"], []).append({"id": item["id"], "quantity": take})
                    left -= take
        if left:
            raise RecordError(f"order {order['name']} has no {line.quantity} of {line.sku} left to fulfil", "lines")
    by_order = (
        [{"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items} for fo_id, items in groups.items()]
        if shipment.lines
        else [{"fulfillmentOrderId": fo["id"]} for fo in open_orders]
    )
    data: dict[str, Any] = {"lineItemsByFulfillmentOrder": by_order, "notifyCustomer": notify}
    tracking = {"number": shipment.tracking_number, "company": shipment.carrier, "url": shipment.tracking_url}
    if any(tracking.values()):
        data["trackingInfo"] = {k: v for k, v in tracking.items() if v}
    return data


class Shipments:
    """Reads fulfillments as shipments; ships orders."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The shipments with these keys (read from their orders), or those of every order."""
        names = list(dict.fromkeys(key[0].rsplit("/", 1)[0] for key in keys)) if keys is not None else None
        found = [s for order in self._orders(names) for s in from_order(order)]
        return [s for s in found if keys is None or (s.key,) in set(keys)]

    def _orders(self, names: list[str] | None) -> list[dict[str, Any]]:
        """Orders by name (all when None) with what is left to fulfil and what was shipped."""
        found: list[dict[str, Any]] = []
        for chunk in chunks_or_all(names, ORDERS_PER_READ):
            variables = {"query": name_query(chunk) if chunk else "", "first": ORDERS_PER_READ}
            found += list(self.session.nodes("OrderFulfillments", "orders", variables))
        return found

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Ships each shipment from its order's open fulfillment orders, one request per shipment."""
        shipments = of_type(records, Shipment)
        by_name = {order["name"]: order for order in self._orders([s.order_number for s in shipments])}
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):
            for shipment in shipments:
                key = (shipment.key,)
                order = by_name.get(shipment.order_number)
                try:
                    if order is None:
                        raise RecordError(f"Shopify has no order {shipment.order_number}", "order_number")
                    data = fulfillment_input(shipment, order, self.session.settings.notify_customers)
                except RecordError as exc:
                    outcomes.append(WriteOutcome(key, error=str(exc)))
                    continue
                try:
                    payload = self.session.request("FulfillmentCreate", {"fulfillment": data})["fulfillmentCreate"]
                except AnswerLostError as lost:
                    outcomes.append(self._settle(shipment, lost, by_name))
                    continue
                if payload["userErrors"]:
                    outcomes.append(WriteOutcome(key, error=user_errors(payload["userErrors"]), response=payload))
                    continue
                made = payload["fulfillment"]
                response = {"id": made["id"], "name": made["name"]}
                outcomes.append(WriteOutcome(key, target_id=made["id"], response=response))
                by_name.update({o["name"]: o for o in self._orders([shipment.order_number])})  # what is left
        return outcomes

    def _settle(self, shipment: Shipment, lost: AnswerLostError, by_name: dict[str, dict[str, Any]]) -> WriteOutcome:
        """The outcome of a `fulfillmentCreate` whose answer was lost, from the order as it is now."""
        key = (shipment.key,)
        try:
            by_name.update({o["name"]: o for o in self._orders([shipment.order_number])})
        except RetriableConnectorError as exc:
            return WriteOutcome(key, error=f"{lost}; reading order {shipment.order_number} failed too: {exc}")
        order = by_name.get(shipment.order_number) or {}
        made = next((f for f in order.get("fulfillments") or [] if (s := from_order({**order, "fulfillments": [f]}))
                     and s[0].key == shipment.key), None)  # fmt: skip
        if made is None:
            return WriteOutcome(key, error=f"{lost}; order {shipment.order_number} shows no shipment {shipment.key}, "
                                           "so the next run ships it if it is still missing")  # fmt: skip
        return WriteOutcome(key, target_id=made["id"], response={"id": made["id"], "name": made["name"]})
