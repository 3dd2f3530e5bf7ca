"""What a benchmark run keeps of the figures written before it."""

from __future__ import annotations

from bench.__main__ import kept

EARLIER = {
    "measured_at": "2026-12-01T00:00:00Z",
    "sizes": {"scale": 1.0, "plan_100k": 1.0},
    "scale": {"throughput_2_vs_1": 1.85},
    "plan_100k": {"cpu_s": 5.0},
}


def test_a_full_run_keeps_only_the_figures_of_scenarios_run_on_request() -> None:
    assert kept(EARLIER, everything=False) == {"scale": {"throughput_2_vs_1": 1.85}, "sizes": {"scale": 1.0}}


def test_a_run_of_some_scenarios_keeps_every_other_figure() -> None:
    assert kept(EARLIER, everything=True) == EARLIER
