"""Products between canonical records and Shopify: `productSet` input out, `ProductFields` in.

A product is identified by its product number, kept in a unique metafield (`tillsync.product_number`
by default), so `productSet` creates or updates it by that key. Attributes (size, colour) become
product options, features become metafields in their own namespace. Products are read five keys to
a request (aliased `productByIdentifier`), or all at once as a bulk export; written ten to a request.
A product the merchant made by hand that holds the SKUs of one being written is adopted (updated by
its id) rather than made twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from connectors.shopify.categories import Categories, owner
from connectors.shopify.session import Session, chunks, of_type, user_errors
from connectors.shopify.settings import ShopifySettings
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import RecordError
from engine.keys import Key
from engine.records import Money, Product, Record, Variant

DEFAULT_OPTION = ("Title", "Default Title")  # Shopify's option of a product without attributes
STATUSES: dict[str, Literal["active", "draft", "archived"]] = {
    "ACTIVE": "active", "DRAFT": "draft", "ARCHIVED": "archived", "UNLISTED": "draft",
}  # fmt: skip
PRODUCTS_PER_READ = 5  # keeps a read of full products under Shopify's 1000-point query limit
PRODUCTS_PER_WRITE = 10
SKUS_PER_READ = 25
VARIANTS_PER_READ = 250
# A bulk export's child lines, by __typename: the connection of ProductFields each belongs to.
BULK_CHILDREN = {"ProductVariant": "variants", "Metafield": "features", "Collection": "collections"}


def identifier(settings: ShopifySettings, product: Product) -> dict[str, Any]:
    """The ProductSetIdentifiers that find a product by its product number."""
    return {"customId": {"namespace": settings.key_namespace, "key": settings.key_name, "value": product.sku}}


def product_set_input(
    settings: ShopifySettings,
    product: Product,
    collections: Mapping[str, Mapping[str, Any]],
    images_in_shop: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The `ProductSetInput` for a canonical product; `collections` are the shop's, by handle.
    Images are sent as files from their URLs only when they differ from `images_in_shop`, so an
    update does not upload them again; their URLs are kept in a metafield to compare with."""
    missing = [key for key in product.categories if key not in collections]
    if missing:
        raise RecordError(f"Shopify has no collection {', '.join(missing)}; sync the categories first", "categories")
    options = list(product.options) or _options_used(product)
    if len(options) > 3:
        raise RecordError(f"Shopify allows 3 options per product, {product.sku} has {len(options)}", "options")
    data: dict[str, Any] = {
        "title": product.title,
        "descriptionHtml": product.description or "",
        "vendor": product.vendor or "",
        "productType": product.product_type or "",
        "status": product.status.upper(),
        "tags": list(product.tags),
        "metafields": [
            {"namespace": settings.key_namespace, "key": settings.key_name, "type": "single_line_text_field",
             "value": product.sku}
        ] + [
            {"namespace": settings.feature_namespace, "key": key, "type": "single_line_text_field", "value": value}
            for key, value in sorted(product.features.items())
        ],
    }  # fmt: skip
    data["collections"] = [collections[key]["id"] for key in product.categories]
    if product.images != (images_in_shop or ()):
        bad = [url for url in product.images if not url.startswith(("https://", "http://"))]
        if bad:
            raise RecordError(f"image {bad[0]!r} of {product.sku} is not an http(s) URL", "images")
        data["files"] = [
            {"originalSource": url, "contentType": "IMAGE", "alt": product.title} for url in product.images
        ]
        data["metafields"].append({"namespace": settings.key_namespace, "key": "images", "type": "json",
                                   "value": json.dumps(list(product.images))})  # fmt: skip
    variants = product.variants or (Variant(sku=product.sku),)
    if options:
        data["productOptions"] = [
            {"name": name, "position": index + 1,
             "values": [{"name": value} for value in _values(variants, name)]}
            for index, name in enumerate(options)
        ]  # fmt: skip
    data["variants"] = [_variant_input(settings, product.sku, variant, options) for variant in variants]
    return data


