"""The figures as a table, and the targets they are held to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Figures = Mapping[str, Any]

# (result key, what is promised, check on the figures); a check that cannot be made (a figure missing) fails.
TARGETS: tuple[tuple[str, str, Callable[[Figures], bool]], ...] = (
    ("stock_sync", "≥ 100× fewer write calls than one mutation per SKU",
     lambda f: f["per_record_write_calls"] >= 100 * f["write_calls"]),
    ("stock_sync", "cost points ≤ 2% of reading everything",
     lambda f: f["cost_points"] <= 0.02 * f["full_read_cost_points"]),
    ("stock_sync", "wall ≤ 60 s, bulk operations' time included", lambda f: f["wall_s"] <= 60),
    ("noop", "0 writes when nothing changed", lambda f: f["write_calls"] == 0),
    ("noop", "≤ 50 cost points when nothing changed", lambda f: f["cost_points"] <= 50),
    ("reconcile", "a full reconciliation finds the change planted in the shop", lambda f: f["found_planted_edit"]),
    ("plan_100k", "planning under 5 s CPU", lambda f: f["cpu_s"] < 5),
    ("plan_100k", "planning under 1 GiB", lambda f: f["peak_rss_mb"] < 1024),
    ("plan_100k", "planning within 1.5× the floor's CPU", lambda f: f["cpu_vs_floor"] <= 1.5),
    ("plan_100k", "a cold plan within 4× the floor's CPU", lambda f: f["cold_cpu_vs_floor"] <= 4),
    ("plan_100k", "a cold plan under 1 GiB", lambda f: f["cold_peak_rss_mb"] < 1024),
    ("plan_100k", "a plan with nothing remembered within 4× the floor's CPU",
     lambda f: f["upgraded_cpu_vs_floor"] <= 4),
    ("plan_100k", "a plan with nothing remembered under 1 GiB", lambda f: f["upgraded_peak_rss_mb"] < 1024),
    ("stock_growth", "planning 1M stock levels within 1.2× the CPU per level of 100k",
     lambda f: f["cpu_per_level_1m_vs_100k"] <= 1.2),
    ("stock_growth", "planning 1M stock levels under 2 GiB", lambda f: f["peak_rss_mb_1m"] < 2048),
    ("webhook_latency", "webhook → POS p95 under 2 s", lambda f: f["p95_s"] < 2),
    ("webhook_load", "20 orders/s webhook → POS p95 under 1 s", lambda f: f["p95_s"] < 1),
    ("webhook_load", "no order lost or booked twice", lambda f: f["lost"] == 0 and f["doubled"] == 0),
    ("webhook_load", "the receiver answers within Shopify's 5 s (p99 under 1 s, none unanswered)",
     lambda f: f["receiver_p99_s"] < 1 and f["unanswered"] == 0),
    ("easycashier_latency", "EasyCashier till sale → Shopify p95 under 60 s", lambda f: f["p95_s"] < 60),
    ("easycashier_latency", "Shopify web order → EasyCashier stock p95 under 2 s", lambda f: f["web_order_p95_s"] < 2),
    ("cli", "tillsync --help and --version under 0.5 s", lambda f: max(f["help_s"], f["version_s"]) < 0.5),
    ("cli", "tillsync validate of the bundled specs under 1 s, a whole process", lambda f: f["validate_wall_s"] < 1),
    ("scale", "two Celery workers ≥ 1.7× the throughput of one", lambda f: f["throughput_2_vs_1"] >= 1.7),
    ("scale", "every shop in step, each level written once, never throttled",
     lambda f: f["in_step"] and f["levels_written_once"] and f["throttled"] == 0),
)  # fmt: skip


def verdicts(results: Mapping[str, Figures]) -> list[str]:
    """The targets the results miss, for the scenarios that ran."""
    missed = []
    for key, promise, check in TARGETS:
        if key not in results:
            continue
        try:
            ok = check(results[key])
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            ok, promise = False, f"{promise} (cannot tell: {type(exc).__name__} {exc})"
        if not ok:
            missed.append(f"{key}: {promise}")
    return missed


def table(results: Mapping[str, Figures]) -> str:
    rows = [("result", "figure", "value")]
    notes = []
    for key, figures in results.items():
        for name, value in figures.items():
            if name == "note":
                notes.append(f"{key}: {value}")
                continue
            rows.append((key, name, _shown(value)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([*lines, "", *notes])


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
