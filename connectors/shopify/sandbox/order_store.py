"""The sandbox shop's orders, their fulfillment orders and fulfillments.

Orders come in two ways: a sale a shopper or POS till makes (`place_order`, which takes stock from
the till's location and sends Shopify's webhooks), and `orderCreate` from an API client (stock left
alone). Each order has a fulfillment order per location it ships from (one, unless a sale names a
location per line) holding what is left to ship; `fulfillmentCreate` ships from them and closes
each once nothing is left; cancelling puts unshipped stock back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.shopify.sandbox.customer_store import CustomerStore
from connectors.shopify.sandbox.inventory_store import InventoryStore
from connectors.shopify.sandbox.ledger import Ledger, now, user_error
from connectors.shopify.sandbox.product_store import ProductStore

TAX_RATE = "0.21"  # every line is taxed at the Dutch standard rate


class OrderStore:
    """Orders by id; their lines name variants of the product store, their customers the customer store's."""

    def __init__(
        self,
        ledger: Ledger,
        products: ProductStore,
        inventory: InventoryStore,
        customers: CustomerStore,
        currency: str,
    ) -> None:
        self.ledger = ledger
        self.products = products
        self.inventory = inventory
        self.customers = customers
        self.currency = currency  # the shop's
        self.orders: dict[str, dict[str, Any]] = {}

    def place_order(
        self,
        lines: Sequence[tuple[str, int] | tuple[str, int, str]],
        email: str | None = None,
        financial_status: str = "PAID",
        source: str = "web",
        location: str | None = None,
        billing_address: Mapping[str, Any] | None = None,
        gateway: str = "manual",
    ) -> str:
        """A sale as a shopper or a POS till makes it: an order at the variants' prices, stock taken
        from the location (the till's, or the first), and the webhooks Shopify sends for it. A line
        may name a location of its own (`(sku, quantity, location)`): Shopify then ships the order
        from several, a fulfillment order per location, each line's stock taken at its own."""
        inventory = self.inventory
        with self.ledger.changing() as events:
            location_id = inventory.location_named(location) if location else next(iter(inventory.locations), None)
            order_lines = []
            shipped_from: dict[str | None, list[dict[str, Any]]] = {}  # location → its lines, in order
            for sku, quantity, *own in lines:
                variant = self.products.variant_with_sku(sku)
                if variant is None:
                    raise ValueError(f"no variant with SKU {sku} to sell")
                product = self.products.products[variant["productId"]]
                line = {"id": self.ledger.new_id("LineItem"), "sku": sku, "title": product["title"],
                        "quantity": quantity, "price": variant["price"], "discount": "0.00",
                        "taxRate": TAX_RATE}  # fmt: skip
                order_lines.append(line)
                line_location = inventory.location_named(own[0]) if own else location_id
                shipped_from.setdefault(line_location, []).append(line)
                item_id = variant["inventoryItemId"]
                if inventory.stocks(item_id, line_location or "") and inventory.items[item_id]["tracked"]:
                    events.append(inventory.adjust(item_id, line_location or "", -quantity))
            order_id = self.ledger.new_id("Order")
            total = sum(Decimal(line["price"]) * line["quantity"] for line in order_lines)
            order = {
                "id": order_id, "name": f"#{order_id.rsplit('/', 1)[-1]}", "sourceName": source,
                "displayFinancialStatus": financial_status, "currencyCode": self.currency, "createdAt": now(),
                "updatedAt": now(), "cancelledAt": None, "taxesIncluded": True, "note": None, "email": email,
                "paymentGatewayNames": [gateway],
                "customer": self.customers.find_customer({"email": email}) if email else None,
                "billingAddress": dict(billing_address) if billing_address else None, "shippingAddress": None,
                "total": f"{total:.2f}", "retailLocation": location_id if source == "pos" else None,
                "lineItems": order_lines,
            }  # fmt: skip
            order["fulfillmentOrders"] = [self._fulfillment_order(where, shipped) for where, shipped in
                                          shipped_from.items()]  # fmt: skip
            order["fulfillments"] = []
            self.orders[order_id] = order
            payload = {"admin_graphql_api_id": order_id, "name": order["name"], "email": email,
                       "financial_status": financial_status.lower(), "source_name": source}  # fmt: skip
            events.append(("orders/create", payload))
            if financial_status == "PAID":
                events.append(("orders/paid", payload))
            return order_id

    def create_order(
        self, data: Mapping[str, Any], inventory: str = "BYPASS"
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """orderCreate: an order made elsewhere; with BYPASS (the default) stock is left alone."""
        lines, errors = self._order_lines(data)
        if errors:
            return None, errors
        with self.ledger.changing() as events:
            order_id = self.ledger.new_id("Order")
            email = data.get("email") or ((data.get("customer") or {}).get("toUpsert") or {}).get("email")
            upsert = (data.get("customer") or {}).get("toUpsert")
            customer = None
            if upsert and upsert.get("email"):
                customer = self.customers.find_customer({"email": upsert["email"]})
                if customer is None:
                    changes = {k: v for k, v in upsert.items() if v}
                    customer, _ = self.customers.customer_set({"email": upsert["email"]}, changes)
            total = sum(Decimal(line["price"]) * line["quantity"] for line in lines)
            status = str(data.get("financialStatus") or "PENDING")
            order = {
                "id": order_id, "name": data.get("name") or f"#{order_id.rsplit('/', 1)[-1]}",
                "sourceName": data.get("sourceName") or "api", "displayFinancialStatus": status,
                "currencyCode": data.get("currency") or self.currency, "createdAt": now(), "updatedAt": now(),
                "cancelledAt": None, "taxesIncluded": bool(data.get("taxesIncluded", True)), "note": data.get("note"),
                "email": email, "customer": customer, "billingAddress": None, "shippingAddress": None,
                "paymentGatewayNames": [t.get("gateway") or "manual" for t in data.get("transactions") or []]
                or ["manual"],
                "total": f"{total:.2f}", "retailLocation": None, "lineItems": lines, "fulfillments": [],
                "fulfillmentOrders": [self._fulfillment_order(None, lines)],
            }  # fmt: skip
            self.orders[order_id] = order
            payload = {"admin_graphql_api_id": order_id, "name": order["name"], "email": email,
                       "financial_status": status.lower(), "source_name": order["sourceName"]}  # fmt: skip
            events.append(("orders/create", payload))
            if status == "PAID":
                events.append(("orders/paid", payload))
            return order_id, []

    def _order_lines(self, data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """An OrderCreateOrderInput's lines as the store keeps them, and the userErrors of those it refuses."""
        errors = []
        lines = []
        for index, line in enumerate(data.get("lineItems") or []):
            path: list[str | int] = ["order", "lineItems", index]
            variant = self.products.variants.get(line.get("variantId") or "")
            if variant is None and not line.get("title"):
                errors.append(user_error([*path, "variantId"], "Variant does not exist", "INVALID"))
                continue
            if line["quantity"] <= 0:
                errors.append(user_error([*path, "quantity"], "Quantity must be positive", "INVALID"))
            price = ((line.get("priceSet") or {}).get("shopMoney") or {}).get("amount") or (variant or {}).get(
                "price", "0"
            )
            title = line.get("title") or (self.products.products[variant["productId"]]["title"] if variant else "")
            lines.append({"id": self.ledger.new_id("LineItem"), "sku": (variant or {}).get("sku"), "title": title,
                          "quantity": line["quantity"], "price": f"{Decimal(str(price)):.2f}", "discount": "0.00",
                          "taxRate": TAX_RATE})  # fmt: skip
        if not lines and not errors:
            errors.append(user_error(["order", "lineItems"], "An order needs line items", "INVALID"))
        return lines, errors

    def _fulfillment_order(self, location_id: str | None, lines: list[dict[str, Any]]) -> dict[str, Any]:
        """What is left to ship of an order's lines, from one location."""
        return {
            "id": self.ledger.new_id("FulfillmentOrder"), "status": "OPEN", "location": location_id,
            "lineItems": [{"id": self.ledger.new_id("FulfillmentOrderLineItem"), "lineItem": line["id"],
                           "sku": line["sku"], "totalQuantity": line["quantity"], "remainingQuantity": line["quantity"]}
                          for line in lines],
        }  # fmt: skip

    def cancel_order(self, order_id: str, restock: bool = True) -> None:
        """Cancel an order as the merchant does in the admin: stock goes back, orders/cancelled is sent."""
        with self.ledger.changing() as events:
            order = self.orders[order_id]
            if order["cancelledAt"] is not None:
                return
            order["cancelledAt"] = order["updatedAt"] = now()
            for fulfillment_order in order["fulfillmentOrders"]:
                if restock and fulfillment_order["location"]:
                    for item in fulfillment_order["lineItems"]:
                        variant = next(v for v in self.products.variants.values() if v.get("sku") == item["sku"])
                        item_id, location_id = variant["inventoryItemId"], fulfillment_order["location"]
                        if self.inventory.stocks(item_id, location_id) and item["remainingQuantity"]:
                            events.append(self.inventory.adjust(item_id, location_id, item["remainingQuantity"]))
                fulfillment_order["status"] = "CLOSED"
            events.append(("orders/cancelled", {"admin_graphql_api_id": order_id, "name": order["name"],
                                                "cancelled_at": order["cancelledAt"]}))  # fmt: skip

    def fulfill(self, data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """fulfillmentCreate: ship line items of one order's fulfillment orders, with tracking."""
        groups = data.get("lineItemsByFulfillmentOrder") or []
        found = [(o, fo) for o in self.orders.values() for fo in o["fulfillmentOrders"]
                 if fo["id"] in {g["fulfillmentOrderId"] for g in groups}]  # fmt: skip
        shipped, errors = self._shippable(groups, found)
        if errors or not shipped:
            return None, errors or [user_error(["fulfillment"], "Nothing left to fulfil.")]
        with self.ledger.changing() as events:
            order = found[0][0]
            for item, quantity in shipped:
                item["remainingQuantity"] -= quantity
            for _, fulfillment_order in found:
                if all(i["remainingQuantity"] == 0 for i in fulfillment_order["lineItems"]):
                    fulfillment_order["status"] = "CLOSED"
            tracking = data.get("trackingInfo") or {}
            fulfillment = {
                "id": self.ledger.new_id("Fulfillment"), "name": f"{order['name']}-F{len(order['fulfillments']) + 1}",
                "status": "SUCCESS", "createdAt": now(),
                "trackingInfo": [{"number": tracking.get("number"), "company": tracking.get("company"),
                                  "url": tracking.get("url")}] if tracking else [],
                "lines": [(item["sku"], quantity) for item, quantity in shipped],
            }  # fmt: skip
            order["fulfillments"].append(fulfillment)
            order["updatedAt"] = now()
            payload = {"admin_graphql_api_id": fulfillment["id"], "name": fulfillment["name"], "order_id": order["id"],
                       "tracking_number": tracking.get("number")}  # fmt: skip
            events.append(("fulfillments/create", payload))
            return fulfillment, []

    def _shippable(
        self, groups: list[dict[str, Any]], found: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> tuple[list[tuple[dict[str, Any], int]], list[dict[str, Any]]]:
        """The (fulfillment order line, quantity) pairs a FulfillmentInput ships, and what is wrong with it."""
        errors = []
        if not groups or len(found) != len(groups):
            message = "Fulfillment order does not exist."
            errors.append(user_error(["fulfillment", "lineItemsByFulfillmentOrder"], message))
        if len({o["id"] for o, _ in found}) > 1:
            errors.append(user_error(["fulfillment"], "All fulfillment orders must belong to the same order."))
        shipped: list[tuple[dict[str, Any], int]] = []
        for (_, fulfillment_order), group in zip(found, groups, strict=False):
            if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS"):
                message = f"Fulfillment order {fulfillment_order['id']} is {fulfillment_order['status'].lower()}."
                errors.append(user_error(["fulfillment"], message))
            items = {item["id"]: item for item in fulfillment_order["lineItems"]}
            wanted = group.get("fulfillmentOrderLineItems")
            if wanted is None:  # the whole fulfillment order
                wanted = [{"id": i, "quantity": v["remainingQuantity"]} for i, v in items.items()]
            for entry in wanted:
                item = items.get(entry["id"])
                if item is None:
                    message = f"Line item {entry['id']} is not part of the fulfillment order."
                    errors.append(user_error(["fulfillment"], message))
                elif entry["quantity"] > item["remainingQuantity"]:
                    left = item["remainingQuantity"]
                    message = f"Quantity {entry['quantity']} of {item['sku']} exceeds the {left} left."
                    errors.append(user_error(["fulfillment"], message))
                elif entry["quantity"] > 0:
                    shipped.append((item, entry["quantity"]))
        return shipped, errors
