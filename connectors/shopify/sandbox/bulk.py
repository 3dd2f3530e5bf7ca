"""Bulk operations in the sandbox: a query run without page limits, flattened to JSON Lines.

As Shopify writes them: one line per node of the top connection, and one line per node of each
nested connection with `__parentId` set to the id of the node it belongs to. The store keeps each
operation finished, with its file served at `/_sandbox/bulk/NUMBER.jsonl`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.shopify.sandbox.ledger import Ledger, now


class BulkOperationStore:
    """Bulk operations by id, and their JSON Lines by operation number."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.operations: dict[str, dict[str, Any]] = {}
        self.files: dict[str, str] = {}  # operation number → JSON Lines

    def add(self, query: str, text: str, count: int, roots: int, public_url: str) -> dict[str, Any]:
        """A completed operation of `query` whose result is `text`, downloadable from `public_url`."""
        with self.ledger.lock:
            operation_id = self.ledger.new_id("BulkOperation")
            number = operation_id.rsplit("/", 1)[-1]
            self.files[number] = text
            operation = {
                "id": operation_id, "status": "COMPLETED", "type": "QUERY", "query": query, "errorCode": None,
                "objectCount": str(count), "rootObjectCount": str(roots), "fileSize": str(len(text.encode())),
                "url": f"{public_url}/_sandbox/bulk/{number}.jsonl" if count else None,
                "partialDataUrl": None, "createdAt": now(), "completedAt": now(),
            }  # fmt: skip
            self.operations[operation_id] = operation
            return operation


def json_lines(data: Mapping[str, Any]) -> tuple[str, int]:
    """The JSONL text of a bulk query's result, and how many objects it holds."""
    lines = [json.dumps(obj, separators=(",", ":")) for obj in _objects(data)]
    return "".join(line + "\n" for line in lines), len(lines)


def _objects(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for value in data.values():
        if _is_connection(value):
            for node in _nodes(value):
                yield from _flatten(node, None)


def _flatten(node: Mapping[str, Any], parent: str | None) -> Iterator[dict[str, Any]]:
    own: dict[str, Any] = {}
    children: list[Mapping[str, Any]] = []
    for key, value in node.items():
        if _is_connection(value):
            children.extend(_nodes(value))
        else:
            own[key] = value
    if parent is not None:
        own["__parentId"] = parent
    yield own
    for child in children:
        yield from _flatten(child, node.get("id") or parent)


def _is_connection(value: Any) -> bool:
    return isinstance(value, Mapping) and ("edges" in value or "nodes" in value) and len(value) <= 3


def _nodes(connection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if connection.get("edges") is not None:
        return [edge["node"] for edge in connection["edges"]]
    return list(connection.get("nodes") or [])
