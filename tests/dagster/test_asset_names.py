"""Asset names of the bundled specs: each flow is found by its integration and its own name, and
its target side is downstream of its source side. Builds the Definitions only; no system is called."""

from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).parents[2]


def definitions(monkeypatch: pytest.MonkeyPatch, environment: str) -> dg.Definitions:
    monkeypatch.setenv("TILLSYNC_ROOT", str(REPO))
    monkeypatch.setenv("TILLSYNC_ENV", environment)
    from engine.dagster_definitions import build_definitions

    return build_definitions()


def lineage(defs: dg.Definitions) -> dict[str, tuple[str | None, set[str]]]:
    """Asset key → (group, the keys it depends on), keys as `a/b/c`."""
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): (graph.get(key).group_name, {p.to_user_string() for p in graph.get(key).parent_keys})
        for key in graph.get_all_asset_keys()
    }


def test_a_files_to_files_integration_has_both_sides_with_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    assets = lineage(definitions(monkeypatch, "sandbox"))
    webshop = {key: value for key, value in assets.items() if key.startswith("erp-webshop/")}
    assert webshop == {
        **{f"erp-webshop/{flow}/erp": ("erp_webshop", set()) for flow in ("categories", "products", "stock",
                                                                           "prices", "customers")},
        **{f"erp-webshop/{flow}/shop": ("erp_webshop", {f"erp-webshop/{flow}/erp"})
           for flow in ("categories", "products", "stock", "prices", "customers")},
        "erp-webshop/orders/shop": ("erp_webshop", set()),
        "erp-webshop/orders/erp": ("erp_webshop", {"erp-webshop/orders/shop"}),
    }  # fmt: skip
    assert not any(key.startswith("files/") for key in assets), "no asset is named by its connector"


def test_two_order_flows_between_the_same_systems_are_two_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    assets = lineage(definitions(monkeypatch, "sandbox"))
    pos = "mpluskassa-shopify-pos"
    assert assets[f"{pos}/till-sales/shop"] == ("mpluskassa_shopify_pos", {f"{pos}/till-sales/pos"})
    assert assets[f"{pos}/orders/pos"] == ("mpluskassa_shopify_pos", {f"{pos}/orders/shop"})
    assert {key for key in assets if key.startswith(f"{pos}/")} == {
        f"{pos}/{flow}/{side}"
        for flow in ("categories", "products", "stock", "customers", "orders", "till-sales")
        for side in ("pos", "shop")
    }


def test_every_flow_of_every_environment_is_one_synced_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The synced side carries the checks and the flow's name; the source side is only observed."""
    defs = definitions(monkeypatch, "test")
    graph = defs.resolve_asset_graph()
    synced = {key.to_user_string() for key in graph.materializable_asset_keys}
    assert {"erp-shopify/products/shop", "erp-shopify/stock/shop", "erp-webshop/orders/erp",
            "mpluskassa-shopify-pos/till-sales/shop"} <= synced  # fmt: skip
    sources = set(graph.materializable_asset_keys)
    assert all(not graph.get(key).parent_keys & sources for key in sources), "a flow reads no other flow's target"
    node = graph.get(dg.AssetKey(["erp-shopify", "products", "shop"]))
    assert node.metadata["integration"] == "erp-shopify" and node.metadata["flow"] == "products"
    checks = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    assert ("erp-shopify/products/shop", "parity") in checks
    assert ("erp-shopify/products/erp", "parity") not in checks