def _options_used(product: Product) -> list[str]:
    return list(dict.fromkeys(name for variant in product.variants for name in variant.options))


def _values(variants: tuple[Variant, ...], name: str) -> list[str]:
    return list(dict.fromkeys(v.options[name] for v in variants if name in v.options))


def _variant_input(settings: ShopifySettings, sku: str, variant: Variant, options: list[str]) -> dict[str, Any]:
    missing = [name for name in options if name not in variant.options]
    if missing:
        raise RecordError(f"variant {variant.sku} of {sku} has no value for option {', '.join(missing)}", "variants")
    data: dict[str, Any] = {
        "sku": variant.sku,
        "optionValues": [{"optionName": name, "name": variant.options[name]} for name in options]
        or [{"optionName": DEFAULT_OPTION[0], "name": DEFAULT_OPTION[1]}],
    }
    if variant.barcode is not None:
        data["barcode"] = variant.barcode
    for field, money in (("price", variant.price), ("compareAtPrice", variant.compare_at_price)):
        if money is not None:
            if money.currency != settings.currency:
                raise RecordError(
                    f"variant {variant.sku}: {field} is in {money.currency}, the shop sells in {settings.currency}",
                    "variants",
                )
            data[field] = str(money.amount)
    if variant.tracked is not None:
        data["inventoryItem"] = {"tracked": variant.tracked}
    return data


def from_node(settings: ShopifySettings, node: Mapping[str, Any]) -> Product | None:
    """The canonical product of a `ProductFields` node; None for a product without a product number."""
    key = (node.get("key") or {}).get("value")
    if not key:
        return None
    variants_page = node.get("variants") or {}
    if (variants_page.get("pageInfo") or {}).get("hasNextPage"):
        raise RecordError(f"product {key} has more than 50 variants; Tillsync reads at most 50 per product")
    options = [o["name"] for o in sorted(node.get("options") or [], key=lambda o: o["position"])]
    if options == [DEFAULT_OPTION[0]]:
        options = []
    return Product(
        sku=key,
        title=node.get("title") or "",
        description=node.get("descriptionHtml") or None,
        vendor=node.get("vendor") or None,
        product_type=node.get("productType") or None,
        status=STATUSES.get(str(node.get("status")), "draft"),
        tags=tuple(node.get("tags") or ()),
        categories=tuple(owner(c) or c["handle"] for c in (node.get("collections") or {}).get("nodes") or []),
        images=tuple(json.loads((node.get("images") or {}).get("value") or "[]")),
        options=tuple(options),
        features={f["key"]: f["value"] for f in (node.get("features") or {}).get("nodes") or []},
        variants=tuple(_variant(settings, v) for v in variants_page.get("nodes") or []),
    )


def _variant(settings: ShopifySettings, node: Mapping[str, Any]) -> Variant:
    options = {o["name"]: o["value"] for o in node.get("selectedOptions") or [] if o["name"] != DEFAULT_OPTION[0]}
    return Variant(
        sku=node.get("sku") or "",
        barcode=node.get("barcode") or None,
        options=options,
        price=_money(node.get("price"), settings.currency),
        compare_at_price=_money(node.get("compareAtPrice"), settings.currency),
        tracked=(node.get("inventoryItem") or {}).get("tracked"),
    )


def _money(amount: Any, currency: str) -> Money | None:
    if amount in (None, ""):
        return None
    return Money(amount=Decimal(str(amount)).quantize(Decimal("0.01")), currency=currency)


def sku_query(skus: list[str]) -> str:
    """The variant search for these SKUs: `sku:"1001" OR sku:"1002"`."""
    return " OR ".join(f'sku:"{sku}"' for sku in skus)


def variant_ids(session: Session, skus: list[str]) -> dict[str, str]:
    """The ids of the variants with these SKUs, by SKU (prices and orders name variants by id)."""
    ids: dict[str, str] = {}
    for chunk in chunks(list(dict.fromkeys(skus)), VARIANTS_PER_READ):
        variables = {"query": sku_query(chunk), "first": VARIANTS_PER_READ}
        for node in session.nodes("VariantsBySku", "productVariants", variables):
            ids[node["sku"]] = node["id"]
    return ids


