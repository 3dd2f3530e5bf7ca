"""The product sync benchmark: both ways leave the same catalogue in the shop, and each is counted.

No figure here is held to a speed; `make bench` prints those.
"""

from __future__ import annotations

import pytest
from graphql import parse, validate

from bench import product_sync
from connectors.shopify.schema import admin_schema


def test_the_separate_mutations_are_valid_against_shopifys_schema() -> None:
    assert set(product_sync.SEPARATE) == {"ProductCreate", "ProductVariantsBulkCreate"}
    for document in product_sync.SEPARATE.values():
        assert validate(admin_schema(), parse(document.text)) == [], document.name


@pytest.mark.slow
def test_both_ways_leave_the_same_products_and_variants_in_the_shop() -> None:
    tillsync, separate = product_sync.compare(10)
    for outcome in (tillsync, separate):
        shop = outcome.shop
        assert (len(shop.products), len(shop.variants), len(shop.items)) == (10, 30, 30), "no standalone variant left"
        [article] = [p for p in shop.products.values() if p["title"] == "Article 3"]
        assert article["metafields"][("tillsync", "product_number")] == "500003"
        assert [(o["name"], o["values"]) for o in article["options"]] == [
            ("size", ["S", "M", "L"]), ("colour", ["white", "navy"])]  # fmt: skip
        variants = [shop.variants[v] for v in article["variants"]]
        assert [(v["sku"], v["barcode"], v["price"], v["title"]) for v in variants] == [
            ("5000030", "875000030", "12.95", "S / white"),
            ("5000031", "875000031", "12.95", "M / white"),
            ("5000032", "875000032", "12.95", "L / navy"),
        ]
        assert all(shop.items[v["inventoryItemId"]]["tracked"] for v in variants)
    assert product_sync.catalogue(tillsync.shop) == product_sync.catalogue(separate.shop)
    assert (tillsync.write_calls, separate.write_calls) == (1, 20), "ten products in one call; two calls each"
    assert (tillsync.write_points, separate.write_points) == (10 * 10, 20 * 10)
    assert tillsync.calls < separate.calls and tillsync.points < separate.points


@pytest.mark.slow
def test_run_reports_calls_and_points_of_both_ways_on_the_plan() -> None:
    figures = product_sync.run(0.002)["product_sync"]
    assert (figures["products"], figures["variants"]) == (10, 30)
    assert (figures["plan"], figures["bucket_points"], figures["restore_points_per_s"]) == ("standard", 2000, 100)
    # both look the 10 products up, 5 to a call; Tillsync also reads the owners of 30 SKUs, 25 to a call
    assert (figures["productset_calls"], figures["separate_calls"]) == (2 + 2 + 1, 2 + 20)
    assert figures["calls_ratio"] == round(22 / 5, 2)
    for way in ("productset", "separate"):
        assert figures[f"{way}_requested_points"] >= figures[f"{way}_cost_points"] >= figures[f"{way}_write_points"]
        assert figures[f"{way}_wall_s"] >= 0
    assert figures["cost_ratio"] == round(figures["separate_cost_points"] / figures["productset_cost_points"], 2)
    assert "virtual clock" in figures["note"]
