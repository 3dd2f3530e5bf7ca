"""Bulk operations in the sandbox: a query run without page limits, flattened to JSON Lines.

As Shopify writes them: one line per node of the top connection, and one line per node of each
nested connection with `__parentId` set to the id of the node it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


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
