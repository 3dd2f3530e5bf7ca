"""What every store of the sandbox shop shares: one lock, Shopify's ids, and the webhook events of changes.

Each aggregate (products, inventory, collections, customers, orders, price lists, bulk operations)
keeps its own data in its own store; they all change the shop through one `Ledger`, so a change that
spans aggregates (a sale takes stock) holds one lock and its events go out together, once it has
succeeded. Stores answer Shopify's `userErrors` instead of raising, made here by `user_error`.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

Event = tuple[str, dict[str, Any]]  # (webhook topic such as "products/update", payload)


def gid(kind: str, number: int) -> str:
    """A Shopify global id: `gid://shopify/Product/1001`."""
    return f"gid://shopify/{kind}/{number}"


def now() -> str:
    """The time as Shopify writes it, to the second in UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_error(path: list[str | int], message: str, code: str | None = None) -> dict[str, Any]:
    """One of Shopify's `userErrors`: the input field it is about, what is wrong, and its code."""
    return {"field": [str(part) for part in path], "message": message, "code": code}


# Letters Shopify writes as plain ASCII that Unicode does not decompose into a letter and accents
_PLAIN = {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}


def handle_of(title: str) -> str:
    """The handle Shopify makes of a title or of a handle it is given: `Organic shirt` →
    `organic-shirt`, `Crème brûlée` → `creme-brulee`. Shopify's help ("Special characters in
    handles"): a-z and 0-9 without accents, spaces become hyphens, other characters are removed or
    become their plain ASCII letter; a test of every ASCII character through the API: `_` is kept,
    `"'()[]` are removed, other punctuation becomes a hyphen, and no hyphen ends a handle; the 2017
    changelog on UTF-8 handles: letters with no ASCII equivalent (`日本`) are kept."""
    letters = []
    for char in unicodedata.normalize("NFKD", title.lower()):
        if unicodedata.combining(char) or char in "\"'()[]":
            continue
        char = _PLAIN.get(char, char)
        letters.append(char if char.isalnum() or char == "_" else "-")
    return "-".join(part for part in "".join(letters).split("-") if part) or "product"


class Ledger:
    """The shop's lock, its ids (numbered per kind from 1001), and the events its changes emitted."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.events: list[Event] = []
        self.on_event: Callable[[str, dict[str, Any]], None] | None = None  # the webhook dispatcher's
        self._ids: dict[str, int] = {}

    def new_id(self, kind: str) -> str:
        """The next id of `kind` (`Product`, `InventoryItem`, …)."""
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