class Products:
    """Reads and writes products; joins them to the collections `categories` knows."""

    def __init__(self, session: Session, categories: Categories) -> None:
        self.session = session
        self.categories = categories
        self._images: dict[str, tuple[str, ...]] = {}  # product number → image URLs last read or written

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The products with these product numbers, or every product (one bulk export)."""
        return list(self._by_key(keys) if keys is not None else self._everything())

    def _key_variables(self) -> dict[str, Any]:
        s = self.session.settings
        return {"keyNamespace": s.key_namespace, "keyName": s.key_name, "featureNamespace": s.feature_namespace}

    def _by_key(self, keys: Sequence[Key]) -> Iterator[Product]:
        wanted = [key[0] for key in keys]
        for chunk in chunks(wanted, PRODUCTS_PER_READ):
            variables = self._key_variables() | {f"value{i}": value for i, value in enumerate(chunk)}
            data = self.session.request_batch("ProductByKey", len(chunk), ("value",), variables)
            for index in range(len(chunk)):
                node = data.get(f"p{index}")
                product = self._product(node) if node else None
                if product is not None:
                    yield product

    def _everything(self) -> Iterator[Product]:
        for node in self.session.bulk_export("products", BULK_CHILDREN, **self._key_variables()):
            product = self._product(node)
            if product is not None:
                yield product

    def _product(self, node: dict[str, Any]) -> Product | None:
        product = from_node(self.session.settings, node)
        if product is not None:
            self._images[product.sku] = product.images
        return product

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Creates or updates products by product number, ten to a `productSet` request."""
        settings = self.session.settings
        products = of_type(records, Product)
        outcomes: dict[str, WriteOutcome] = {}
        ready: list[tuple[Product, dict[str, Any]]] = []
        collections = self.categories.collections([key for product in products for key in product.categories])
        for product in products:
            try:
                images = self._images.get(product.sku)
                ready.append((product, product_set_input(settings, product, collections, images)))
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
        with settled_so_far(outcomes):
            for chunk in chunks(ready, PRODUCTS_PER_WRITE):
                variables = self._key_variables()
                for index, (product, data) in enumerate(chunk):
                    adopted = next((gid for v in product.variants if (gid := owners.get(v.sku, (None, None))[0])), None)
                    variables[f"identifier{index}"] = {"id": adopted} if adopted else identifier(settings, product)
                    variables[f"input{index}"] = data
                result = self.session.request_batch("ProductSet", len(chunk), ("identifier", "input"), variables)
                for index, (product, _) in enumerate(chunk):
                    outcomes[product.sku] = self._outcome(product, result.get(f"p{index}") or {})
        return [outcomes[p.sku] for p in products]

    def _outcome(self, product: Product, payload: Mapping[str, Any]) -> WriteOutcome:
        key = (product.sku,)
        errors = payload.get("userErrors") or []
        if errors:
            return WriteOutcome(key, error=user_errors(errors), response=payload)
        node = payload.get("product") or {}
        self._images[product.sku] = product.images
        return WriteOutcome(key, target_id=node.get("id"), response={"id": node.get("id")})

    def _sku_owners(self, products: list[Product]) -> dict[str, tuple[str | None, str | None]]:
        """For variant SKUs already in the shop: (id of a product without a product number to adopt,
        or None; the product number of the product they belong to, or None)."""
        skus = [v.sku for p in products for v in p.variants]
        owners: dict[str, tuple[str | None, str | None]] = {}
        for chunk in chunks(list(dict.fromkeys(skus)), SKUS_PER_READ):
            variables = self._key_variables() | {"query": sku_query(chunk), "first": SKUS_PER_READ}
            variables.pop("featureNamespace")
            for node in self.session.nodes("ProductsBySku", "productVariants", variables):
                key = (node["product"].get("key") or {}).get("value")
                owners[node["sku"]] = (None if key else node["product"]["id"], key)
        return owners
