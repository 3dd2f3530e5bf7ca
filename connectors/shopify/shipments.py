"""Shipments as Shopify fulfillments with track and trace.

A fulfillment has no id of the sender's, so a shipment is known in Shopify by its order and
tracking number: its key is `ORDER/TRACKING` (`#1001/3SABC123`). Shipping takes the shipment's
lines from what is left to fulfil on the order; a shipment without lines ships all that is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.errors import RecordError
from engine.records import Shipment, ShipmentLine

KEY_MAPPING = "join('/', [order_number, tracking_number || key])"


def key_of(order_name: str, tracking_number: str | None, fallback: str) -> str:
    return f"{order_name}/{tracking_number or fallback}"


def from_order(order: Mapping[str, Any]) -> list[Shipment]:
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
