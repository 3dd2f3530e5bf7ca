"""Categories as Shopify collections, identified by handle.

Shopify's collections are flat; a category's parent is kept in a metafield so it survives a round
trip. Products join collections by id, so product writes look the category keys up first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.shopify.settings import ShopifySettings
from engine.records import Category


def from_node(node: Mapping[str, Any]) -> Category:
    return Category(
        key=node["handle"],
        name=node["title"],
        parent=(node.get("parent") or {}).get("value") or None,
        description=node.get("descriptionHtml") or None,
    )


def collection_input(settings: ShopifySettings, category: Category, collection_id: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": category.name,
        "descriptionHtml": category.description or "",
        "metafields": [{"namespace": settings.key_namespace, "key": "parent", "type": "single_line_text_field",
                        "value": category.parent or ""}],
    }  # fmt: skip
    return {**data, "id": collection_id} if collection_id else {**data, "handle": category.key}
