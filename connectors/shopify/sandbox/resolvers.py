"""The root fields of the sandbox's GraphQL API: one dict per aggregate, from root field to resolver.

`root` merges them into the root value graphql-core runs a request against, each mutation under the
rules of Shopify's `@idempotent` directive (`idempotency`). A resolver takes the field's arguments
by their GraphQL names, asks the shop (`Shop`, the facade over the stores) to read or change its
data, and answers with the views of `views` and the `userErrors` the store gave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, graphql_sync, parse, validate

from connectors.shopify.sandbox import search
from connectors.shopify.sandbox.bulk import LimitReached, json_lines
from connectors.shopify.sandbox.shop import Shop
from connectors.shopify.sandbox.views import BULK, Views, connection, fulfillment_view, paging
from connectors.shopify.sandbox.webhooks import Dispatcher, Subscription
from connectors.shopify.schema import admin_schema

RootFields = dict[str, Any]  # root field → its resolver (or, for a field without arguments, its value)


def root(shop: Shop, webhooks: Dispatcher) -> RootFields:
    """The query and mutation root fields the connector uses, each answered by its aggregate's resolver."""
    views = Views(shop)
    return shop.idempotency.guard({
        **product_fields(shop, views),
        **inventory_fields(shop, views),
        **collection_fields(shop, views),
        **customer_fields(shop, views),
        **order_fields(shop, views),
        **price_list_fields(shop, views),
        **bulk_operation_fields(shop, lambda: root(shop, webhooks)),
        **webhook_fields(shop, webhooks),
        "shop": {"name": shop.name, "myshopifyDomain": f"{shop.name}.myshopify.com", "id": "gid://shopify/Shop/1"},
    })  # fmt: skip


