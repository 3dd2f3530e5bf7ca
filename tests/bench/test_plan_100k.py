"""The planning benchmark runs end to end at a small scale and finds the changes its data was given."""

from __future__ import annotations

from bench import plan_100k
from bench.report import table, verdicts


def test_plan_100k_plans_the_changes_the_data_was_given_in_a_process_of_its_own() -> None:
    # 100 products: 1 new, 5 changed in the ERP (price or title), none edited in the shop at this size
    result = plan_100k.run(0.001)
    figures = result["plan_100k"]
    assert (figures["products"], figures["variants"]) == (100, 300)
    assert (figures["create"], figures["update"], figures["unchanged"]) == (1, 5, 95)
    assert figures["cpu_s"] > 0 and figures["wall_s"] > 0
    assert 0 < figures["rss_before_mb"] < figures["peak_rss_mb"] < 2048
    assert figures["cold_cpu_s"] > 0 and figures["cold_peak_rss_mb"] > figures["rss_before_mb"]
    assert not [line for line in verdicts(result) if "cannot tell" in line], "every figure a target needs is there"
    assert table(result).splitlines()[-1].startswith("plan_100k: plan_flow")
