"""Products between canonical records and Shopify: `productSet` input out, `ProductFields` in.

A product is identified by its product number, kept in a unique metafield (`tillsync.product_number`
by default), so `productSet` creates or updates it by that key. Attributes (size, colour) become
product options, features become metafields in their own namespace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from connectors.shopify.settings import ShopifySettings
from engine.errors import RecordError
from engine.records import Money, Product, Variant

DEFAULT_OPTION = ("Title", "Default Title")  # Shopify's option of a product without attributes
STATUSES: dict[str, Literal["active", "draft", "archived"]] = {
    "ACTIVE": "active", "DRAFT": "draft", "ARCHIVED": "archived", "UNLISTED": "draft",
}  # fmt: skip


def identifier(settings: ShopifySettings, product: Product) -> dict[str, Any]:
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
        categories=tuple(c["handle"] for c in (node.get("collections") or {}).get("nodes") or []),
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