def product_fields(shop: Shop, views: Views) -> RootFields:
    """Products and variants: read by identifier or search, written with productSet, productCreate
    and productVariantsBulkCreate."""

    def product_by_identifier(info: Any, identifier: dict[str, Any]) -> dict[str, Any] | None:
        found = shop.find_product(identifier)
        return views.product(found) if found else None

    def products(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        chosen = [pid for pid, p in shop.products.items() if search.matches(query, _product_search_fields(shop, p))]
        return connection(chosen, views.product, **paging(page))

    def product_variants(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        chosen = [
            vid
            for vid, v in shop.variants.items()
            if search.matches(query, {"sku": v.get("sku"), "product_id": v["productId"].rsplit("/", 1)[-1]})
        ]
        return connection(chosen, views.variant, **paging(page))

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

    return {
        "productByIdentifier": product_by_identifier,
        "products": products,
        "productVariants": product_variants,
        "productSet": product_set,
        "productCreate": product_create,
        "productVariantsBulkCreate": product_variants_bulk_create,
    }


def inventory_fields(shop: Shop, views: Views) -> RootFields:
    """Locations, and stock written with inventorySetQuantities and inventoryItemUpdate."""

    def locations(info: Any, includeInactive: bool = False, **page: Any) -> dict[str, Any]:
        chosen = [lid for lid, loc in shop.locations.items() if loc["isActive"] or includeInactive]
        return connection(chosen, views.location, **paging(page))

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

    def nodes(info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
        """Inventory items and locations by id, in the order asked; null for an id the shop does not hold."""
        found: list[dict[str, Any] | None] = []
        for node_id in ids:
            if node_id in shop.items:
                found.append({**views.item(node_id), "__typename": "InventoryItem"})
            elif node_id in shop.locations:
                found.append({**views.location(node_id), "__typename": "Location"})
            else:
                found.append(None)
        return found

    return {
        "nodes": nodes,
        "locations": locations,
        "inventorySetQuantities": inventory_set_quantities,
        "inventoryItemUpdate": inventory_item_update,
    }


def collection_fields(shop: Shop, views: Views) -> RootFields:
    """Collections: read by identifier, handle or search, written with collectionCreate and collectionUpdate."""

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
        return connection(chosen, views.collection, **paging(page))

    def collection_set(creating: bool) -> Callable[..., dict[str, Any]]:
        def resolve(info: Any, collection: dict[str, Any]) -> dict[str, Any]:
            collection_id, errors = shop.collection_set(collection, creating)
            return {
                "collection": views.collection(collection_id) if collection_id else None,
                "userErrors": errors,
                "job": None,
            }

        return resolve

    return {
        "collectionByIdentifier": collection_by_identifier,
        "collectionByHandle": lambda info, handle: collection_by_identifier(info, {"handle": handle}),
        "collections": collections,
        "collectionCreate": collection_set(creating=True),
        "collectionUpdate": collection_set(creating=False),
    }


def customer_fields(shop: Shop, views: Views) -> RootFields:
    """Customers: read by search, written with customerSet."""

    def customers(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        def fields(c: dict[str, Any]) -> dict[str, Any]:
            return {"email": c["email"], "phone": c["phone"], "tag": c["tags"], "updated_at": c["updatedAt"]}

        chosen = [cid for cid, c in shop.customers.items() if search.matches(query, fields(c))]
        return connection(chosen, views.customer, **paging(page))

    def customer_set(info: Any, input: dict[str, Any], identifier: dict[str, Any] | None = None) -> dict[str, Any]:
        customer_id, errors = shop.customer_set(identifier, input)
        return {"customer": views.customer(customer_id) if customer_id else None, "userErrors": errors}

    return {"customers": customers, "customerSet": customer_set}


def order_fields(shop: Shop, views: Views) -> RootFields:
    """Orders: read by search (oldest change first), written with orderCreate, shipped with fulfillmentCreate."""

    def orders(info: Any, query: str | None = None, **page: Any) -> dict[str, Any]:
        def fields(o: dict[str, Any]) -> dict[str, Any]:
            return {"name": o["name"], "financial_status": o["displayFinancialStatus"].lower(), "email": o["email"],
                    "source_name": o["sourceName"], "updated_at": o["updatedAt"], "created_at": o["createdAt"],
                    "status": "cancelled" if o["cancelledAt"] else "open"}  # fmt: skip

        # a copy: a shopper may place an order while this request reads them
        chosen = sorted((oid for oid, o in list(shop.orders.items()) if search.matches(query, fields(o))),
                        key=lambda oid: (shop.orders[oid]["updatedAt"], oid))  # fmt: skip
        return connection(chosen, views.order, **paging(page))

    def order_create(info: Any, order: dict[str, Any], options: dict[str, Any] | None = None) -> dict[str, Any]:
        order_id, errors = shop.create_order(order, (options or {}).get("inventoryBehaviour") or "BYPASS")
        return {"order": views.order(order_id) if order_id else None, "userErrors": errors}

    def fulfillment_create(info: Any, fulfillment: dict[str, Any], message: str | None = None) -> dict[str, Any]:
        made, errors = shop.fulfill(fulfillment)
        return {"fulfillment": fulfillment_view(made) if made else None, "userErrors": errors}

    def order(info: Any, id: str) -> dict[str, Any] | None:
        return views.order(id) if id in shop.orders else None

    return {"orders": orders, "order": order, "orderCreate": order_create, "fulfillmentCreate": fulfillment_create}


def price_list_fields(shop: Shop, views: Views) -> RootFields:
    """Price lists and their fixed prices, written with priceListFixedPricesAdd."""

    def fixed_prices_add(info: Any, priceListId: str, prices: list[dict[str, Any]]) -> dict[str, Any]:
        added, errors = shop.add_fixed_prices(priceListId, prices)
        entries = [{"variant": views.variant(v)} for v in added]
        return {"prices": entries if not errors else None, "userErrors": errors}

    return {
        "priceLists": lambda info, **page: connection(list(shop.price_lists), views.price_list, **paging(page)),
        "priceList": lambda info, id: views.price_list(id) if id in shop.price_lists else None,
        "priceListFixedPricesAdd": fixed_prices_add,
    }


def bulk_operation_fields(shop: Shop, root_value: Callable[[], RootFields]) -> RootFields:
    """Bulk operations: bulkOperationRunQuery runs its query at once, without page limits, against
    `root_value()`, and keeps the result as JSON Lines; bulkOperation reads it back, finished."""

    def bulk_operation_run_query(info: Any, query: str, groupObjects: bool = False) -> dict[str, Any]:
        problems = _bulk_problems(query)
        if problems:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["query"], "message": p, "code": "INVALID"} for p in problems],
            }
        began = shop.bulk.clock()
        BULK.active = True
        try:
            result = graphql_sync(admin_schema(), query, root_value=root_value())
        finally:
            BULK.active = False
        if result.errors:
            message = "; ".join(error.message for error in result.errors)
            return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": message, "code": "INVALID"}]}
        text, count = json_lines(result.data or {})
        roots = sum(1 for line in text.splitlines() if "__parentId" not in line)
        try:
            operation = shop.add_bulk_operation(query, text, count, roots, began)
        except LimitReached as limit:
            error = {"field": None, "message": str(limit), "code": "LIMIT_REACHED"}
            return {"bulkOperation": None, "userErrors": [error]}
        return {"bulkOperation": {**operation, "status": "CREATED"}, "userErrors": []}

    return {
        "bulkOperationRunQuery": bulk_operation_run_query,
        "bulkOperation": lambda info, id: shop.bulk.get(id),
    }


def webhook_fields(shop: Shop, webhooks: Dispatcher) -> RootFields:
    """Webhook subscriptions, made with webhookSubscriptionCreate and kept by the dispatcher."""

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

    return {"webhookSubscriptionCreate": webhook_subscription_create}


def _bulk_problems(query: str) -> list[str]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.message]
    problems = [error.message for error in validate(admin_schema(), document)]
    if any(isinstance(d, OperationDefinitionNode) and d.operation.value != "query" for d in document.definitions):
        problems.append("Bulk queries cannot contain mutations.")
    return problems


def _product_search_fields(shop: Shop, product: dict[str, Any]) -> dict[str, Any]:
    """What a product search (`sku:1001 status:active`) can match a product on."""
    return {
        "title": product["title"],
        "status": product["status"],
        "vendor": product["vendor"],
        "product_type": product["productType"],
        "tag": product["tags"],
        "sku": [shop.variants[v].get("sku") for v in product["variants"]],
        "updated_at": product["updatedAt"],
    }
