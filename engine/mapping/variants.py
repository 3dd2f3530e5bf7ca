"""Products read variant by variant, for a target that keeps items, not variants (Rackbeat).

A flow with `variants_as_products` takes each variant of a source product as a product of its own,
matched on the variant's SKU: titled by its product and its options (`T-shirt - M`), with its product's description,
categories and other product fields, and that one variant. A simple product stays one product,
numbered by its variant's SKU. Pure.
"""

from __future__ import annotations

from engine.records import Product


def variant_products(product: Product) -> list[Product]:
    """Each variant of `product` as a product of its own (a product without variants as it is)."""
    if not product.variants:
        return [product]
    return [
        product.model_copy(
            update={
                "sku": variant.sku,
                "title": _title(product.title, variant.options),
                "options": (),
                "variants": (variant.model_copy(update={"options": {}}),),
            }
        )
        for variant in product.variants
    ]


def _title(title: str, options: dict[str, str]) -> str:
    """The product's title, and the variant's options when it has any: the same however many
    variants the product has left."""
    return f"{title} - {' / '.join(options.values())}" if options else title
