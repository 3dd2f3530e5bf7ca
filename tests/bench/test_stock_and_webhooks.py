"""The benchmark scenarios run end to end at a small scale and measure what they claim to.

No figure here is held to a speed: that is what `make bench` prints. These tests keep the
scenarios working and their counting honest.
"""

from __future__ import annotations

import pytest

from bench import easycashier_latency, stock_sync, webhook_latency

pytestmark = pytest.mark.slow


def test_stock_sync_counts_calls_and_points_of_the_runs_it_compares() -> None:
    figures = stock_sync.run(0.02)  # 200 SKUs, 20 of them changed at both locations
    sync, noop = figures["stock_sync"], figures["noop"]
    assert (sync["skus"], sync["changed_skus"]) == (200, 20)
    assert 20 < sync["levels_written"] <= 40  # a change that leaves the sellable quantity at 0 writes nothing
    assert sync["write_calls"] == 1, "40 quantities or fewer go out in one call"
    assert sync["per_record_write_calls"] == 20, "one call per changed SKU"
    assert sync["read_calls"] == noop["read_calls"] + 1, "the same reads, and the shop's locations once"
    locations_read = sync["cost_points"] - noop["read_cost_points"] - sync["write_cost_points"]
    assert 0 < locations_read < 10
    assert sync["per_record_cost_points"] - sync["cost_points"] == 19 * 10, "19 more calls of 10 points"
    assert noop["write_calls"] == 0 and noop["read_cost_points"] > 0
    assert "virtual clock" in sync["note"]


def test_webhook_latency_times_every_order_until_the_till_holds_it() -> None:
    figures = webhook_latency.run(0.05)["webhook_latency"]
    assert figures["orders"] == 5
    assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"]


def test_easycashier_latency_is_the_wait_for_the_next_run_plus_the_run() -> None:
    figures = easycashier_latency.run(0.05)["easycashier_latency"]
    assert figures["sales"] == 6 and figures["interval_s"] == 60
    assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"] < 60 + max(figures["run_p50_s"] * 10, 5)
