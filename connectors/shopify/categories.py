"""Categories as Shopify collections, found by the handle Shopify makes of the category's key.

Shopify's collections are flat; a category's parent is kept in a metafield so it survives a round
trip. Products join collections by id, so product writes look the category keys up first, through
the collections this module remembers.

Shopify does not keep a handle as it is given: it makes one of it (`handle_of`), so a key is
compared the way Shopify normalises it, and `ünï cødé` is found at `uni-code` on every run. The
key itself rides in a metafield (`<key_namespace>.key`): a category reads back under the key it
was written with, and two keys Shopify makes one handle of are told apart (the second is refused as
taken rather than written over the first). A collection without that metafield (made by hand) is
taken over by the category whose key makes its handle.

`collectionCreate` takes no idempotency key (see `idempotency`): when the answer to a batch of
creates is lost, each collection of the batch is looked up by its handle; one found is made, one
not found fails and the next run makes it. A batch is never sent twice, so it never leaves
`-1` copies behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.shopify.session import Session, chunks, of_type, user_errors
from connectors.shopify.settings import ShopifySettings
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, RetriableConnectorError
from engine.keys import Key
from engine.records import Category, Record

COLLECTIONS_PER_PAGE = 50
COLLECTIONS_PER_READ = 25  # handles looked up in one request, each under its own alias
COLLECTIONS_PER_WRITE = 10
KEY = "key"  # the metafield (in the key namespace) holding the category's key
# Letters with no decomposition into a plain letter and accents, as plain ASCII
_PLAIN = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ß": "ss", "ł": "l",
                        "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i"})  # fmt: skip


def handle_of(text: str) -> str:
    """The handle Shopify makes of `text`. From Shopify's help ("Special characters in handles":
    letters without accents, a-z and 0-9, spaces become hyphens, other characters are removed or
    become their plain ASCII letter), a test of every ASCII character against the API (underscores
    are kept; `"'()[]` removed; other punctuation, spaces and control characters a hyphen, none at
    the end) and the 2017 changelog on UTF-8 handles (letters with no ASCII equivalent, `日本`, are
    kept): `Crème brûlée` → `creme-brulee`, `ünï cødé` → `uni-code`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^\w]+", "-", re.sub(r"[\"'()\[\]]", "", plain)).strip("-")


def owner(node: Mapping[str, Any]) -> str | None:
    """The category key a collection was written for; None for one made by hand."""
    return (node.get(KEY) or {}).get("value") or None


def from_node(node: Mapping[str, Any], key: str | None = None) -> Category:
    """The canonical category of a `CollectionFields` node, under `key` (else its own key or handle)."""
    return Category(
        key=key or owner(node) or node["handle"],
        name=node["title"],
        parent=(node.get("parent") or {}).get("value") or None,
        description=node.get("descriptionHtml") or None,
    )


def collection_input(settings: ShopifySettings, category: Category, collection_id: str | None) -> dict[str, Any]:
    """The CollectionCreateInput (no id yet) or CollectionUpdateInput of a category."""
    metafields = [{"namespace": settings.key_namespace, "key": name, "type": "single_line_text_field", "value": value}
                  for name, value in (("parent", category.parent or ""), (KEY, category.key))]  # fmt: skip
    data: dict[str, Any] = {"title": category.name, "descriptionHtml": category.description or ""}
    data["metafields"] = metafields
    return {**data, "id": collection_id} if collection_id else {**data, "handle": handle_of(category.key)}


class Categories:
    """Reads and writes categories; remembers each collection it has seen by handle, for product writes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_handle: dict[str, dict[str, Any] | None] = {}  # None: the shop has no collection of that handle

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The categories with these keys, or every collection in the shop."""
        if keys is None:
            variables = {"keyNamespace": self.session.settings.key_namespace, "first": COLLECTIONS_PER_PAGE}
            return [from_node(node) for node in self.session.nodes("CollectionsPage", "collections", variables)]
        nodes = self.collections([key[0] for key in keys])
        return [from_node(node, key) for key, node in nodes.items()]

    def collections(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The collections of these category keys that the shop holds, by key; each handle is asked
        for once per client. A collection written for another key is not this one's."""
        wanted = [h for h in dict.fromkeys(map(handle_of, keys)) if h and h not in self._by_handle]
        for chunk in chunks(wanted, COLLECTIONS_PER_READ):
            variables = {"keyNamespace": self.session.settings.key_namespace} | {
                f"handle{i}": h for i, h in enumerate(chunk)
            }
            data = self.session.request_batch("CollectionByHandle", len(chunk), ("handle",), variables)
            for index, handle in enumerate(chunk):
                self._by_handle[handle] = data.get(f"c{index}")
        found = {key: self._by_handle.get(handle_of(key)) for key in keys}
        return {key: node for key, node in found.items() if node is not None and owner(node) in (None, key)}

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Updates the collections that exist, creates the others; a taken handle is an error."""
        categories = of_type(records, Category)
        existing = self.collections([c.key for c in categories])
        outcomes: dict[str, WriteOutcome] = {}
        settings = self.session.settings
        updates = [c for c in categories if c.key in existing]
        creates = [c for c in categories if c.key not in existing]
        with settled_so_far(outcomes):
            for operation, chosen in (("CollectionUpdate", updates), ("CollectionCreate", creates)):
                for chunk in chunks(chosen, COLLECTIONS_PER_WRITE):
                    variables: dict[str, Any] = {"keyNamespace": settings.key_namespace}
                    for index, category in enumerate(chunk):
                        collection_id = existing[category.key]["id"] if category.key in existing else None
                        variables[f"collection{index}"] = collection_input(settings, category, collection_id)
                    try:
                        result = self.session.request_batch(operation, len(chunk), ("collection",), variables)
                    except AnswerLostError as lost:
                        outcomes.update(self._settle(chunk, lost))
                        continue
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
        if node["handle"] != handle_of(category.key):
            error = f"Shopify gave the collection the handle {node['handle']}; {handle_of(category.key)} is taken"
            return WriteOutcome(key, error=error, response=node)
        return WriteOutcome(key, target_id=node["id"], response={"id": node["id"]})

    def _settle(self, chunk: list[Category], lost: AnswerLostError) -> dict[str, WriteOutcome]:
        """The outcomes of a batch of creates whose answer was lost, from the collections the shop now holds."""
        for category in chunk:
            self._by_handle.pop(handle_of(category.key), None)
        try:
            found = self.collections([c.key for c in chunk])
        except RetriableConnectorError as exc:
            return {c.key: WriteOutcome((c.key,), error=f"{lost}; looking for it failed too: {exc}") for c in chunk}
        outcomes = {}
        for category in chunk:
            if category.key in found:
                outcomes[category.key] = self._outcome(category, {"collection": found[category.key]})
            else:
                error = f"{lost}; Shopify has no collection {handle_of(category.key)}, so the next run makes it"
                outcomes[category.key] = WriteOutcome((category.key,), error=error)
        return outcomes
