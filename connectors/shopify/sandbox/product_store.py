"""The sandbox shop's products and their variants, with the rules Shopify applies when they change.

`productSet` replaces a product's options and variants with the ones sent (variants matched by id,
else by option values); `productCreate` makes a product with one standalone variant, which
`productVariantsBulkCreate` may replace. Each variant's inventory item lives in the inventory store,
and a product's collections must exist in the collection store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.shopify.sandbox.collection_store import CollectionStore
from connectors.shopify.sandbox.inventory_store import InventoryStore
from connectors.shopify.sandbox.ledger import Ledger, handle_of, now, user_error

PRODUCT_FIELDS = ("title", "descriptionHtml", "vendor", "productType", "status", "tags")  # set as sent
MAX_OPTIONS = 3


class ProductStore:
    """Products and variants; a variant's stock is the inventory store's, a product's collections the
    collection store's."""

    def __init__(self, ledger: Ledger, inventory: InventoryStore, collections: CollectionStore) -> None:
        self.ledger = ledger
        self.inventory = inventory
        self.collections = collections
        self.products: dict[str, dict[str, Any]] = {}
        self.variants: dict[str, dict[str, Any]] = {}

    def find_product(self, identifier: Mapping[str, Any]) -> str | None:
        """The product an identifier names: by id, handle, or unique metafield (`customId`)."""
        if identifier.get("id"):
            return identifier["id"] if identifier["id"] in self.products else None
        if identifier.get("handle"):
            return next((p for p, v in self.products.items() if v["handle"] == identifier["handle"]), None)
        custom = identifier.get("customId")
        if custom:
            key = _custom(custom)
            return next((p for p, v in self.products.items() if v["metafields"].get(key) == custom["value"]), None)
        return None

    def variant_with_sku(self, sku: str) -> dict[str, Any] | None:
        """The first variant with this SKU, if there is one."""
        return next((v for v in self.variants.values() if v.get("sku") == sku), None)

    def product_set(
        self, identifier: Mapping[str, Any] | None, data: Mapping[str, Any]
    ) -> tuple[str | None, list[dict[str, Any]]]:
        """productSet: create or replace a product with its options and variants."""
        with self.ledger.changing() as events:
            product_id = self.find_product(identifier) if identifier else None
            if identifier and identifier.get("id") and product_id is None:
                return None, [user_error(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            errors = check_product_input(data, creating=product_id is None)
            if errors:
                return None, errors
            creating = product_id is None
            product = self.products.get(product_id or "") or self._new_product(data)
            for key in PRODUCT_FIELDS:
                if key in data and data[key] is not None:
                    product[key] = list(data[key]) if key == "tags" else data[key]
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
                    {"id": self.ledger.new_id("MediaImage"), "originalSource": f["originalSource"], "alt": f.get("alt")}
                    for f in data["files"]
                ]
            if "collections" in data and data["collections"] is not None:
                unknown = [c for c in data["collections"] if c not in self.collections.collections]
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
        with self.ledger.changing() as events:
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
        taken = {option_key(v["selectedOptions"]) for v in kept}
        errors = []
        for index, data in enumerate(added):
            key = option_key([{"name": o.get("optionName"), "value": o.get("name")} for o in data["optionValues"]])
            if key in taken:
                message = f"The variant '{' / '.join(value for _, value in key)}' already exists."
                errors.append(user_error(["variants", index], message, "VARIANT_ALREADY_EXISTS"))
            taken.add(key)
        options = [{"name": o["name"], "values": [{"name": v} for v in o["values"]]} for o in product["options"]]
        for error in check_product_input({"productOptions": options, "variants": added}, creating=False):
            if error["code"] != "DUPLICATED_OPTION_VALUE":  # told above, as Shopify tells it
                errors.append({**error, "field": error["field"][1:3], "code": "INVALID_INPUT"})
        return errors

    def _new_product(self, data: Mapping[str, Any]) -> dict[str, Any]:
        product_id = self.ledger.new_id("Product")
        handle = handle_of(str(data.get("title") or product_id))
        taken = {p["handle"] for p in self.products.values()}
        while handle in taken:
            handle += "-1"
        return {"id": product_id, "handle": handle, "title": "", "descriptionHtml": "", "vendor": "",
                "productType": "", "status": "ACTIVE", "tags": [], "metafields": {}, "options": [],
                "collections": [], "variants": [], "media": [], "createdAt": now(), "updatedAt": now()}  # fmt: skip

    def _set_variants(self, product: dict[str, Any], inputs: Sequence[Mapping[str, Any]]) -> None:
        """Replace the product's variants: matched by id, else by option values; the rest removed."""
        existing = {vid: self.variants[vid] for vid in product["variants"]}
        by_options = {option_key(v["selectedOptions"]): vid for vid, v in existing.items()}
        kept: list[str] = []
        for position, data in enumerate(inputs, start=1):
            options = [{"name": o.get("optionName") or "Title", "value": o.get("name") or "Default Title"}
                       for o in data.get("optionValues") or []]  # fmt: skip
            variant_id = data.get("id") or by_options.get(option_key(options))
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
            self.inventory.apply_variant_input(variant["inventoryItemId"], variant["sku"], data)
            self.variants[variant["id"]] = variant
            kept.append(variant["id"])
        for gone in set(existing) - set(kept):
            self.inventory.remove_item(self.variants.pop(gone)["inventoryItemId"])
        product["variants"] = kept

    def _new_variant(self, product_id: str) -> dict[str, Any]:
        variant_id = self.ledger.new_id("ProductVariant")
        return {"id": variant_id, "productId": product_id, "inventoryItemId": self.inventory.new_item(variant_id)}

    def product_payload(self, product_id: str) -> dict[str, Any]:
        """A product as Shopify's `products/create` and `products/update` webhooks carry it."""
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


def option_key(options: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """A variant's option values as a key: two variants with the same key are the same variant."""
    return tuple(sorted((o["name"], o["value"]) for o in options))


def check_product_input(data: Mapping[str, Any], creating: bool) -> list[dict[str, Any]]:
    """The userErrors Shopify answers a ProductSetInput with: title, options, files, variants."""
    errors = []
    if creating and not (data.get("title") or "").strip():
        errors.append(user_error(["input", "title"], "Title can't be blank", "INVALID_INPUT"))
    options = {o["name"]: {v["name"] for v in o.get("values") or []} for o in data.get("productOptions") or []}
    if len(options) > MAX_OPTIONS:
        message = "Can only specify a maximum of 3 options"
        errors.append(user_error(["input", "productOptions"], message, "OPTIONS_OVER_LIMIT"))
    seen_combinations: set[tuple[tuple[str, str], ...]] = set()
    for index, file in enumerate(data.get("files") or []):
        if not str(file.get("originalSource") or "").startswith(("https://", "http://")):
            path: list[str | int] = ["input", "files", index, "originalSource"]
            errors.append(user_error(path, "Source is not a valid URL", "INVALID_INPUT"))
    for index, variant in enumerate(data.get("variants") or []):
        path = ["input", "variants", index]
        for value in variant.get("optionValues") or []:
            if options and value.get("optionName") not in options:
                message = f"Option '{value.get('optionName')}' does not exist"
                errors.append(user_error([*path, "optionValues"], message, "OPTION_DOES_NOT_EXIST"))
            elif options and value.get("name") not in options[value.get("optionName")]:
                message = f"Option value '{value.get('name')}' does not exist"
                errors.append(user_error([*path, "optionValues"], message, "OPTION_VALUE_DOES_NOT_EXIST"))
        combination = option_key(
            [{"name": o.get("optionName"), "value": o.get("name")} for o in variant.get("optionValues") or []]
        )
        if combination in seen_combinations:
            message = "The variant's option values duplicate another variant's"
            errors.append(user_error(path, message, "DUPLICATED_OPTION_VALUE"))
        seen_combinations.add(combination)
        for money in ("price", "compareAtPrice"):
            if variant.get(money) is not None:
                try:
                    Decimal(str(variant[money]))
                except InvalidOperation:
                    errors.append(user_error([*path, money], f"{money} is not a valid amount", "INVALID_VARIANT"))
    return errors


def _custom(custom: Mapping[str, Any]) -> tuple[str, str]:
    return (custom["namespace"], custom["key"])


def _set_variant_input(data: Mapping[str, Any]) -> dict[str, Any]:
    """A ProductVariantsBulkInput as the ProductVariantSetInput `_set_variants` takes."""
    item = data.get("inventoryItem") or {}
    quantities = [{"locationId": q["locationId"], "name": "available", "quantity": q["availableQuantity"]}
                  for q in data.get("inventoryQuantities") or []]  # fmt: skip
    return {
        **{key: data[key] for key in ("barcode", "price", "compareAtPrice", "optionValues") if key in data},
        "sku": item.get("sku"), "inventoryItem": {"tracked": item.get("tracked")}, "inventoryQuantities": quantities,
    }  # fmt: skip
