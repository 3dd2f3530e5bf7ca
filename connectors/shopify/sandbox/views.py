"""Shopify's types as the sandbox shows them: dicts shaped like each type, fields with arguments as
functions, and connections paged as Shopify pages them.

graphql-core's default resolver reads a dict key per field and calls it when it is a function, so
each view below is a dict shaped like the Shopify type it stands for. Views reach across aggregates
as Shopify's types do (a variant's inventory item, an order's customer), so they live together here;
the root fields that hand them out are each aggregate's, in `resolvers`.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError

from connectors.shopify.sandbox.shop import Shop

MAX_PAGE = 250


class _Bulk(threading.local):
    active = False


BULK = _Bulk()  # set while a bulk operation's query runs in this thread


def connection(
    items: Sequence[Any],
    view: Callable[[Any], dict[str, Any]],
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """A Shopify connection over `items`: nodes, edges with cursors, pageInfo."""
    if first is None and last is None:
        if not BULK.active:
            raise GraphQLError("you must provide one of first or last")
        first = len(items)  # a bulk operation reads every item
    elif first is not None and BULK.active:
        first = len(items)
    size = first if first is not None else last
    assert size is not None
    if (size > MAX_PAGE and not BULK.active) or size < 0:
        raise GraphQLError(f"The value of first or last must be between 0 and {MAX_PAGE}")
    start = _decode(after) + 1 if after else 0
    page = list(items[start : start + size]) if first is not None else list(items[max(len(items) - size, 0) :])
    first_index = start if first is not None else max(len(items) - size, 0)
    nodes = [view(item) for item in page]
    edges = [{"node": node, "cursor": _encode(first_index + i)} for i, node in enumerate(nodes)]
    return {
        "nodes": nodes,
        "edges": edges,
        "pageInfo": {
            "hasNextPage": first_index + len(page) < len(items),
            "hasPreviousPage": first_index > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _encode(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _decode(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1])
    except (ValueError, IndexError):
        raise GraphQLError(f"Invalid cursor: {cursor}") from None


class Views:
    """The views of one shop's objects, by id; each is built when a query reaches it."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def product(self, product_id: str) -> dict[str, Any]:
        """A Product: its metafields, options, collections and variants."""
        p = self.shop.products[product_id]
        metafields = [{"namespace": ns, "key": key, "value": value, "type": "single_line_text_field"}
                      for (ns, key), value in p["metafields"].items()]  # fmt: skip

        def metafield(info: Any, key: str, namespace: str | None = None) -> dict[str, Any] | None:
            return next((m for m in metafields if m["key"] == key and m["namespace"] == (namespace or "custom")), None)

        def metafields_of(
            info: Any, namespace: str | None = None, keys: list[str] | None = None, **page: Any
        ) -> dict[str, Any]:
            chosen = [m for m in metafields if (namespace is None or m["namespace"] == namespace)
                      and (keys is None or f"{m['namespace']}.{m['key']}" in keys)]  # fmt: skip
            return connection(chosen, lambda m: m, **page)

        return {
            **{
                k: p[k]
                for k in (
                    "id",
                    "handle",
                    "title",
                    "descriptionHtml",
                    "vendor",
                    "productType",
                    "status",
                    "tags",
                    "createdAt",
                    "updatedAt",
                )
            },
            "metafield": metafield,
            "metafields": metafields_of,
            "options": lambda info, first=None: [
                {
                    "id": f"{product_id}/option/{o['position']}",
                    "name": o["name"],
                    "position": o["position"],
                    "values": o["values"],
                    "optionValues": [{"name": v, "hasVariants": True} for v in o["values"]],
                }
                for o in p["options"][: first or None]
            ],
            "collections": lambda info, **page: connection(p["collections"], self.collection, **page),
            "variants": lambda info, **page: connection(p["variants"], self.variant, **page),
        }

    def variant(self, variant_id: str) -> dict[str, Any]:
        """A ProductVariant, with its product and inventory item."""
        v = self.shop.variants[variant_id]
        return {
            **{k: v.get(k) for k in ("id", "sku", "barcode", "title", "price", "compareAtPrice", "position")},
            "selectedOptions": v["selectedOptions"],
            "product": lambda info: self.product(v["productId"]),
            "inventoryItem": lambda info: self.item(v["inventoryItemId"]),
        }

    def item(self, item_id: str) -> dict[str, Any]:
        """An InventoryItem, with its stock levels."""
        item = self.shop.items[item_id]
        levels = [key for key in self.shop.levels if key[0] == item_id]
        return {
            "id": item_id,
            "sku": item["sku"],
            "tracked": item["tracked"],
            "variant": lambda info: self.variant(item["variantId"]),
            "inventoryLevels": lambda info, **page: connection(levels, self.level, **page),
        }

    def level(self, key: tuple[str, str]) -> dict[str, Any]:
        """An InventoryLevel: one item's quantities at one location."""
        quantities = self.shop.levels[key]
        return {
            "id": f"gid://shopify/InventoryLevel/{_number(key[1])}?inventory_item_id={_number(key[0])}",
            "location": lambda info: self.location(key[1]),
            "item": lambda info: self.item(key[0]),
            "quantities": lambda info, names: [
                {"id": f"{key[0]}/{name}", "name": name, "quantity": quantities.get(name, 0)} for name in names
            ],
        }

    def collection(self, collection_id: str) -> dict[str, Any]:
        """A Collection and its metafields."""
        c = self.shop.collections[collection_id]

        def metafield(info: Any, key: str, namespace: str | None = None) -> dict[str, Any] | None:
            value = c["metafields"].get((namespace or "custom", key))
            return None if value is None else {"namespace": namespace, "key": key, "value": value}

        return {**{k: c[k] for k in ("id", "handle", "title", "descriptionHtml", "updatedAt")}, "metafield": metafield}

    def customer(self, customer_id: str) -> dict[str, Any]:
        """A Customer and its addresses."""
        c = self.shop.customers[customer_id]
        addresses = [_address_view(a) for a in c["addresses"]]
        return {
            **{
                k: c.get(k)
                for k in ("id", "email", "firstName", "lastName", "phone", "tags", "note", "createdAt", "updatedAt")
            },
            "addresses": lambda info, first=None: addresses[: first or None],
            "defaultAddress": addresses[0] if addresses else None,
        }

    def order(self, order_id: str) -> dict[str, Any]:
        """An Order: money in the shop's currency, lines, fulfillment orders and fulfillments."""
        o = self.shop.orders[order_id]
        currency = o["currencyCode"]

        def money(amount: str) -> dict[str, Any]:
            return {
                "shopMoney": {"amount": amount, "currencyCode": currency},
                "presentmentMoney": {"amount": amount, "currencyCode": currency},
            }

        lines = [
            {"id": line["id"], "sku": line["sku"], "title": line["title"], "quantity": line["quantity"],
             "name": line["title"],
             "originalUnitPriceSet": money(line["price"]), "totalDiscountSet": money(line["discount"]),
             "taxLines": [{"rate": float(line["taxRate"]), "title": "VAT"}]}
            for line in o["lineItems"]
        ]  # fmt: skip
        return {
            **{k: o[k] for k in ("id", "name", "sourceName", "displayFinancialStatus", "currencyCode", "createdAt",
                                 "updatedAt", "cancelledAt", "taxesIncluded", "note", "email", "paymentGatewayNames")},
            "customer": self.customer(o["customer"]) if o["customer"] else None,
            "billingAddress": _address_view(o["billingAddress"]) if o["billingAddress"] else None,
            "shippingAddress": _address_view(o["shippingAddress"]) if o["shippingAddress"] else None,
            "totalPriceSet": money(o["total"]),
            "retailLocation": self.location(o["retailLocation"]) if o["retailLocation"] else None,
            "lineItems": lambda info, **page: connection(lines, lambda line: line, **page),
            "fulfillmentOrders": lambda info, **page: connection(
                o["fulfillmentOrders"], self.fulfillment_order, **paging(page)
            ),
            "fulfillments": lambda info, first=None, query=None: [
                fulfillment_view(f) for f in o["fulfillments"][: first or None]
            ],
        }  # fmt: skip

    def fulfillment_order(self, fulfillment_order: dict[str, Any]) -> dict[str, Any]:
        """A FulfillmentOrder: what is left to ship, and the location assigned to ship it. Shopify
        assigns every fulfillment order a location (`assignedLocation` is non-null); one the store
        made without (an order booked through the API) is assigned the shop's first location."""
        items = fulfillment_order["lineItems"]
        location_id = fulfillment_order["location"] or next(iter(self.shop.locations), None)
        location = self.location(location_id) if location_id else None
        assigned = {"name": (location or {}).get("name") or "", "countryCode": "NL", "location": location}
        return {
            "id": fulfillment_order["id"], "status": fulfillment_order["status"], "assignedLocation": assigned,
            "lineItems": lambda info, **page: connection(items, _fulfillment_line, **paging(page)),
        }  # fmt: skip

    def location(self, location_id: str) -> dict[str, Any]:
        """A Location."""
        return dict(self.shop.locations[location_id])

    def price_list(self, list_id: str) -> dict[str, Any]:
        """A PriceList and its fixed prices."""
        price_list = self.shop.price_lists[list_id]
        entries = list(price_list["prices"].items())
        return {
            "id": list_id, "name": price_list["name"], "currency": price_list["currency"],
            "fixedPricesCount": len(entries),
            "prices": lambda info, originType=None, query=None, **page: connection(
                entries, lambda entry: {"variant": self.variant(entry[0]), "price": entry[1]["price"],
                                        "compareAtPrice": entry[1]["compareAtPrice"], "originType": "FIXED"},
                **paging(page),
            ),
        }  # fmt: skip


