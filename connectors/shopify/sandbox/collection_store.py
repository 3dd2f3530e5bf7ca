"""The sandbox shop's collections: made with a handle of their own (from the title unless one is
asked for, made unique with `-1`), changed by id, each with metafields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.shopify.sandbox.ledger import Ledger, handle_of, now, user_error


class CollectionStore:
    """Collections by id, with the rules of `collectionCreate` and `collectionUpdate`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.collections: dict[str, dict[str, Any]] = {}

    def collection_set(self, data: Mapping[str, Any], creating: bool) -> tuple[str | None, list[dict[str, Any]]]:
        """collectionCreate / collectionUpdate."""
        with self.ledger.changing():
            if creating:
                if not (data.get("title") or "").strip():
                    return None, [user_error(["collection", "title"], "Title can't be blank")]
                collection_id = self.ledger.new_id("Collection")
                handle = handle_of(data.get("handle") or data["title"])
                taken = {c["handle"] for c in self.collections.values()}
                while handle in taken:
                    handle += "-1"
                collection: dict[str, Any] = {"id": collection_id, "handle": handle, "title": "", "descriptionHtml": "",
                                              "metafields": {}}  # fmt: skip
            else:
                found = self.collections.get(data.get("id") or "")
                if found is None:
                    return None, [user_error(["collection", "id"], "Collection does not exist")]
                collection = found
            for key in ("title", "descriptionHtml"):
                if data.get(key) is not None:
                    collection[key] = data[key]
            for metafield in data.get("metafields") or []:
                collection["metafields"][(metafield["namespace"], metafield["key"])] = metafield["value"]
            collection["updatedAt"] = now()
            self.collections[collection["id"]] = collection
            return collection["id"], []

    def collection_by_handle(self, handle: str) -> str | None:
        """The id of the collection with this handle, if there is one."""
        return next((c for c, v in self.collections.items() if v["handle"] == handle), None)
