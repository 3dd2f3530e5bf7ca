"""The benchmark report holds figures to their targets, and a missing figure is a miss."""

from __future__ import annotations

from bench.report import table, verdicts

MET = {
    "stock_sync": {
        "write_calls": 8,
        "per_record_write_calls": 1000,
        "cost_points": 101,
        "full_read_cost_points": 100_884,
        "wall_s": 45.8,
        "note": "virtual",
    },
    "noop": {"write_calls": 0, "cost_points": 0},
    "reconcile": {"found_planted_edit": True},
    "plan_100k": {
        "cpu_s": 4.2,
        "peak_rss_mb": 800.0,
        "cpu_vs_floor": 1.4,
        "cold_cpu_vs_floor": 3.9,
        "cold_peak_rss_mb": 1000.0,
        "upgraded_cpu_vs_floor": 3.9,
        "upgraded_peak_rss_mb": 1000.0,
    },
    "webhook_latency": {"p95_s": 0.2},
}


def test_figures_that_meet_every_target_pass() -> None:
    assert verdicts(MET) == []


def test_each_missed_target_is_named() -> None:
    missed = {
        **MET,
        "stock_sync": {
            "write_calls": 11,
            "per_record_write_calls": 1000,
            "cost_points": 2018,
            "full_read_cost_points": 100_884,
            "wall_s": 60.1,
        },
        "noop": {"write_calls": 1, "cost_points": 51},
        "reconcile": {"found_planted_edit": False},
        "plan_100k": {
            "cpu_s": 4.2,
            "peak_rss_mb": 800.0,
            "cpu_vs_floor": 1.6,
            "cold_cpu_vs_floor": 4.1,
            "cold_peak_rss_mb": 1024.0,
            "upgraded_cpu_vs_floor": 4.1,
            "upgraded_peak_rss_mb": 1024.0,
        },
        "webhook_latency": {"p95_s": 2.5},
    }
    assert verdicts(missed) == [
        "stock_sync: ≥ 100× fewer write calls than one mutation per SKU",
        "stock_sync: cost points ≤ 2% of reading everything",
        "stock_sync: wall ≤ 60 s, bulk operations' time included",
        "noop: 0 writes when nothing changed",
        "noop: ≤ 50 cost points when nothing changed",
        "reconcile: a full reconciliation finds the change planted in the shop",
        "plan_100k: planning within 1.5× the floor's CPU",
        "plan_100k: a cold plan within 4× the floor's CPU",
        "plan_100k: a cold plan under 1 GiB",
        "plan_100k: a plan with nothing remembered within 4× the floor's CPU",
        "plan_100k: a plan with nothing remembered under 1 GiB",
        "webhook_latency: webhook → POS p95 under 2 s",
    ]


def test_a_missing_figure_cannot_pass() -> None:
    line, *_ = verdicts({"plan_100k": {"cpu_s": 1.0}})
    assert line.startswith("plan_100k: planning under 1 GiB (cannot tell: KeyError")


def test_the_table_lists_every_figure_and_puts_notes_below() -> None:
    lines = table(MET).splitlines()
    assert lines[0].split() == ["result", "figure", "value"]
    assert ["stock_sync", "per_record_write_calls", "1,000"] in [line.split() for line in lines]
    assert lines[-1] == "stock_sync: virtual"