def _fulfillment_line(item: dict[str, Any]) -> dict[str, Any]:
    """A FulfillmentOrderLineItem: how many of one of the order's lines the fulfillment order holds."""
    return {**item, "lineItem": {"id": item["lineItem"], "sku": item["sku"]}}


def fulfillment_view(fulfillment: dict[str, Any]) -> dict[str, Any]:
    """A Fulfillment: its tracking and the lines it shipped."""
    lines = [{"quantity": quantity, "lineItem": {"sku": sku}} for sku, quantity in fulfillment["lines"]]
    return {
        **{k: fulfillment[k] for k in ("id", "name", "status", "createdAt")},
        "trackingInfo": lambda info, first=None: fulfillment["trackingInfo"][: first or None],
        "fulfillmentLineItems": lambda info, **page: connection(lines, lambda line: line, **paging(page)),
    }


def _address_view(address: dict[str, Any]) -> dict[str, Any]:
    view = {k: address.get(k) for k in ("firstName", "lastName", "company", "address1", "address2", "zip", "city",
                                         "province", "phone")}  # fmt: skip
    view["countryCodeV2"] = view["countryCode"] = address.get("countryCode")
    view["country"] = address.get("country") or address.get("countryCode")
    view["name"] = " ".join(p for p in (address.get("firstName"), address.get("lastName")) if p) or None
    return view


def _number(global_id: str) -> str:
    return global_id.rsplit("/", 1)[-1]


def paging(page: dict[str, Any]) -> dict[str, Any]:
    """The paging arguments of a connection field, the others (query, sortKey, …) left out."""
    return {k: page.get(k) for k in ("first", "last", "after")}
