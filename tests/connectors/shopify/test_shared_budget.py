"""Two processes calling one shop at once share its one cost bucket through the state store: the
sandbox's bucket never runs short and no request is THROTTLED. Without the shared budget the same
two processes, each pacing by its own model of the bucket, are throttled: the test can fail."""

from __future__ import annotations

import multiprocessing
from typing import Any

import httpx
import pytest

from connectors.shopify.cost import Plan
from connectors.shopify.sandbox.app import ShopifySandbox
from connectors.testing.server import serving

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
# A bucket two callers empty in a moment. Restored slowly, so that a request reaching the sandbox
# a little later than it was drawn for (a busy machine) does not find it short: a point of margin
# covers 100 ms here.
TINY = Plan("tiny", bucket=12, restore_rate=10)
REQUESTS = 8


def call_shop(url: str, token: str, state_url: str | None, requests: int, start: Any) -> dict[str, int]:
    """In a process of its own: `requests` queries to the shop, drawing from the shared budget when
    given a state store, once both processes are ready (`start`, a barrier), so they call at once.
    Returns what the transport counted."""
    from connectors.shopify.documents import Document
    from connectors.shopify.transport import Transport
    from engine.state import StateStore

    shop = Document("FewProducts", "query FewProducts { products(first: 3) { nodes { id } } }")  # costs 5
    store = StateStore(state_url) if state_url else None
    transport = Transport(url, token, budget=store.budgets if store else None)
    start.wait(timeout=120)
    try:
        for _ in range(requests):
            transport.request(shop, {})
    finally:
        transport.close()
        if store is not None:
            store.close()
    return {"calls": transport.usage.calls, "throttled": transport.usage.throttled}


def run_two(sandbox: ShopifySandbox, state_url: str | None) -> tuple[list[dict[str, int]], list[dict[str, Any]]]:
    with serving(sandbox) as url:
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, context.Pool(2) as pool:
            start = manager.Barrier(2)
            counts = pool.starmap(call_shop, [(url, sandbox.token, state_url, REQUESTS, start)] * 2)
        log = httpx.get(f"{url}/_sandbox/bucket").json()["requests"]
    return counts, log


def test_two_processes_share_one_bucket_and_are_never_throttled(postgres_url: str) -> None:
    counts, log = run_two(ShopifySandbox(plan=TINY), postgres_url)
    assert len(log) == 2 * REQUESTS, "every request was priced once: none throttled and sent again"
    assert not [entry for entry in log if entry["throttled"]]
    assert min(entry["level"] for entry in log) >= 0
    assert [c["throttled"] for c in counts] == [0, 0]


def test_without_the_shared_budget_the_same_processes_are_throttled() -> None:
    counts, log = run_two(ShopifySandbox(plan=TINY), None)
    assert any(entry["throttled"] for entry in log), "each process alone paces itself, not the other"
    assert sum(c["throttled"] for c in counts) > 0
