"""The benchmark scenarios run end to end at a small scale and measure what they claim to.

No figure here is held to a speed: that is what `make bench` prints. These tests keep the
scenarios working and their counting honest.
"""

from __future__ import annotations

import pytest

from bench import easycashier_latency, stock_sync, webhook_latency, webhook_load

pytestmark = pytest.mark.slow


def test_stock_sync_counts_calls_and_points_of_the_runs_it_compares() -> None:
    figures = stock_sync.run(0.03)  # 300 SKUs, 30 of them changed at both locations: read by SKU, not in bulk
    sync, noop, reconcile = figures["stock_sync"], figures["noop"], figures["reconcile"]
    assert (sync["skus"], sync["changed_skus"]) == (300, 30)
    assert 30 < sync["levels_written"] <= 60  # a change that leaves the sellable quantity at 0 writes nothing
    assert sync["write_calls"] == 1, "60 quantities or fewer go out in one call"
    assert sync["read_calls"] == 2 + 1, "the 30 changed SKUs in two requests of 25, and the shop's locations"
    assert sync["bulk_operations"] == 0 and sync["bulk_cost_points"] == 0
    assert sync["full_read_read_calls"] == 12 + 1, "every SKU, 25 to a request, and the shop's locations"
    assert sync["cost_points"] < sync["full_read_cost_points"] / 5
    assert sync["per_record_write_calls"] == 30 and sync["per_record_read_calls"] == 30 + 1, "one each per SKU"
    assert noop == noop | {"write_calls": 0, "read_calls": 0, "cost_points": 0}, "nothing changed: nothing asked"
    assert reconcile["found_planted_edit"] is True
    assert (reconcile["bulk_operations"], reconcile["write_calls"], reconcile["levels_written"]) == (1, 1, 1)
    assert "virtual clock" in sync["note"]


def test_a_stock_sync_of_many_changed_skus_reads_them_in_one_bulk_operation() -> None:
    sync = stock_sync.run(0.05)["stock_sync"]  # 50 changed SKUs: fewer than a bulk read is worth
    assert sync["bulk_operations"] == 0
    many = stock_sync.run(0.26)["stock_sync"]  # 260 changed SKUs: more than 250
    assert many["bulk_operations"] == 1 and many["read_calls"] == 1, "the bulk export, and the shop's locations"
    assert many["bulk_cost_points"] == 10 + many["bulk_calls"] - 1, "10 points to start it, 1 a poll"
    assert many["write_calls"] == 3 and many["wall_s"] > 5, "the bulk operation's modelled time is on the clock"


def test_webhook_latency_times_every_order_until_the_till_holds_it() -> None:
    figures = webhook_latency.run(0.05)["webhook_latency"]
    assert figures["orders"] == 5
    assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"]


def test_webhook_load_books_every_order_once_and_times_every_answer() -> None:
    figures = webhook_load.run(0.03)["webhook_load"]  # 36 orders in about two seconds
    assert figures["orders"] == 36 and figures["deliveries"] == 36 and figures["unanswered"] == 0
    assert (figures["lost"], figures["doubled"]) == (0, 0)
    assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"]
    assert 0 < figures["receiver_p50_s"] <= figures["receiver_p99_s"] <= figures["receiver_max_s"]


def test_easycashier_latency_is_the_wait_for_the_next_run_plus_the_run() -> None:
    figures = easycashier_latency.run(0.05)["easycashier_latency"]
    assert figures["sales"] == 6 and figures["interval_s"] == 60
    assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"] < 60 + max(figures["run_p50_s"] * 10, 5)
    assert figures["web_orders"] == 5, "every web order was timed until the till booked its decrease"
    assert 0 < figures["web_order_p50_s"] <= figures["web_order_p95_s"] <= figures["web_order_max_s"] < 60
