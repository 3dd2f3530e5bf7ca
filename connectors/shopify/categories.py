"""Categories as Shopify collections, identified by handle.

Shopify's collections are flat; a category's parent is kept in a metafield so it survives a round
trip. Products join collections by id, so product writes look the category keys up first, through
the collections this module remembers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.shopify.session import Session, chunks, of_type, user_errors
from connectors.shopify.settings import ShopifySettings
from engine.connector import ReadFilter, WriteOutcome
from engine.keys import Key
from engine.records import Category, Record

COLLECTIONS_PER_PAGE = 50
COLLECTIONS_PER_READ = 25  # handles looked up in one request, each under its own alias
COLLECTIONS_PER_WRITE = 10


def from_node(node: Mapping[str, Any]) -> Category:
    """The canonical category of a `CollectionFields` node."""
    return Category(
        key=node["handle"],
        name=node["title"],
        parent=(node.get("parent") or {}).get("value") or None,
        description=node.get("descriptionHtml") or None,
    )


def collection_input(settings: ShopifySettings, category: Category, collection_id: str | None) -> dict[str, Any]:
    """The CollectionCreateInput (no id yet) or CollectionUpdateInput of a category."""
    data: dict[str, Any] = {
        "title": category.name,
        "descriptionHtml": category.description or "",
        "metafields": [{"namespace": settings.key_namespace, "key": "parent", "type": "single_line_text_field",
                        "value": category.parent or ""}],
    }  # fmt: skip
    return {**data, "id": collection_id} if collection_id else {**data, "handle": category.key}


class Categories:
    """Reads and writes categories; remembers each collection it has seen by handle, for product writes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_handle: dict[str, dict[str, Any] | None] = {}  # None: the shop has no collection of that handle

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The categories with these handles, or every collection in the shop."""
        if keys is None:
            variables = {"keyNamespace": self.session.settings.key_namespace, "first": COLLECTIONS_PER_PAGE}
            return [from_node(node) for node in self.session.nodes("CollectionsPage", "collections", variables)]
        nodes = self.collections([key[0] for key in keys])
        return [from_node(node) for node in nodes.values()]

    def collections(self, handles: list[str]) -> dict[str, dict[str, Any]]:
        """Collections by handle (those that exist); each handle is asked for once per client."""
        wanted = [h for h in dict.fromkeys(handles) if h not in self._by_handle]
        for chunk in chunks(wanted, COLLECTIONS_PER_READ):
            variables = {"keyNamespace": self.session.settings.key_namespace} | {
                f"handle{i}": h for i, h in enumerate(chunk)
            }
            data = self.session.request_batch("CollectionByHandle", len(chunk), ("handle",), variables)
            for index, handle in enumerate(chunk):
                self._by_handle[handle] = data.get(f"c{index}")
        return {h: node for h in handles if (node := self._by_handle.get(h)) is not None}

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Updates the collections that exist, creates the others; a taken handle is an error."""
        categories = of_type(records, Category)
        existing = self.collections([c.key for c in categories])
        outcomes: dict[str, WriteOutcome] = {}
        for operation, chosen in (("CollectionUpdate", [c for c in categories if c.key in existing]),
                                  ("CollectionCreate", [c for c in categories if c.key not in existing])):  # fmt: skip
            for chunk in chunks(chosen, COLLECTIONS_PER_WRITE):
                variables: dict[str, Any] = {"keyNamespace": self.session.settings.key_namespace}
                for index, category in enumerate(chunk):
                    collection_id = existing[category.key]["id"] if category.key in existing else None
                    variables[f"collection{index}"] = collection_input(self.session.settings, category, collection_id)
                result = self.session.request_batch(operation, len(chunk), ("collection",), variables)
                for index, category in enumerate(chunk):
                    outcomes[category.key] = self._outcome(category, result.get(f"c{index}") or {})
        return [outcomes[c.key] for c in categories]

    def _outcome(self, category: Category, payload: Mapping[str, Any]) -> WriteOutcome:
        key = (category.key,)
        node = payload.get("collection")
        if payload.get("userErrors") or not node:
            errors = payload.get("userErrors") or [{"message": "no collection returned"}]
            return WriteOutcome(key, error=user_errors(errors))
        self._by_handle[node["handle"]] = node
        if node["handle"] != category.key:
            error = f"Shopify gave the collection the handle {node['handle']}; {category.key} is taken"
            return WriteOutcome(key, error=error, response=node)
        return WriteOutcome(key, target_id=node["id"], response={"id": node["id"]})
