"""The sandbox's bulk operations take the time it models and run five at once per shop, as Shopify's do."""

from __future__ import annotations

import pytest

from connectors.shopify.sandbox.bulk import SHOPIFY, BulkOperationStore, LimitReached, json_lines
from connectors.shopify.sandbox.ledger import Ledger


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_operation_runs_for_its_modelled_time_and_then_hands_out_its_file() -> None:
    clock = Clock()
    store = BulkOperationStore(Ledger(), SHOPIFY, clock)
    started = store.add("{ x }", "{}\n" * 30_000, 30_000, 10_000, "http://shop")
    assert started["status"] == "RUNNING" and started["url"] is None
    clock.now += SHOPIFY.duration_s(30_000) - 0.1  # 5 s to start, then 1,000 objects a second
    assert store.get(started["id"])["status"] == "RUNNING"  # type: ignore[index]
    clock.now += 0.1
    done = store.get(started["id"])
    assert done is not None and done["status"] == "COMPLETED" and done["url"].endswith(".jsonl")
    assert SHOPIFY.duration_s(30_000) == 35.0


def test_a_sixth_operation_while_five_run_is_refused_and_one_finished_frees_a_place() -> None:
    clock = Clock()
    store = BulkOperationStore(Ledger(), SHOPIFY, clock)
    for size in (1000, 2000, 3000, 4000, 5000):
        store.add("{ x }", "", size, size, "http://shop")
    with pytest.raises(LimitReached, match="at most 5"):
        store.add("{ x }", "", 1, 1, "http://shop")
    clock.now += SHOPIFY.duration_s(1000)
    assert store.add("{ x }", "", 1, 1, "http://shop")["status"] == "RUNNING"


def test_a_connection_inside_an_object_comes_back_as_lines_naming_their_node() -> None:
    data = {"productVariants": {"nodes": [{"id": "v1", "sku": "1001", "inventoryItem": {"id": "i1", "inventoryLevels": {
        "nodes": [{"location": {"name": "warehouse"}}, {"location": {"name": "store"}}]}}}]}}  # fmt: skip
    text, count = json_lines(data)
    assert count == 3
    assert text.splitlines() == [
        '{"id":"v1","sku":"1001","inventoryItem":{"id":"i1"}}',
        '{"location":{"name":"warehouse"},"__parentId":"v1"}',
        '{"location":{"name":"store"},"__parentId":"v1"}',
    ]
