"""Large reads as Shopify bulk operations: start the export, wait for it, read its JSON Lines.

A bulk export costs one mutation (10 points) and a few polls (1 point each) however many records
it holds, instead of a page per handful of records; the query itself is not drawn from the rate
budget, but it takes time (the sandbox's `bulk` module says what Shopify documents of it, and how
the sandbox models what it does not). Polls come at once, then after 1, 2, 4, then every 8 seconds: a long export
costs few points, a short one is not waited for long. A shop runs at most five bulk queries of an
app at once (API 2026-01 and later); a sixth is refused with `LIMIT_REACHED`, a retriable error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from connectors.shopify.documents import document
from connectors.shopify.transport import Transport
from engine.errors import FatalConnectorError, RetriableConnectorError

FINISHED = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")


FIRST_POLL_S = 1.0
LONGEST_POLL_S = 8.0


def export(transport: Transport, query: str, max_polls: int = 3600) -> Iterator[dict[str, Any]]:
    """Run a bulk query; yields its objects, each nested connection's nodes as lines with __parentId."""
    started = transport.request(document("BulkOperationRunQuery"), {"query": query})["bulkOperationRunQuery"]
    if any(error.get("code") == "LIMIT_REACHED" for error in started["userErrors"]):
        raise RetriableConnectorError("Shopify runs as many bulk exports for this shop as it allows at once; "
                                      "try again when one has finished")  # fmt: skip
    if started["userErrors"]:
        messages = "; ".join(e["message"] for e in started["userErrors"])
        raise FatalConnectorError(f"Shopify refused the bulk export: {messages}")
    operation = started["bulkOperation"]
    polls, wait = 0, 0.0
    while operation["status"] not in FINISHED:
        if polls >= max_polls:
            raise RetriableConnectorError(f"the bulk export {operation['id']} did not finish in time")
        transport.sleep(wait)
        polls, wait = polls + 1, min(max(wait * 2, FIRST_POLL_S), LONGEST_POLL_S)
        operation = transport.request(document("BulkOperation"), {"id": operation["id"]})["bulkOperation"]
    if operation["status"] != "COMPLETED":
        raise RetriableConnectorError(f"the bulk export ended {operation['status']} ({operation.get('errorCode')})")
    if not operation.get("url"):
        return  # no objects
    for line in transport.download(operation["url"]):
        if line.strip():
            yield json.loads(line)


def regroup(objects: Iterator[dict[str, Any]], children: Callable[[dict[str, Any]], str]) -> list[dict[str, Any]]:
    """Nest child lines back under their parents: `children(line)` names the connection field a
    child belongs to (from its __typename); they come back as `{field: {"nodes": [...]}}`."""
    roots: dict[str, dict[str, Any]] = {}
    for obj in objects:
        parent = obj.pop("__parentId", None)
        if parent is None:
            roots[obj["id"]] = obj
            continue
        field = children(obj)
        obj.pop("__typename", None)
        roots[parent].setdefault(field, {"nodes": []})["nodes"].append(obj)
    return list(roots.values())
