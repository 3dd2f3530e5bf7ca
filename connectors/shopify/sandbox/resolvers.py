"""The GraphQL face of the sandbox store: Shopify's types as dicts, fields with arguments as functions.

graphql-core's default resolver reads a dict key per field and calls it when it is a function, so
each view below is a dict shaped like the Shopify type it stands for.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Sequence
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, graphql_sync, parse, validate

from connectors.shopify.sandbox import search
from connectors.shopify.sandbox.bulk import json_lines
from connectors.shopify.sandbox.shop import Shop
from connectors.shopify.sandbox.webhooks import Dispatcher, Subscription
from connectors.shopify.schema import admin_schema

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
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def product(self, product_id: str) -> dict[str, Any]:
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
        v = self.shop.variants[variant_id]
        return {
            **{k: v.get(k) for k in ("id", "sku", "barcode", "title", "price", "compareAtPrice", "position")},
            "selectedOptions": v["selectedOptions"],
            "product": lambda info: self.product(v["productId"]),
            "inventoryItem": lambda info: self.item(v["inventoryItemId"]),
        }

    def item(self, item_id: str) -> dict[str, Any]:
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
        c = self.shop.collections[collection_id]

        def metafield(info: Any, key: str, namespace: str | None = None) -> dict[str, Any] | None:
            value = c["metafields"].get((namespace or "custom", key))
            return None if value is None else {"namespace": namespace, "key": key, "value": value}

        return {**{k: c[k] for k in ("id", "handle", "title", "descriptionHtml", "updatedAt")}, "metafield": metafield}

    def customer(self, customer_id: str) -> dict[str, Any]:
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
        o = self.shop.orders[order_id]
        currency = o["currencyCode"]

        def money(amount: str) -> dict[str, Any]:
            return {
                "shopMoney": {"amount": amount, "currencyCode": currency},
                "presentmentMoney": {"amount": amount, "currencyCode": currency},
            }

        lines = [
            {"sku": line["sku"], "title": line["title"], "quantity": line["quantity"], "name": line["title"],
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
                o["fulfillmentOrders"], _fulfillment_order_view, **_paging(page)
            ),
            "fulfillments": lambda info, first=None, query=None: [
                _fulfillment_view(f) for f in o["fulfillments"][: first or None]
            ],
        }  # fmt: skip

    def location(self, location_id: str) -> dict[str, Any]:
        return dict(self.shop.locations[location_id])


def root(shop: Shop, webhooks: Dispatcher) -> dict[str, Any]:
    """The query and mutation root fields the connector uses."""
    views = Views(shop)

    def webhook_subscription_create(info: Any, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
        uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        if not uri or not str(uri).startswith(("http://", "https://")):
            error = {"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}
            return {"webhookSubscription": None, "userErrors": [error]}
        namespaces = tuple(webhookSubscription.get("metafieldNamespaces") or ())
        subscription = Subscription(shop.new_id("WebhookSubscription"), topic, str(uri), namespaces)
        webhooks.subscribe(subscription)
        view = {
            "id": subscription.id, "topic": topic, "uri": subscription.uri, "callbackUrl": subscription.uri,
            "format": "JSON", "includeFields": [], "metafieldNamespaces": list(namespaces),
            "createdAt": subscription.created_at, "updatedAt": subscription.created_at,
        }  # fmt: skip
        return {"webhookSubscription": view, "userErrors": []}

    def product_by_identifier(info: Any, identifier: dict[str, Any]) -> dict[str, Any] | None:
        found = shop.find_product(identifier)
        return views.product(found) if found else None

    def products(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        chosen = [pid for pid, p in shop.products.items() if search.matches(query, _product_fields(shop, p))]
        return connection(chosen, views.product, **_paging(page))

    def product_variants(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        chosen = [
            vid
            for vid, v in shop.variants.items()
            if search.matches(query, {"sku": v.get("sku"), "product_id": v["productId"].rsplit("/", 1)[-1]})
        ]
        return connection(chosen, views.variant, **_paging(page))

    def locations(info: Any, includeInactive: bool = False, **page: Any) -> dict[str, Any]:
        chosen = [lid for lid, loc in shop.locations.items() if loc["isActive"] or includeInactive]
        return connection(chosen, views.location, **_paging(page))

    def product_set(
        info: Any, input: dict[str, Any], identifier: dict[str, Any] | None = None, synchronous: bool = True
    ) -> dict[str, Any]:
        product_id, errors = shop.product_set(identifier, input)
        return {
            "product": views.product(product_id) if product_id else None,
            "productSetOperation": None,
            "userErrors": errors,
        }

    def product_create(
        info: Any, product: dict[str, Any] | None = None, input: dict[str, Any] | None = None, media: Any = None
    ) -> dict[str, Any]:
        product_id, errors = shop.product_create(product or input or {})
        return {"product": views.product(product_id) if product_id else None, "shop": None, "userErrors": errors}

    def product_variants_bulk_create(
        info: Any, productId: str, variants: list[dict[str, Any]], strategy: str | None = None, media: Any = None
    ) -> dict[str, Any]:
        created, errors = shop.add_variants(productId, variants, strategy or "DEFAULT")
        return {
            "product": views.product(productId) if not errors else None,
            "productVariants": [views.variant(v) for v in created] if not errors else None,
            "userErrors": errors,
        }

    def inventory_set_quantities(info: Any, input: dict[str, Any]) -> dict[str, Any]:
        changes, errors = shop.set_quantities(input)
        group = None
        if not errors:
            group = {
                "id": shop.new_id("InventoryAdjustmentGroup"),
                "reason": input["reason"],
                "referenceDocumentUri": input.get("referenceDocumentUri"),
                "changes": [
                    {**c, "item": views.item(c["item"]), "location": views.location(c["location"])} for c in changes
                ],
            }
        return {"inventoryAdjustmentGroup": group, "userErrors": errors}

    def inventory_item_update(info: Any, id: str, input: dict[str, Any]) -> dict[str, Any]:
        item, errors = shop.update_item(id, input)
        return {"inventoryItem": views.item(id) if item else None, "userErrors": errors}

    def bulk_operation_run_query(info: Any, query: str, groupObjects: bool = False) -> dict[str, Any]:
        problems = _bulk_problems(query)
        if problems:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["query"], "message": p, "code": "INVALID"} for p in problems],
            }
        BULK.active = True
        try:
            result = graphql_sync(admin_schema(), query, root_value=root(shop, webhooks))
        finally:
            BULK.active = False
        if result.errors:
            message = "; ".join(error.message for error in result.errors)
            return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": message, "code": "INVALID"}]}
        text, count = json_lines(result.data or {})
        roots = sum(1 for line in text.splitlines() if "__parentId" not in line)
        operation = shop.add_bulk_operation(query, text, count, roots)
        return {"bulkOperation": {**operation, "status": "CREATED"}, "userErrors": []}

    def customers(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        def fields(c: dict[str, Any]) -> dict[str, Any]:
            return {"email": c["email"], "phone": c["phone"], "tag": c["tags"], "updated_at": c["updatedAt"]}

        chosen = [cid for cid, c in shop.customers.items() if search.matches(query, fields(c))]
        return connection(chosen, views.customer, **_paging(page))

    def customer_set(info: Any, input: dict[str, Any], identifier: dict[str, Any] | None = None) -> dict[str, Any]:
        customer_id, errors = shop.customer_set(identifier, input)
        return {"customer": views.customer(customer_id) if customer_id else None, "userErrors": errors}

    def orders(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        def fields(o: dict[str, Any]) -> dict[str, Any]:
            return {"name": o["name"], "financial_status": o["displayFinancialStatus"].lower(), "email": o["email"],
                    "source_name": o["sourceName"], "updated_at": o["updatedAt"], "created_at": o["createdAt"],
                    "status": "cancelled" if o["cancelledAt"] else "open"}  # fmt: skip

        chosen = sorted((oid for oid, o in shop.orders.items() if search.matches(query, fields(o))),
                        key=lambda oid: (shop.orders[oid]["updatedAt"], oid))  # fmt: skip
        return connection(chosen, views.order, **_paging(page))

    def collection_by_identifier(info: Any, identifier: dict[str, Any]) -> dict[str, Any] | None:
        found = identifier.get("id") if identifier.get("id") in shop.collections else None
        found = found or (shop.collection_by_handle(identifier["handle"]) if identifier.get("handle") else None)
        return views.collection(found) if found else None

    def collections(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        chosen = [
            cid
            for cid, c in shop.collections.items()
            if search.matches(query, {"handle": c["handle"], "title": c["title"]})
        ]
        return connection(chosen, views.collection, **_paging(page))

    def collection_set(creating: bool) -> Any:
        def resolve(info: Any, collection: dict[str, Any]) -> dict[str, Any]:
            collection_id, errors = shop.collection_set(collection, creating)
            return {
                "collection": views.collection(collection_id) if collection_id else None,
                "userErrors": errors,
                "job": None,
            }

        return resolve

    def price_list_view(list_id: str) -> dict[str, Any]:
        price_list = shop.price_lists[list_id]
        entries = list(price_list["prices"].items())
        return {
            "id": list_id, "name": price_list["name"], "currency": price_list["currency"],
            "fixedPricesCount": len(entries),
            "prices": lambda info, originType=None, query=None, **page: connection(
                entries, lambda entry: {"variant": views.variant(entry[0]), "price": entry[1]["price"],
                                        "compareAtPrice": entry[1]["compareAtPrice"], "originType": "FIXED"},
                **_paging(page),
            ),
        }  # fmt: skip

    def fixed_prices_add(info: Any, priceListId: str, prices: list[dict[str, Any]]) -> dict[str, Any]:
        added, errors = shop.add_fixed_prices(priceListId, prices)
        entries = [{"variant": views.variant(v)} for v in added]
        return {"prices": entries if not errors else None, "userErrors": errors}

    def fulfillment_create(info: Any, fulfillment: dict[str, Any], message: str | None = None) -> dict[str, Any]:
        made, errors = shop.fulfill(fulfillment)
        return {"fulfillment": _fulfillment_view(made) if made else None, "userErrors": errors}

    def order_create(info: Any, order: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
        order_id, errors = shop.create_order(order, (options or {}).get("inventoryBehaviour") or "BYPASS")
        return {"order": views.order(order_id) if order_id else None, "userErrors": errors}

    return {
        "orderCreate": order_create,
        "fulfillmentCreate": fulfillment_create,
        "priceLists": lambda info, **page: connection(list(shop.price_lists), price_list_view, **_paging(page)),
        "priceList": lambda info, id: price_list_view(id) if id in shop.price_lists else None,
        "priceListFixedPricesAdd": fixed_prices_add,
        "collectionByIdentifier": collection_by_identifier,
        "collectionByHandle": lambda info, handle: collection_by_identifier(info, {"handle": handle}),
        "collections": collections,
        "collectionCreate": collection_set(creating=True),
        "collectionUpdate": collection_set(creating=False),
        "orders": orders,
        "customers": customers,
        "customerSet": customer_set,
        "bulkOperationRunQuery": bulk_operation_run_query,
        "bulkOperation": lambda info, id: shop.bulk_operations.get(id),
        "shop": {"name": shop.name, "myshopifyDomain": f"{shop.name}.myshopify.com", "id": "gid://shopify/Shop/1"},
        "productByIdentifier": product_by_identifier,
        "products": products,
        "productVariants": product_variants,
        "locations": locations,
        "productSet": product_set,
        "productCreate": product_create,
        "productVariantsBulkCreate": product_variants_bulk_create,
        "inventorySetQuantities": inventory_set_quantities,
        "inventoryItemUpdate": inventory_item_update,
        "webhookSubscriptionCreate": webhook_subscription_create,
    }


def _fulfillment_order_view(fulfillment_order: dict[str, Any]) -> dict[str, Any]:
    items = fulfillment_order["lineItems"]
    return {"id": fulfillment_order["id"], "status": fulfillment_order["status"],
            "lineItems": lambda info, **page: connection(items, lambda item: dict(item), **_paging(page))}  # fmt: skip


def _fulfillment_view(fulfillment: dict[str, Any]) -> dict[str, Any]:
    lines = [{"quantity": quantity, "lineItem": {"sku": sku}} for sku, quantity in fulfillment["lines"]]
    return {
        **{k: fulfillment[k] for k in ("id", "name", "status", "createdAt")},
        "trackingInfo": lambda info, first=None: fulfillment["trackingInfo"][: first or None],
        "fulfillmentLineItems": lambda info, **page: connection(lines, lambda line: line, **_paging(page)),
    }


def _address_view(address: dict[str, Any]) -> dict[str, Any]:
    view = {k: address.get(k) for k in ("firstName", "lastName", "company", "address1", "address2", "zip", "city",
                                         "province", "phone")}  # fmt: skip
    view["countryCodeV2"] = view["countryCode"] = address.get("countryCode")
    view["country"] = address.get("country") or address.get("countryCode")
    view["name"] = " ".join(p for p in (address.get("firstName"), address.get("lastName")) if p) or None
    return view


def _bulk_problems(query: str) -> list[str]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.message]
    problems = [error.message for error in validate(admin_schema(), document)]
    if any(isinstance(d, OperationDefinitionNode) and d.operation.value != "query" for d in document.definitions):
        problems.append("Bulk queries cannot contain mutations.")
    return problems


def _number(global_id: str) -> str:
    return global_id.rsplit("/", 1)[-1]


def _paging(page: dict[str, Any]) -> dict[str, Any]:
    return {k: page.get(k) for k in ("first", "last", "after")}


def _product_fields(shop: Shop, product: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": product["title"],
        "status": product["status"],
        "vendor": product["vendor"],
        "product_type": product["productType"],
        "tag": product["tags"],
        "sku": [shop.variants[v].get("sku") for v in product["variants"]],
        "updated_at": product["updatedAt"],
    }
