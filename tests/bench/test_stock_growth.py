"""The stock growth benchmark runs end to end at a small scale and finds the changes its data was given."""

from __future__ import annotations

from bench import stock_growth
from bench.report import table, verdicts
from bench.stock_growth import CHANGED, LOCATIONS, NEW


def test_stock_growth_plans_each_size_in_processes_of_their_own_and_finds_what_changed() -> None:
    # 20, 200 and 2,000 levels; a plan that misses what the data was given raises
    result = stock_growth.run(0.002)
    figures = result["stock_growth"]
    for name, skus in (("10k", 2), ("100k", 20), ("1m", 200)):
        levels = skus * LOCATIONS
        new = int(skus * NEW) * LOCATIONS
        assert figures[f"levels_{name}"] == levels + new
        assert figures[f"create_{name}"] == new
        assert figures[f"update_{name}"] + figures[f"unchanged_{name}"] == levels
        assert figures[f"cpu_s_{name}"] > 0 and figures[f"cold_cpu_s_{name}"] > 0
        assert 0 < figures[f"peak_rss_mb_{name}"] < 2048
    # at 2,000 levels the shop's own edits are there, and found beside the ERP's changes
    assert figures["update_1m"] > int(200 * LOCATIONS * CHANGED)
    assert figures["cpu_per_level_1m_vs_100k"] > 0
    assert not [line for line in verdicts(result) if "cannot tell" in line], "every figure a target needs is there"
    assert table(result).splitlines()[-1].startswith("stock_growth: plan_flow")
