"""Bulk operations in the sandbox: a query run without page limits, flattened to JSON Lines, and
the time it takes.

As Shopify writes them: one line per node of the top connection, and one line per node of each
nested connection (also one inside an object, such as a variant's inventory item) with
`__parentId` set to the id of the node it belongs to. The file is served at
`/_sandbox/bulk/NUMBER.jsonl`.

What Shopify documents for API 2026-10, and how the sandbox keeps it (`BulkTiming`):
- "In API versions 2026-01 and higher, you can run up to five bulk query operations at a time per
  shop" (shopify.dev/docs/api/usage/bulk-operations/queries; the changelog "Faster bulk
  operations", 15 December 2025, effective 2026-01: "Each app can run up to five bulk operations
  per shop simultaneously"). A sixth is refused with `LIMIT_REACHED`, as the 2026-10 schema's
  `BulkOperationUserErrorCode` names it.
- A bulk query "has to complete within 10 days", after which it is marked failed; results are
  JSONL at a URL, "available for seven days after completion".
- Cost: `bulkOperationRunQuery` is a mutation (10 points) and each `bulkOperation` poll an object
  (1 point); the query it runs is not drawn from the app's bucket.
- How long one takes Shopify does not document. The sandbox models it as a start-up delay plus a
  rate of objects written (`SHOPIFY`: 5 s, then 1,000 objects a second: 10,000 variants at two
  locations, 30,000 objects, take 35 s). These two figures are assumptions, kept here and only here;
  `INSTANT` (the default, for tests and `sandbox up`) finishes an operation as it starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.shopify.sandbox.ledger import Ledger, now


@dataclass(frozen=True)
class BulkTiming:
    """How long a bulk query takes, and how many may run at once per shop."""

    startup_s: float  # from the mutation to the first object written
    objects_per_s: float  # then objects written a second
    concurrent: int = 5  # bulk query operations running at once per shop (API 2026-01 and later)

    def duration_s(self, objects: int) -> float:
        return self.startup_s + objects / self.objects_per_s


SHOPIFY = BulkTiming(startup_s=5.0, objects_per_s=1000.0)  # modelled: Shopify documents no duration
INSTANT = BulkTiming(startup_s=0.0, objects_per_s=float("inf"))


class LimitReached(Exception):
    """As many bulk operations as Shopify runs at once for a shop are running."""


class BulkOperationStore:
    """Bulk operations by id, and their JSON Lines by operation number."""

    def __init__(
        self, ledger: Ledger, timing: BulkTiming = INSTANT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self.timing = timing
        self.clock = clock
        self.operations: dict[str, dict[str, Any]] = {}
        self.files: dict[str, str] = {}  # operation number → JSON Lines
        self._done_at: dict[str, float] = {}  # operation id → clock time it completes

    def add(
        self, query: str, text: str, count: int, roots: int, public_url: str, started: float | None = None
    ) -> dict[str, Any]:
        """An operation of `query` whose result is `text`, downloadable from `public_url` once it
        completes, timed from `started` (the clock when it was asked for: the sandbox's own work on
        it stands for part of Shopify's). `LimitReached` when as many as Shopify runs at once are running."""
        with self.ledger.lock:
            started = self.clock() if started is None else started
            if sum(1 for done in self._done_at.values() if done > started) >= self.timing.concurrent:
                raise LimitReached(f"A shop runs at most {self.timing.concurrent} bulk query operations at a time.")
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
            self._done_at[operation_id] = started + self.timing.duration_s(count)
            return self.get(operation_id) or operation

    def get(self, operation_id: str) -> dict[str, Any] | None:
        """An operation as `bulkOperation(id:)` shows it now: running, without its file, until it completes."""
        operation = self.operations.get(operation_id)
        if operation is None or self.clock() >= self._done_at[operation_id]:
            return operation
        return operation | {"status": "RUNNING", "url": None, "completedAt": None, "objectCount": "0"}


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
    children: list[Mapping[str, Any]] = []
    own: dict[str, Any] = _without_connections(node, children)
    if parent is not None:
        own["__parentId"] = parent
    yield own
    for child in children:
        yield from _flatten(child, node.get("id") or parent)


def _without_connections(value: Mapping[str, Any], children: list[Mapping[str, Any]]) -> dict[str, Any]:
    """An object without the connections in it, at any depth; their nodes go to `children`."""
    own: dict[str, Any] = {}
    for key, inner in value.items():
        if _is_connection(inner):
            children.extend(_nodes(inner))
        elif isinstance(inner, Mapping):
            own[key] = _without_connections(inner, children)
        else:
            own[key] = inner
    return own


def _is_connection(value: Any) -> bool:
    return isinstance(value, Mapping) and ("edges" in value or "nodes" in value) and len(value) <= 3


def _nodes(connection: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if connection.get("edges") is not None:
        return [edge["node"] for edge in connection["edges"]]
    return list(connection.get("nodes") or [])
