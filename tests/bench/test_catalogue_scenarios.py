"""The product benchmarks run end to end at a small scale and count what they claim to."""

from __future__ import annotations

import pytest

from bench import plan_100k, product_sync

pytestmark = pytest.mark.slow


def test_plan_100k_plans_the_changes_the_data_was_given_in_a_process_of_its_own() -> None:
    figures = plan_100k.run(0.001)["plan_100k"]  # 100 products: 1 new, 5 changed, the rest as applied
    assert (figures["products"], figures["variants"]) == (100, 300)
    assert (figures["create"], figures["update"], figures["skip"]) == (1, 5, 95)
    assert figures["cpu_s"] > 0
    assert figures["rss_before_mb"] < figures["peak_rss_mb"] < 2048


def test_product_sync_compares_the_two_ways_on_the_same_catalogue() -> None:
    figures = product_sync.run(0.002)["product_sync"]  # 10 products of 3 variants; run() checks both shops match
    assert (figures["products"], figures["variants"]) == (10, 30)
    assert figures["productset_write_calls"] == 1, "ten products in one request"
    assert figures["separate_write_calls"] == 20, "a product and its variants: two calls each"
    assert figures["productset_write_points"] == 10 * 10 and figures["separate_write_points"] == 20 * 10
    assert figures["productset_cost_points"] >= figures["productset_write_points"]
