"""The sandbox store's data and the rules Shopify applies when it changes.

Plain Python data with Shopify's ids (`gid://shopify/Product/1`), guarded by one lock: the
GraphQL layer (`resolvers`) reads and changes it only through the methods here, which return
`userErrors` the way Shopify does instead of raising.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Event = tuple[str, dict[str, Any]]  # (webhook topic such as "products/update", payload)
QUANTITY_NAMES = ("available", "on_hand", "reserved")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_error(path: list[str | int], message: str, code: str | None = None) -> dict[str, Any]:
    return {"field": [str(part) for part in path], "message": message, "code": code}


@dataclass
class Shop:
    name: str = "tillsync-sandbox"
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # inventory items
    levels: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # (item, location)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    price_lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    currency: str = "EUR"
    events: list[Event] = field(default_factory=list)
    bulk_operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    bulk_files: dict[str, str] = field(default_factory=dict)  # operation number → JSON Lines
    public_url: str = "http://127.0.0.1"
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: dict[str, int] = field(default_factory=dict, repr=False)
    on_event: Callable[[str, dict[str, Any]], None] | None = field(default=None, repr=False)

    def new_id(self, kind: str) -> str:
        self._ids[kind] = self._ids.get(kind, 1000) + 1
        return gid(kind, self._ids[kind])

    @contextmanager
    def changing(self) -> Iterator[list[Event]]:
        """Hold the lock for a change; the events it collects are emitted once it succeeded."""
        events: list[Event] = []
        with self.lock:
            yield events
        for topic, payload in events:
            self.events.append((topic, payload))
            if self.on_event is not None:
                self.on_event(topic, payload)

    # ---- seeding ---------------------------------------------------------------------------

    def add_location(self, name: str) -> str:
        with self.lock:
            location = self.new_id("Location")
            self.locations[location] = {"id": location, "name": name, "isActive": True}
            return location

    def location_named(self, name: str) -> str | None:
        return next((lid for lid, loc in self.locations.items() if loc["name"] == name), None)

    def add_bulk_operation(self, query: str, text: str, count: int, roots: int) -> dict[str, Any]:
        with self.lock:
            operation_id = self.new_id("BulkOperation")
            number = operation_id.rsplit("/", 1)[-1]
            self.bulk_files[number] = text
            operation = {
                "id": operation_id, "status": "COMPLETED", "type": "QUERY", "query": query, "errorCode": None,
                "objectCount": str(count), "rootObjectCount": str(roots), "fileSize": str(len(text.encode())),
                "url": f"{self.public_url}/_sandbox/bulk/{number}.jsonl" if count else None,
                "partialDataUrl": None, "createdAt": now(), "completedAt": now(),
            }  # fmt: skip
            self.bulk_operations[operation_id] = operation
            return operation

    # ---- products --------------------------------------------------------------------------

    def find_product(self, identifier: Mapping[str, Any]) -> str | None:
        if identifier.get("id"):
            return identifier["id"] if identifier["id"] in self.products else None
        if identifier.get("handle"):
            return next((p for p, v in self.products.items() if v["handle"] == identifier["handle"]), None)
        custom = identifier.get("customId")
        if custom:
            key = _custom(custom)
            return next((p for p, v in self.products.items() if v["metafields"].get(key) == custom["value"]), None)
        return None

    def product_set(
        self, identifier: Mapping[str, Any] | None, data: Mapping[str, Any]
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """productSet: create or replace a product with its options and variants."""
        with self.changing() as events:
            product_id = self.find_product(identifier) if identifier else None
            if identifier and identifier.get("id") and product_id is None:
                return None, [user_error(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            errors = _check_product_input(data, creating=product_id is None)
            if errors:
                return None, errors
            creating = product_id is None
            product = self.products.get(product_id or "") or self._new_product(data)
            for key, name in (("title", "title"), ("descriptionHtml", "descriptionHtml"), ("vendor", "vendor"),
                              ("productType", "productType"), ("status", "status"), ("tags", "tags")):  # fmt: skip
                if key in data and data[key] is not None:
                    product[name] = list(data[key]) if key == "tags" else data[key]
            for metafield in data.get("metafields") or []:
                product["metafields"][(metafield["namespace"], metafield["key"])] = metafield["value"]
            if identifier and identifier.get("customId"):
                custom = identifier["customId"]
                product["metafields"][_custom(custom)] = custom["value"]
            if "productOptions" in data and data["productOptions"] is not None:
                product["options"] = [
                    {
                        "name": option["name"],
                        "position": index + 1,
                        "values": [v["name"] for v in option.get("values") or []],
                    }
                    for index, option in enumerate(data["productOptions"])
                ]
            if data.get("files") is not None:
                product["media"] = [
                    {"id": self.new_id("MediaImage"), "originalSource": f["originalSource"], "alt": f.get("alt")}
                    for f in data["files"]
                ]
            if "collections" in data and data["collections"] is not None:
                unknown = [c for c in data["collections"] if c not in self.collections]
                if unknown:
                    return None, [
                        user_error(["input", "collections"], f"Collection {unknown[0]} does not exist", "INVALID_INPUT")
                    ]
                product["collections"] = list(data["collections"])
            if data.get("variants") is not None:
                self._set_variants(product, data["variants"])
            product["updatedAt"] = now()
            self.products[product["id"]] = product
            events.append(("products/create" if creating else "products/update", self.product_payload(product["id"])))
            return product["id"], []

    def product_create(self, data: Mapping[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        """productCreate: a product with one standalone variant, of each option's first value."""
        first = [{"optionName": option["name"], "name": (option.get("values") or [{}])[0].get("name")}
                 for option in data.get("productOptions") or []]  # fmt: skip
        return self.product_set(None, {**data, "variants": [{"optionValues": first}]})

    def add_variants(
        self, product_id: str, inputs: Sequence[Mapping[str, Any]], strategy: str = "DEFAULT"
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """productVariantsBulkCreate: new variants beside the product's own. A product's only variant
        (its standalone one) goes when `strategy` is REMOVE_STANDALONE_VARIANT, or DEFAULT and it is
        the "Default Title" variant."""
        with self.changing() as events:
            product = self.products.get(product_id)
            if product is None:
                return [], [user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            kept = [self.variants[v] for v in product["variants"]]
            if len(kept) == 1 and (
                strategy == "REMOVE_STANDALONE_VARIANT"
                or (strategy == "DEFAULT" and kept[0]["title"] == "Default Title")
            ):
                kept = []
            current = [
                {"id": v["id"], "price": v["price"], "compareAtPrice": v.get("compareAtPrice"),
                 "optionValues": [{"optionName": o["name"], "name": o["value"]} for o in v["selectedOptions"]]}
                for v in kept
            ]  # fmt: skip
            added = [_set_variant_input(data) for data in inputs]
            errors = self._variant_errors(product, kept, added)
            if errors:
                return [], errors
            before = set(product["variants"])
            self._set_variants(product, current)  # without the standalone variant, when it goes
            self._set_variants(product, current + added)
            product["updatedAt"] = now()
            events.append(("products/update", self.product_payload(product_id)))
            return [v for v in product["variants"] if v not in before], []

    def _variant_errors(
        self, product: dict[str, Any], kept: list[dict[str, Any]], added: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        taken = {_option_key(v["selectedOptions"]) for v in kept}
        errors = []
        for index, data in enumerate(added):
            key = _option_key([{"name": o.get("optionName"), "value": o.get("name")} for o in data["optionValues"]])
            if key in taken:
                message = f"The variant '{' / '.join(value for _, value in key)}' already exists."
                errors.append(user_error(["variants", index], message, "VARIANT_ALREADY_EXISTS"))
            taken.add(key)
        options = [{"name": o["name"], "values": [{"name": v} for v in o["values"]]} for o in product["options"]]
        for error in _check_product_input({"productOptions": options, "variants": added}, creating=False):
            if error["code"] != "DUPLICATED_OPTION_VALUE":  # told above, as Shopify tells it
                errors.append({**error, "field": error["field"][1:3], "code": "INVALID_INPUT"})
        return errors

    def _new_product(self, data: Mapping[str, Any]) -> dict[str, Any]:
        product_id = self.new_id("Product")
        handle = _handle(str(data.get("title") or product_id))
        taken = {p["handle"] for p in self.products.values()}
        while handle in taken:
            handle += "-1"
        return {"id": product_id, "handle": handle, "title": "", "descriptionHtml": "", "vendor": "",
                "productType": "", "status": "ACTIVE", "tags": [], "metafields": {}, "options": [],
                "collections": [], "variants": [], "media": [], "createdAt": now(), "updatedAt": now()}  # fmt: skip

    def _set_variants(self, product: dict[str, Any], inputs: Sequence[Mapping[str, Any]]) -> None:
        """Replace the product's variants: matched by id, else by option values; the rest removed."""
        existing = {vid: self.variants[vid] for vid in product["variants"]}
        by_options = {_option_key(v["selectedOptions"]): vid for vid, v in existing.items()}
        kept: list[str] = []
        for position, data in enumerate(inputs, start=1):
            options = [{"name": o.get("optionName") or "Title", "value": o.get("name") or "Default Title"}
                       for o in data.get("optionValues") or []]  # fmt: skip
            variant_id = data.get("id") or by_options.get(_option_key(options))
            variant = existing.get(variant_id or "") or self._new_variant(product["id"])
            variant.update({
                "sku": data.get("sku", variant.get("sku")),
                "barcode": data.get("barcode", variant.get("barcode")),
                "price": str(data["price"]) if data.get("price") is not None else variant.get("price", "0.00"),
                "compareAtPrice": str(data["compareAtPrice"]) if data.get("compareAtPrice") is not None else None,
                "selectedOptions": options or [{"name": "Title", "value": "Default Title"}],
                "position": position,
            })  # fmt: skip
            variant["title"] = " / ".join(o["value"] for o in variant["selectedOptions"])
            item = self.items[variant["inventoryItemId"]]
            item["sku"] = variant["sku"]
            tracked = (data.get("inventoryItem") or {}).get("tracked")
            if tracked is not None:
                item["tracked"] = tracked
            for quantity in data.get("inventoryQuantities") or []:
                level = self.levels.setdefault((item["id"], quantity["locationId"]), dict.fromkeys(QUANTITY_NAMES, 0))
                level[quantity["name"]] = quantity["quantity"]
                if quantity["name"] == "available":
                    level["on_hand"] = quantity["quantity"] + level["reserved"]
                else:
                    level["available"] = quantity["quantity"] - level["reserved"]
            self.variants[variant["id"]] = variant
            kept.append(variant["id"])
        for gone in set(existing) - set(kept):
            item_id = self.variants.pop(gone)["inventoryItemId"]
            self.items.pop(item_id, None)
            for key in [k for k in self.levels if k[0] == item_id]:
                del self.levels[key]
        product["variants"] = kept

    def _new_variant(self, product_id: str) -> dict[str, Any]:
        variant_id, item_id = self.new_id("ProductVariant"), self.new_id("InventoryItem")
        self.items[item_id] = {"id": item_id, "sku": None, "tracked": True, "variantId": variant_id}
        for location in self.locations:  # Shopify stocks a new variant at every active location
            self.levels[(item_id, location)] = dict.fromkeys(QUANTITY_NAMES, 0)
        return {"id": variant_id, "productId": product_id, "inventoryItemId": item_id}

    def product_payload(self, product_id: str) -> dict[str, Any]:
        product = self.products[product_id]
        return {
            "admin_graphql_api_id": product_id,
            "title": product["title"],
            "status": product["status"].lower(),
            "variants": [{"admin_graphql_api_id": v, "sku": self.variants[v]["sku"]} for v in product["variants"]],
            "updated_at": product["updatedAt"],
            "metafields": [
                {"namespace": ns, "key": key, "value": value} for (ns, key), value in product["metafields"].items()
            ],
        }

    # ---- price lists -----------------------------------------------------------------------

    def add_price_list(self, name: str, currency: str = "EUR") -> str:
        with self.lock:
            list_id = self.new_id("PriceList")
            self.price_lists[list_id] = {"id": list_id, "name": name, "currency": currency, "prices": {}}
            return list_id

    def add_fixed_prices(
        self, list_id: str, prices: Sequence[Mapping[str, Any]]
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """priceListFixedPricesAdd: all prices or none."""
        price_list = self.price_lists.get(list_id)
        if price_list is None:
            return [], [user_error(["priceListId"], "Price list not found.", "PRICE_LIST_NOT_FOUND")]
        errors = []
        for index, price in enumerate(prices):
            path: list[str | int] = ["prices", index]
            if price["variantId"] not in self.variants:
                errors.append(user_error([*path, "variantId"], "Variant not found.", "VARIANT_NOT_FOUND"))
            for key in ("price", "compareAtPrice"):
                money = price.get(key)
                if money and money.get("currencyCode") != price_list["currency"]:
                    message = "The currency must match the price list's currency."
                    errors.append(user_error([*path, key, "currencyCode"], message, "PRICE_LIST_CURRENCY_MISMATCH"))
        if errors:
            return [], errors
        with self.changing():
            for price in prices:
                price_list["prices"][price["variantId"]] = {"price": dict(price["price"]),
                                                            "compareAtPrice": price.get("compareAtPrice")}  # fmt: skip
        return [p["variantId"] for p in prices], []

    # ---- collections -----------------------------------------------------------------------

    def collection_set(self, data: Mapping[str, Any], creating: bool) -> tuple[str | None, list[dict[str, Any]]]:
        """collectionCreate / collectionUpdate."""
        with self.changing():
            if creating:
                if not (data.get("title") or "").strip():
                    return None, [user_error(["collection", "title"], "Title can't be blank")]
                collection_id = self.new_id("Collection")
                handle = _handle(data.get("handle") or data["title"])
                taken = {c["handle"] for c in self.collections.values()}
                while handle in taken:
                    handle += "-1"
                collection: dict[str, Any] = {"id": collection_id, "handle": handle, "title": "", "descriptionHtml": "",
                                              "metafields": {}}  # fmt: skip
            else:
                collection = self.collections.get(data.get("id") or "")  # type: ignore[assignment]
                if collection is None:
                    return None, [user_error(["collection", "id"], "Collection does not exist")]
            for key in ("title", "descriptionHtml"):
                if data.get(key) is not None:
                    collection[key] = data[key]
            for metafield in data.get("metafields") or []:
                collection["metafields"][(metafield["namespace"], metafield["key"])] = metafield["value"]
            collection["updatedAt"] = now()
            self.collections[collection["id"]] = collection
            return collection["id"], []

    def collection_by_handle(self, handle: str) -> str | None:
        return next((c for c, v in self.collections.items() if v["handle"] == handle), None)

    # ---- customers -------------------------------------------------------------------------

    def customer_set(
        self, identifier: Mapping[str, Any] | None, data: Mapping[str, Any]
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """customerSet: create or update a customer, found by id, email or phone."""
        with self.changing() as events:
            identifier = identifier or {}
            found = self._find_customer(identifier)
            if identifier.get("id") and found is None:
                return None, [user_error(["identifier", "id"], "Customer does not exist", "NOT_FOUND")]
            email = data.get("email", identifier.get("email"))
            errors = []
            if email is not None and not _EMAIL.match(str(email)):
                errors.append(user_error(["input", "email"], "Email is invalid", "INVALID"))
            if email and identifier.get("email") and str(email).lower() != str(identifier["email"]).lower():
                errors.append(user_error(["input", "email"], "Email does not match the identifier", "INPUT_MISMATCH"))
            owner = self._find_customer({"email": email}) if email else None
            taken = owner is not None and owner != found
            if taken:
                errors.append(user_error(["input", "email"], "Email has already been taken", "TAKEN"))
            if data.get("phone") and not _PHONE.match(str(data["phone"])):
                errors.append(user_error(["input", "phone"], "Phone is invalid", "INVALID"))
            if not (email or data.get("phone") or data.get("firstName") or data.get("lastName")):
                errors.append(user_error(["input"], "A name, phone number or email address is required", "BLANK"))
            if errors:
                return None, errors
            creating = found is None
            customer = self.customers.get(found or "") or {
                "id": self.new_id("Customer"), "email": None, "firstName": None, "lastName": None, "phone": None,
                "tags": [], "note": None, "addresses": [], "createdAt": now(),
            }  # fmt: skip
            for key in ("email", "firstName", "lastName", "phone", "note"):
                if key in data:
                    customer[key] = data[key]
            if "tags" in data and data["tags"] is not None:
                customer["tags"] = sorted(set(data["tags"]))
            if "addresses" in data and data["addresses"] is not None:
                customer["addresses"] = [dict(a) for a in data["addresses"]]
            customer["updatedAt"] = now()
            self.customers[customer["id"]] = customer
            events.append(("customers/create" if creating else "customers/update",
                           {"admin_graphql_api_id": customer["id"], "email": customer["email"]}))  # fmt: skip
            return customer["id"], []

    def _find_customer(self, identifier: Mapping[str, Any]) -> str | None:
        if identifier.get("id"):
            return identifier["id"] if identifier["id"] in self.customers else None
        for field_name in ("email", "phone"):
            value = identifier.get(field_name)
            if value:
                return next(
                    (c for c, v in self.customers.items() if (v.get(field_name) or "").lower() == str(value).lower()),
                    None,
                )
        return None

    # ---- orders ----------------------------------------------------------------------------

    def place_order(
        self,
        lines: Sequence[tuple[str, int]],
        email: str | None = None,
        financial_status: str = "PAID",
        source: str = "web",
        location: str | None = None,
        billing_address: Mapping[str, Any] | None = None,
        gateway: str = "manual",
    ) -> str:
        """A sale as a shopper or a POS till makes it: an order at the variants' prices, stock taken
        from the location (the till's, or the first), and the webhooks Shopify sends for it."""
        with self.changing() as events:
            location_id = self.location_named(location) if location else next(iter(self.locations), None)
            order_lines = []
            for sku, quantity in lines:
                variant = next((v for v in self.variants.values() if v.get("sku") == sku), None)
                if variant is None:
                    raise ValueError(f"no variant with SKU {sku} to sell")
                product = self.products[variant["productId"]]
                order_lines.append({"sku": sku, "title": product["title"], "quantity": quantity,
                                    "price": variant["price"], "discount": "0.00", "taxRate": "0.21"})  # fmt: skip
                level = self.levels.get((variant["inventoryItemId"], location_id or ""))
                if level is not None and self.items[variant["inventoryItemId"]]["tracked"]:
                    level["available"] -= quantity
                    level["on_hand"] -= quantity
                    events.append(self._level_event(variant["inventoryItemId"], location_id or "", level))
            order_id = self.new_id("Order")
            total = sum(Decimal(line["price"]) * line["quantity"] for line in order_lines)
            order = {
                "id": order_id, "name": f"#{order_id.rsplit('/', 1)[-1]}", "sourceName": source,
                "displayFinancialStatus": financial_status, "currencyCode": self.currency, "createdAt": now(),
                "updatedAt": now(), "cancelledAt": None, "taxesIncluded": True, "note": None, "email": email,
                "paymentGatewayNames": [gateway], "customer": self._find_customer({"email": email}) if email else None,
                "billingAddress": dict(billing_address) if billing_address else None, "shippingAddress": None,
                "total": f"{total:.2f}", "retailLocation": location_id if source == "pos" else None,
                "lineItems": order_lines,
            }  # fmt: skip
            order["fulfillmentOrders"] = [{
                "id": self.new_id("FulfillmentOrder"), "status": "OPEN", "location": location_id,
                "lineItems": [{"id": self.new_id("FulfillmentOrderLineItem"), "sku": line["sku"],
                               "remainingQuantity": line["quantity"]} for line in order_lines],
            }]  # fmt: skip
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
        errors = []
        lines = []
        for index, line in enumerate(data.get("lineItems") or []):
            variant = self.variants.get(line.get("variantId") or "")
            if variant is None and not line.get("title"):
                errors.append(
                    user_error(["order", "lineItems", index, "variantId"], "Variant does not exist", "INVALID")
                )
                continue
            if line["quantity"] <= 0:
                errors.append(
                    user_error(["order", "lineItems", index, "quantity"], "Quantity must be positive", "INVALID")
                )
            price = ((line.get("priceSet") or {}).get("shopMoney") or {}).get("amount") or (variant or {}).get(
                "price", "0"
            )
            title = line.get("title") or (self.products[variant["productId"]]["title"] if variant else "")
            lines.append({"sku": (variant or {}).get("sku"), "title": title,
                          "quantity": line["quantity"], "price": f"{Decimal(str(price)):.2f}", "discount": "0.00",
                          "taxRate": "0.21"})  # fmt: skip
        if not lines and not errors:
            errors.append(user_error(["order", "lineItems"], "An order needs line items", "INVALID"))
        if errors:
            return None, errors
        with self.changing() as events:
            order_id = self.new_id("Order")
            email = data.get("email") or ((data.get("customer") or {}).get("toUpsert") or {}).get("email")
            upsert = (data.get("customer") or {}).get("toUpsert")
            customer = None
            if upsert and upsert.get("email"):
                customer = self._find_customer({"email": upsert["email"]})
                if customer is None:
                    customer, _ = self.customer_set({"email": upsert["email"]}, {k: v for k, v in upsert.items() if v})
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
                "fulfillmentOrders": [{"id": self.new_id("FulfillmentOrder"), "status": "OPEN", "location": None,
                                       "lineItems": [{"id": self.new_id("FulfillmentOrderLineItem"), "sku": line["sku"],
                                                      "remainingQuantity": line["quantity"]} for line in lines]}],
            }  # fmt: skip
            self.orders[order_id] = order
            payload = {"admin_graphql_api_id": order_id, "name": order["name"], "email": email,
                       "financial_status": status.lower(), "source_name": order["sourceName"]}  # fmt: skip
            events.append(("orders/create", payload))
            if status == "PAID":
                events.append(("orders/paid", payload))
            return order_id, []

    def cancel_order(self, order_id: str, restock: bool = True) -> None:
        """Cancel an order as the merchant does in the admin: stock goes back, orders/cancelled is sent."""
        with self.changing() as events:
            order = self.orders[order_id]
            if order["cancelledAt"] is not None:
                return
            order["cancelledAt"] = order["updatedAt"] = now()
            for fulfillment_order in order["fulfillmentOrders"]:
                if restock and fulfillment_order["location"]:
                    for item in fulfillment_order["lineItems"]:
                        variant = next(v for v in self.variants.values() if v.get("sku") == item["sku"])
                        level = self.levels.get((variant["inventoryItemId"], fulfillment_order["location"]))
                        if level is not None and item["remainingQuantity"]:
                            level["available"] += item["remainingQuantity"]
                            level["on_hand"] += item["remainingQuantity"]
                            events.append(
                                self._level_event(variant["inventoryItemId"], fulfillment_order["location"], level)
                            )
                fulfillment_order["status"] = "CLOSED"
            events.append(("orders/cancelled", {"admin_graphql_api_id": order_id, "name": order["name"],
                                                "cancelled_at": order["cancelledAt"]}))  # fmt: skip

    def fulfill(self, data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """fulfillmentCreate: ship line items of one order's fulfillment orders, with tracking."""
        groups = data.get("lineItemsByFulfillmentOrder") or []
        found = [(o, fo) for o in self.orders.values() for fo in o["fulfillmentOrders"]
                 if fo["id"] in {g["fulfillmentOrderId"] for g in groups}]  # fmt: skip
        errors = []
        if not groups or len(found) != len(groups):
            errors.append(
                user_error(["fulfillment", "lineItemsByFulfillmentOrder"], "Fulfillment order does not exist.")
            )
        if len({o["id"] for o, _ in found}) > 1:
            errors.append(user_error(["fulfillment"], "All fulfillment orders must belong to the same order."))
        shipped: list[tuple[dict[str, Any], int]] = []
        for (_, fulfillment_order), group in zip(found, groups, strict=False):
            if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS"):
                errors.append(
                    user_error(
                        ["fulfillment"],
                        f"Fulfillment order {fulfillment_order['id']} is {fulfillment_order['status'].lower()}.",
                    )
                )
            items = {item["id"]: item for item in fulfillment_order["lineItems"]}
            wanted = group.get("fulfillmentOrderLineItems")
            for entry in (
                wanted
                if wanted is not None
                else [{"id": i, "quantity": v["remainingQuantity"]} for i, v in items.items()]
            ):
                item = items.get(entry["id"])
                if item is None:
                    errors.append(
                        user_error(["fulfillment"], f"Line item {entry['id']} is not part of the fulfillment order.")
                    )
                elif entry["quantity"] > item["remainingQuantity"]:
                    message = (
                        f"Quantity {entry['quantity']} of {item['sku']} exceeds the {item['remainingQuantity']} left."
                    )
                    errors.append(user_error(["fulfillment"], message))
                elif entry["quantity"] > 0:
                    shipped.append((item, entry["quantity"]))
        if errors or not shipped:
            return None, errors or [user_error(["fulfillment"], "Nothing left to fulfil.")]
        with self.changing() as events:
            order = found[0][0]
            for item, quantity in shipped:
                item["remainingQuantity"] -= quantity
            for _, fulfillment_order in found:
                if all(i["remainingQuantity"] == 0 for i in fulfillment_order["lineItems"]):
                    fulfillment_order["status"] = "CLOSED"
            tracking = data.get("trackingInfo") or {}
            fulfillment = {
                "id": self.new_id("Fulfillment"), "name": f"{order['name']}-F{len(order['fulfillments']) + 1}",
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

    # ---- inventory -------------------------------------------------------------------------

    def set_quantities(self, data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """inventorySetQuantities: all of the quantities or none of them."""
        name = str(data.get("name"))
        errors: list[dict[str, Any]] = []
        if name not in ("available", "on_hand"):
            errors.append(
                user_error(["input", "name"], "The quantity name must be 'available' or 'on_hand'.", "INVALID_NAME")
            )
        if not data.get("reason"):
            errors.append(user_error(["input", "reason"], "The reason is invalid.", "INVALID_REASON"))
        seen: set[tuple[str, str]] = set()
        for index, quantity in enumerate(data.get("quantities") or []):
            path: list[str | int] = ["input", "quantities", index]
            item = self.items.get(quantity["inventoryItemId"])
            pair = (quantity["inventoryItemId"], quantity["locationId"])
            if item is None:
                errors.append(
                    user_error(
                        [*path, "inventoryItemId"],
                        "The specified inventory item could not be found.",
                        "INVALID_INVENTORY_ITEM",
                    )
                )
            elif not item["tracked"]:
                errors.append(
                    user_error(
                        [*path, "inventoryItemId"], "The inventory item is not tracked.", "NON_MUTABLE_INVENTORY_ITEM"
                    )
                )
            if quantity["locationId"] not in self.locations:
                errors.append(
                    user_error([*path, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")
                )
            if pair in seen:
                errors.append(
                    user_error(
                        path,
                        "The combination of inventoryItemId and locationId must be unique.",
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    )
                )
            seen.add(pair)
            if abs(quantity["quantity"]) > 1_000_000_000:
                errors.append(
                    user_error(
                        [*path, "quantity"],
                        "The quantity can't be higher than 1,000,000,000.",
                        "INVALID_QUANTITY_TOO_HIGH",
                    )
                )
            if "changeFromQuantity" not in quantity:
                errors.append(
                    user_error(
                        [*path, "changeFromQuantity"],
                        "changeFromQuantity is required; pass null to skip the check.",
                        "COMPARE_QUANTITY_REQUIRED",
                    )
                )
            elif quantity["changeFromQuantity"] is not None and item is not None:
                current = self.levels.get(pair, dict.fromkeys(QUANTITY_NAMES, 0)).get(name, 0)
                if current != quantity["changeFromQuantity"]:
                    errors.append(
                        user_error(
                            [*path, "changeFromQuantity"],
                            f"The quantity changed to {current} since it was read.",
                            "CHANGE_FROM_QUANTITY_STALE",
                        )
                    )
        if errors:
            return [], errors
        changes = []
        with self.changing() as events:
            for quantity in data["quantities"]:
                pair = (quantity["inventoryItemId"], quantity["locationId"])
                level = self.levels.setdefault(pair, dict.fromkeys(QUANTITY_NAMES, 0))
                delta = quantity["quantity"] - level[name]
                level[name] = quantity["quantity"]
                other = "on_hand" if name == "available" else "available"
                level[other] += delta
                changes.append({"name": name, "delta": delta, "item": pair[0], "location": pair[1],
                                "quantityAfterChange": level[name]})  # fmt: skip
                if delta:
                    events.append(self._level_event(pair[0], pair[1], level))
        return changes, []

    def _level_event(self, item_id: str, location_id: str, level: Mapping[str, int]) -> Event:
        payload = {"inventory_item_id": item_id, "location_id": location_id, "available": level["available"],
                   "updated_at": now()}  # fmt: skip
        return ("inventory_levels/update", payload)

    def update_item(self, item_id: str, data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        with self.changing():
            item = self.items.get(item_id)
            if item is None:
                return None, [user_error(["id"], "Inventory item does not exist")]
            if data.get("tracked") is not None:
                item["tracked"] = bool(data["tracked"])
            if data.get("sku") is not None:
                item["sku"] = data["sku"]
            return item, []


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")


def _custom(custom: Mapping[str, Any]) -> tuple[str, str]:
    return (custom["namespace"], custom["key"])


def _option_key(options: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((o["name"], o["value"]) for o in options))


def _handle(title: str) -> str:
    text = "".join(c.lower() if c.isalnum() else "-" for c in title)
    return "-".join(part for part in text.split("-") if part) or "product"


def _set_variant_input(data: Mapping[str, Any]) -> dict[str, Any]:
    """A ProductVariantsBulkInput as the ProductVariantSetInput `_set_variants` takes."""
    item = data.get("inventoryItem") or {}
    quantities = [{"locationId": q["locationId"], "name": "available", "quantity": q["availableQuantity"]}
                  for q in data.get("inventoryQuantities") or []]  # fmt: skip
    return {
        **{key: data[key] for key in ("barcode", "price", "compareAtPrice", "optionValues") if key in data},
        "sku": item.get("sku"), "inventoryItem": {"tracked": item.get("tracked")}, "inventoryQuantities": quantities,
    }  # fmt: skip


def _check_product_input(data: Mapping[str, Any], creating: bool) -> list[dict[str, Any]]:
    errors = []
    if creating and not (data.get("title") or "").strip():
        errors.append(user_error(["input", "title"], "Title can't be blank", "INVALID_INPUT"))
    options = {o["name"]: {v["name"] for v in o.get("values") or []} for o in data.get("productOptions") or []}
    if len(options) > 3:
        errors.append(
            user_error(["input", "productOptions"], "Can only specify a maximum of 3 options", "OPTIONS_OVER_LIMIT")
        )
    seen_combinations: set[tuple[tuple[str, str], ...]] = set()
    for index, file in enumerate(data.get("files") or []):
        if not str(file.get("originalSource") or "").startswith(("https://", "http://")):
            errors.append(
                user_error(["input", "files", index, "originalSource"], "Source is not a valid URL", "INVALID_INPUT")
            )
    for index, variant in enumerate(data.get("variants") or []):
        path: list[str | int] = ["input", "variants", index]
        for value in variant.get("optionValues") or []:
            if options and value.get("optionName") not in options:
                errors.append(
                    user_error(
                        [*path, "optionValues"],
                        f"Option '{value.get('optionName')}' does not exist",
                        "OPTION_DOES_NOT_EXIST",
                    )
                )
            elif options and value.get("name") not in options[value.get("optionName")]:
                errors.append(
                    user_error(
                        [*path, "optionValues"],
                        f"Option value '{value.get('name')}' does not exist",
                        "OPTION_VALUE_DOES_NOT_EXIST",
                    )
                )
        combination = _option_key(
            [{"name": o.get("optionName"), "value": o.get("name")} for o in variant.get("optionValues") or []]
        )
        if combination in seen_combinations:
            errors.append(
                user_error(path, "The variant's option values duplicate another variant's", "DUPLICATED_OPTION_VALUE")
            )
        seen_combinations.add(combination)
        for money in ("price", "compareAtPrice"):
            if variant.get(money) is not None:
                try:
                    Decimal(str(variant[money]))
                except InvalidOperation:
                    errors.append(user_error([*path, money], f"{money} is not a valid amount", "INVALID_VARIANT"))
    return errors
