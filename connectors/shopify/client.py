"""The Shopify client: canonical records read from and written to one shop."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from connectors.shopify import bulk, categories, customers, orders, prices, products, shipments, stock
from connectors.shopify.documents import batched, bulk_query, document
from connectors.shopify.settings import ShopifySettings
from connectors.shopify.transport import Transport
from connectors.shopify.webhooks import topic_enum
from engine.connector import ReadFilter, WriteOutcome
from engine.errors import ConnectorError, FatalConnectorError, RecordError
from engine.records import Category, Customer, Entity, Order, Price, Product, Record, Shipment, StockLevel

Key = tuple[str, ...]
PRODUCTS_PER_READ = 5  # keeps a read of full products under Shopify's 1000-point query limit
PRODUCTS_PER_WRITE = 10
SKUS_PER_READ = 25
CUSTOMERS_PER_READ = 50
CUSTOMERS_PER_WRITE = 25
ORDERS_PER_PAGE = 5
COLLECTIONS_PER_READ = 25
ORDERS_PER_FULFILLMENT_READ = 4


class ShopifyClient:
    def __init__(self, settings: ShopifySettings, token: str, transport: Transport | None = None) -> None:
        self.settings = settings
        self.transport = transport or Transport(settings.url, token, timeout=settings.timeout)
        self._locations: dict[str, str] | None = None
        self._inventory: dict[Key, tuple[str, str, int | None, bool | None]] = {}  # (sku, location) → ids, qty
        self._collection_nodes: dict[str, dict[str, Any] | None] = {}  # handle → collection, None: none there
        self._price_list_nodes: dict[str, dict[str, Any]] | None = None  # name → price list
        self._images: dict[str, tuple[str, ...]] = {}  # product number → image URLs last read or written

    @property
    def calls(self) -> int:
        return self.transport.usage.calls

    def close(self) -> None:
        self.transport.close()

    def subscribe(self, topic: str, uri: str) -> str:
        """Have Shopify send `topic` events (e.g. `orders/paid`) to `uri`; returns the subscription id."""
        variables = {"topic": topic_enum(topic), "uri": uri, "namespaces": [self.settings.key_namespace]}
        payload = self.transport.request(document("WebhookSubscriptionCreate"), variables)["webhookSubscriptionCreate"]
        if payload["userErrors"]:
            raise FatalConnectorError(
                f"Shopify refused the webhook subscription: {_user_errors(payload['userErrors'])}"
            )
        return str(payload["webhookSubscription"]["id"])

    # ---- reading ---------------------------------------------------------------------------

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        if entity is Entity.product:
            return list(self._read_products(keys))
        if entity is Entity.stock:
            return self._read_stock(keys)
        if entity is Entity.customer:
            return self._read_customers(keys)
        if entity is Entity.order:
            return self._read_orders(keys, orders.search(wanted, self.settings.order_query))
        if entity is Entity.category:
            return self._read_categories(keys)
        if entity is Entity.price:
            return self._read_prices(keys)
        if entity is Entity.shipment:
            names = list(dict.fromkeys(key[0].rsplit("/", 1)[0] for key in keys)) if keys is not None else None
            found = [s for order in self._fulfillment_orders(names) for s in shipments.from_order(order)]
            return [s for s in found if keys is None or (s.key,) in set(keys)]
        raise FatalConnectorError(f"the shopify connector cannot read {entity.value} records yet")

    def _product_variables(self) -> dict[str, Any]:
        s = self.settings
        return {"keyNamespace": s.key_namespace, "keyName": s.key_name, "featureNamespace": s.feature_namespace}

    def _read_products(self, keys: Sequence[Key] | None) -> Iterable[Product]:
        if keys is None:
            yield from self._all_products()
            return
        wanted = [key[0] for key in keys]
        for start in range(0, len(wanted), PRODUCTS_PER_READ):
            chunk = wanted[start : start + PRODUCTS_PER_READ]
            query = batched("ProductByKey", len(chunk), ("value",))
            variables = self._product_variables() | {f"value{i}": value for i, value in enumerate(chunk)}
            data = self.transport.request(query, variables)
            for index in range(len(chunk)):
                node = data.get(f"p{index}")
                product = self._product(node) if node else None
                if product is not None:
                    yield product

    def _product(self, node: dict[str, Any]) -> Product | None:
        product = products.from_node(self.settings, node)
        if product is not None:
            self._images[product.sku] = product.images
        return product

    def _all_products(self) -> Iterable[Product]:
        """Every product, as one bulk export."""
        query = bulk_query("products", **self._product_variables())
        for node in bulk.regroup(bulk.export(self.transport, query), _product_child):
            product = self._product(node)
            if product is not None:
                yield product

    def _read_stock(self, keys: Sequence[Key] | None) -> list[Record]:
        skus = list(dict.fromkeys(key[0] for key in keys)) if keys is not None else None
        wanted = set(keys) if keys is not None else None
        found: list[Record] = []
        for chunk in _chunks(skus, SKUS_PER_READ) if skus is not None else [None]:
            variables = {"query": stock.sku_query(chunk) if chunk else "", "first": SKUS_PER_READ}
            for node in self._nodes("StockBySku", "productVariants", variables):
                for record, item_id, location_id in stock.levels_from_variant(node):
                    key = (record.sku, record.location)
                    available = int(record.available) if record.available is not None else None
                    self._inventory[key] = (item_id, location_id, available, record.tracked)
                    if wanted is None or key in wanted:
                        found.append(record)
        return found

    def _nodes(self, name: str, root: str, variables: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every node of a paginated connection, page after page; `root` is its path (`a.b`)."""
        after = None
        while True:
            page = self.transport.request(document(name), {**variables, "after": after})
            for part in root.split("."):
                page = page[part]
            yield from page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def _read_customers(self, keys: Sequence[Key] | None) -> list[Record]:
        emails = [key[0] for key in keys] if keys is not None else None
        found: list[Record] = []
        for chunk in _chunks(emails, CUSTOMERS_PER_READ) if emails is not None else [None]:
            variables = {"query": customers.email_query(chunk) if chunk else None, "first": CUSTOMERS_PER_READ}
            nodes = self._nodes("CustomersByEmail", "customers", variables)
            found += [c for node in nodes if (c := customers.from_node(node)) is not None]
        return found

    def _read_categories(self, keys: Sequence[Key] | None) -> list[Record]:
        if keys is None:
            variables = {"keyNamespace": self.settings.key_namespace, "first": 50}
            return [categories.from_node(node) for node in self._nodes("CollectionsPage", "collections", variables)]
        nodes = self._collections([key[0] for key in keys])
        return [categories.from_node(node) for node in nodes.values()]

    def _collections(self, handles: list[str]) -> dict[str, dict[str, Any]]:
        """Collections by handle (those that exist), remembered for product writes."""
        wanted = [h for h in dict.fromkeys(handles) if h not in self._collection_nodes]
        for chunk in _chunks(wanted, COLLECTIONS_PER_READ):
            query = batched("CollectionByHandle", len(chunk), ("handle",))
            variables = {"keyNamespace": self.settings.key_namespace} | {f"handle{i}": h for i, h in enumerate(chunk)}
            data = self.transport.request(query, variables)
            for index, handle in enumerate(chunk):
                self._collection_nodes[handle] = data.get(f"c{index}")
        return {h: node for h in handles if (node := self._collection_nodes.get(h)) is not None}

    def _price_lists(self) -> dict[str, dict[str, Any]]:
        if self._price_list_nodes is None:
            nodes = self._nodes("PriceLists", "priceLists", {"first": 50})
            self._price_list_nodes = {node["name"]: node for node in nodes}
        return self._price_list_nodes

    def _read_prices(self, keys: Sequence[Key] | None) -> list[Record]:
        lists = self._price_lists()
        groups = list(dict.fromkeys(key[1] for key in keys)) if keys is not None else list(lists)
        wanted = set(keys) if keys is not None else None
        found: list[Record] = []
        for group in groups:
            if group not in lists:
                continue
            variables = {"id": lists[group]["id"], "first": prices.PRICES_PER_PAGE}
            for node in self._nodes("PriceListPrices", "priceList.prices", variables):
                price = prices.from_node(group, node)
                if wanted is None or (price.sku, group) in wanted:
                    found.append(price)
        return found

    def _fulfillment_orders(self, names: list[str] | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in _chunks(names, ORDERS_PER_FULFILLMENT_READ) if names is not None else [None]:
            variables = {"query": orders.name_query(chunk) if chunk else "", "first": ORDERS_PER_FULFILLMENT_READ}
            found += list(self._nodes("OrderFulfillments", "orders", variables))
        return found

    def _write_shipments(self, records: list[Shipment]) -> list[WriteOutcome]:
        by_name = {order["name"]: order for order in self._fulfillment_orders([s.order_number for s in records])}
        outcomes = []
        for shipment in records:
            key = (shipment.key,)
            order = by_name.get(shipment.order_number)
            try:
                if order is None:
                    raise RecordError(f"Shopify has no order {shipment.order_number}", "order_number")
                data = shipments.fulfillment_input(shipment, order, self.settings.notify_customers)
            except RecordError as exc:
                outcomes.append(WriteOutcome(key, error=str(exc)))
                continue
            payload = self.transport.request(document("FulfillmentCreate"), {"fulfillment": data})["fulfillmentCreate"]
            if payload["userErrors"]:
                outcomes.append(WriteOutcome(key, error=_user_errors(payload["userErrors"]), response=payload))
                continue
            made = payload["fulfillment"]
            outcomes.append(WriteOutcome(key, target_id=made["id"], response={"id": made["id"], "name": made["name"]}))
            by_name.update({o["name"]: o for o in self._fulfillment_orders([shipment.order_number])})  # what is left
        return outcomes

    def _write_orders(self, records: list[Order]) -> list[WriteOutcome]:
        """Orders made elsewhere, booked once: one that exists (by name) is left as it is."""
        existing = {o.number: o for o in self._read_orders([(r.number,) for r in records])}  # type: ignore[attr-defined]
        variant_ids = self._variant_ids([line.sku for order in records for line in order.lines])
        outcomes = []
        for order in records:
            key = (order.number,)
            if order.number in existing:
                outcomes.append(WriteOutcome(key, target_id=order.number, response={"existed": True}))
                continue
            try:
                data = orders.order_create_input(order, variant_ids, self.settings.currency)
            except RecordError as exc:
                outcomes.append(WriteOutcome(key, error=str(exc)))
                continue
            payload = self.transport.request(document("OrderCreate"), {"order": data})["orderCreate"]
            if payload["userErrors"]:
                outcomes.append(WriteOutcome(key, error=_user_errors(payload["userErrors"]), response=payload))
            else:
                made = payload["order"]
                outcomes.append(
                    WriteOutcome(key, target_id=made["id"], response={"id": made["id"], "name": made["name"]})
                )
        return outcomes

    def _variant_ids(self, skus: list[str]) -> dict[str, str]:
        ids: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(skus)), 250):
            for node in self._nodes(
                "VariantsBySku", "productVariants", {"query": stock.sku_query(chunk), "first": 250}
            ):
                ids[node["sku"]] = node["id"]
        return ids

    def _read_orders(self, keys: Sequence[Key] | None, query: str | None = None) -> list[Record]:
        names = [key[0] for key in keys] if keys is not None else None
        found: list[Record] = []
        for chunk in _chunks(names, ORDERS_PER_PAGE) if names is not None else [None]:
            variables = {"query": orders.name_query(chunk) if chunk else query, "first": ORDERS_PER_PAGE}
            found += [orders.from_node(node) for node in self._nodes("Orders", "orders", variables)]
        return found

    # ---- writing ---------------------------------------------------------------------------

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        if entity is Entity.product:
            return self._write_products([r for r in records if isinstance(r, Product)])
        if entity is Entity.stock:
            return self._write_stock([r for r in records if isinstance(r, StockLevel)])
        if entity is Entity.customer:
            return self._write_customers([r for r in records if isinstance(r, Customer)])
        if entity is Entity.category:
            return self._write_categories([r for r in records if isinstance(r, Category)])
        if entity is Entity.price:
            return self._write_prices([r for r in records if isinstance(r, Price)])
        if entity is Entity.shipment:
            return self._write_shipments([r for r in records if isinstance(r, Shipment)])
        if entity is Entity.order:
            return self._write_orders([r for r in records if isinstance(r, Order)])
        raise FatalConnectorError(f"the shopify connector cannot write {entity.value} records yet")

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        raise FatalConnectorError(f"the shopify connector does not delete {entity.value} records; archive them")

    def _write_products(self, records: list[Product]) -> list[WriteOutcome]:
        outcomes: dict[str, WriteOutcome] = {}
        ready: list[tuple[Product, dict[str, Any]]] = []
        collections = self._collections([key for product in records for key in product.categories])
        for product in records:
            try:
                images = self._images.get(product.sku)
                ready.append((product, products.product_set_input(self.settings, product, collections, images)))
            except RecordError as exc:
                outcomes[product.sku] = WriteOutcome((product.sku,), error=str(exc))
        owners = self._sku_owners([p for p, _ in ready])
        for product, _ in list(ready):
            taken = {owners[v.sku] for v in product.variants if v.sku in owners} - {(None, product.sku)}
            claimed = [key for _, key in taken if key is not None and key != product.sku]
            if claimed:
                error = f"SKU of {product.sku} already belongs to Shopify product {claimed[0]}"
                outcomes[product.sku] = WriteOutcome((product.sku,), error=error)
                ready = [(p, d) for p, d in ready if p is not product]
        for chunk in _chunks(ready, PRODUCTS_PER_WRITE):
            mutation = batched("ProductSet", len(chunk), ("identifier", "input"))
            variables = self._product_variables()
            for index, (product, data) in enumerate(chunk):
                adopted = next((gid for v in product.variants if (gid := owners.get(v.sku, (None, None))[0])), None)
                identifier = {"id": adopted} if adopted else products.identifier(self.settings, product)
                variables[f"identifier{index}"] = identifier
                variables[f"input{index}"] = data
            result = self.transport.request(mutation, variables)
            for index, (product, _) in enumerate(chunk):
                payload = result.get(f"p{index}") or {}
                errors = payload.get("userErrors") or []
                if errors:
                    outcomes[product.sku] = WriteOutcome((product.sku,), error=_user_errors(errors), response=payload)
                else:
                    node = payload.get("product") or {}
                    self._images[product.sku] = product.images
                    outcomes[product.sku] = WriteOutcome(
                        (product.sku,), target_id=node.get("id"), response={"id": node.get("id")}
                    )
        return [outcomes[p.sku] for p in records]

    def _write_categories(self, records: list[Category]) -> list[WriteOutcome]:
        existing = self._collections([c.key for c in records])
        outcomes: dict[str, WriteOutcome] = {}
        for name, chosen in (("CollectionUpdate", [c for c in records if c.key in existing]),
                             ("CollectionCreate", [c for c in records if c.key not in existing])):  # fmt: skip
            for chunk in _chunks(chosen, PRODUCTS_PER_WRITE):
                variables: dict[str, Any] = {"keyNamespace": self.settings.key_namespace}
                for index, category in enumerate(chunk):
                    collection_id = existing[category.key]["id"] if category.key in existing else None
                    variables[f"collection{index}"] = categories.collection_input(
                        self.settings, category, collection_id
                    )
                result = self.transport.request(batched(name, len(chunk), ("collection",)), variables)
                for index, category in enumerate(chunk):
                    payload = result.get(f"c{index}") or {}
                    node = payload.get("collection")
                    if payload.get("userErrors") or not node:
                        error = _user_errors(payload.get("userErrors") or [{"message": "no collection returned"}])
                        outcomes[category.key] = WriteOutcome((category.key,), error=error)
                        continue
                    self._collection_nodes[node["handle"]] = node
                    if node["handle"] != category.key:
                        error = f"Shopify gave the collection the handle {node['handle']}; {category.key} is taken"
                        outcomes[category.key] = WriteOutcome((category.key,), error=error, response=node)
                    else:
                        outcomes[category.key] = WriteOutcome(
                            (category.key,), target_id=node["id"], response={"id": node["id"]}
                        )
        return [outcomes[c.key] for c in records]

    def _write_prices(self, records: list[Price]) -> list[WriteOutcome]:
        lists = self._price_lists()
        variant_ids = self._variant_ids([p.sku for p in records])
        outcomes: dict[Key, WriteOutcome] = {}
        by_list: dict[str, list[tuple[Price, dict[str, Any]]]] = {}
        for price in records:
            key = (price.sku, price.price_group)
            try:
                if price.price_group not in lists:
                    known = ", ".join(sorted(lists)) or "none"
                    raise RecordError(
                        f"Shopify has no price list named '{price.price_group}'; known: {known}", "price_group"
                    )
                if price.sku not in variant_ids:
                    raise RecordError(f"Shopify has no variant with SKU {price.sku}", "sku")
                price_list = lists[price.price_group]
                by_list.setdefault(price_list["id"], []).append(
                    (price, prices.price_input(price, variant_ids[price.sku], price_list["currency"]))
                )
            except RecordError as exc:
                outcomes[key] = WriteOutcome(key, error=str(exc))
        for list_id, entries in by_list.items():
            for chunk in _chunks(entries, prices.PRICES_PER_WRITE):
                variables = {"priceListId": list_id, "prices": [data for _, data in chunk]}
                result = self.transport.request(document("PriceListFixedPricesAdd"), variables)
                errors = result["priceListFixedPricesAdd"]["userErrors"]
                for price, data in chunk:
                    key = (price.sku, price.price_group)
                    if errors:  # Shopify adds all of a call's prices or none
                        outcomes[key] = WriteOutcome(key, error=_user_errors(errors), response={"userErrors": errors})
                    else:
                        outcomes[key] = WriteOutcome(key, target_id=data["variantId"], response={"priceList": list_id})
        return [outcomes[(p.sku, p.price_group)] for p in records]

    def _write_customers(self, records: list[Customer]) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome] = []
        for chunk in _chunks(records, CUSTOMERS_PER_WRITE):
            mutation = batched("CustomerSet", len(chunk), ("identifier", "input"))
            variables: dict[str, Any] = {}
            for index, customer in enumerate(chunk):
                variables[f"identifier{index}"] = {"email": customer.email}
                variables[f"input{index}"] = customers.customer_set_input(customer)
            result = self.transport.request(mutation, variables)
            for index, customer in enumerate(chunk):
                payload = result.get(f"c{index}") or {}
                errors = payload.get("userErrors") or []
                key = (customer.email,)
                if errors:
                    outcomes.append(WriteOutcome(key, error=_user_errors(errors), response=payload))
                else:
                    customer_id = (payload.get("customer") or {}).get("id")
                    outcomes.append(WriteOutcome(key, target_id=customer_id, response={"id": customer_id}))
        return outcomes

    def _sku_owners(self, records: list[Product]) -> dict[str, tuple[str | None, str | None]]:
        """For variant SKUs already in the shop: (id of a product without a product number to adopt,
        or None; the product number of the product they belong to, or None)."""
        skus = [v.sku for p in records for v in p.variants]
        owners: dict[str, tuple[str | None, str | None]] = {}
        for chunk in _chunks(list(dict.fromkeys(skus)), SKUS_PER_READ):
            variables = self._product_variables() | {"query": stock.sku_query(chunk), "first": SKUS_PER_READ}
            variables.pop("featureNamespace")
            for node in self._nodes("ProductsBySku", "productVariants", variables):
                key = (node["product"].get("key") or {}).get("value")
                owners[node["sku"]] = (None if key else node["product"]["id"], key)
        return owners

    def _write_stock(self, records: list[StockLevel]) -> list[WriteOutcome]:
        missing = [(r.sku, r.location) for r in records if (r.sku, r.location) not in self._inventory]
        if missing:
            self._read_stock(missing)
        locations = self._location_ids()
        outcomes: dict[Key, WriteOutcome] = {}
        quantities: list[tuple[StockLevel, dict[str, Any]]] = []
        for record in records:
            key = (record.sku, record.location)
            try:
                quantities.extend(self._quantity(record, locations))
            except RecordError as exc:
                outcomes[key] = WriteOutcome(key, error=str(exc))
        for chunk in _chunks(quantities, stock.MAX_QUANTITIES):
            outcomes.update(self._set_quantities(chunk))
        for record in records:
            outcomes.setdefault((record.sku, record.location), WriteOutcome((record.sku, record.location),
                                target_id=self._inventory.get((record.sku, record.location), ("",))[0]))  # fmt: skip
        return [outcomes[(r.sku, r.location)] for r in records]

    def _quantity(self, record: StockLevel, locations: dict[str, str]) -> list[tuple[StockLevel, dict[str, Any]]]:
        if record.location not in locations:
            known = ", ".join(sorted(locations)) or "none"
            raise RecordError(f"Shopify has no active location named '{record.location}'; known: {known}", "location")
        inventory = self._inventory.get((record.sku, record.location))
        if inventory is None:
            raise RecordError(f"Shopify has no variant with SKU {record.sku} stocked at {record.location}", "sku")
        item_id, location_id, last_read, tracked = inventory
        if record.tracked is not None and record.tracked != tracked:
            self._set_tracked(item_id, record.tracked)
        if record.tracked is False:
            return []
        quantity = {
            "inventoryItemId": item_id,
            "locationId": location_id,
            "quantity": stock.whole_units(record),
            "changeFromQuantity": last_read if self.settings.compare_quantities else None,
        }
        return [(record, quantity)]

    def _set_quantities(self, chunk: list[tuple[StockLevel, dict[str, Any]]]) -> dict[Key, WriteOutcome]:
        """One inventorySetQuantities; Shopify applies all or none, so refused ones are dropped and
        the rest sent again."""
        outcomes: dict[Key, WriteOutcome] = {}
        pending = list(chunk)
        while pending:
            variables = {"input": {"name": "available", "reason": "correction",
                                   "referenceDocumentUri": "gid://tillsync/StockSync/apply",
                                   "quantities": [q for _, q in pending]}}  # fmt: skip
            payload = self.transport.request(document("InventorySetQuantities"), variables)["inventorySetQuantities"]
            errors = payload.get("userErrors") or []
            if not errors:
                for record, q in pending:
                    key = (record.sku, record.location)
                    self._inventory[key] = (q["inventoryItemId"], q["locationId"], q["quantity"], True)
                    outcomes[key] = WriteOutcome(
                        key, target_id=q["inventoryItemId"], response={"quantity": q["quantity"]}
                    )
                return outcomes
            refused: dict[int, list[dict[str, Any]]] = {}
            for error in errors:
                field = error.get("field") or []
                if len(field) >= 3 and field[1] == "quantities" and str(field[2]).isdigit():
                    refused.setdefault(int(field[2]), []).append(error)
            if not refused:
                raise ConnectorError(f"Shopify refused the stock update: {_user_errors(errors)}")
            for index, problems in refused.items():
                record = pending[index][0]
                key = (record.sku, record.location)
                outcomes[key] = WriteOutcome(key, error=_user_errors(problems), response={"userErrors": problems})
            pending = [item for index, item in enumerate(pending) if index not in refused]
        return outcomes

    def _set_tracked(self, item_id: str, tracked: bool) -> None:
        payload = self.transport.request(
            document("InventoryItemUpdate"), {"id": item_id, "input": {"tracked": tracked}}
        )
        errors = payload["inventoryItemUpdate"]["userErrors"]
        if errors:
            raise RecordError(f"Shopify did not change stock tracking: {_user_errors(errors)}", "tracked")
        for key, (item, location, quantity, _) in list(self._inventory.items()):
            if item == item_id:
                self._inventory[key] = (item, location, quantity, tracked)

    def _location_ids(self) -> dict[str, str]:
        if self._locations is None:
            nodes = self._nodes("Locations", "locations", {"first": 50})
            self._locations = {node["name"]: node["id"] for node in nodes if node["isActive"]}
        return self._locations


def _product_child(line: dict[str, Any]) -> str:
    return {"ProductVariant": "variants", "Metafield": "features", "Collection": "collections"}[line["__typename"]]


def _user_errors(errors: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e.get('field') or [])) or 'input'}: {e.get('message')}"
        + (f" ({e['code']})" if e.get("code") else "")
        for e in errors
    )


def _chunks(items: Any, size: int) -> list[Any]:
    return [items[start : start + size] for start in range(0, len(items), size)]
