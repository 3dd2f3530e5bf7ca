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
    to_shop = ("categories", "products", "stock", "prices", "customers")
    assert webshop == {
        **{f"erp-webshop/erp/{flow}": ("erp_webshop", set()) for flow in to_shop},
        **{f"erp-webshop/shop/{flow}": ("erp_webshop", {f"erp-webshop/erp/{flow}"}) for flow in to_shop},
        "erp-webshop/shop/orders": ("erp_webshop", set()),
        "erp-webshop/erp/orders": ("erp_webshop", {"erp-webshop/shop/orders"}),
    }
    assert not any(key.startswith("files/") for key in assets), "no asset is named by its connector"


def test_the_asset_graph_labels_each_node_with_its_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster's asset graph shows a node by its key's last part; the flow's own name, never a connector's."""
    graph = definitions(monkeypatch, "sandbox").resolve_asset_graph()
    labels = {key.path[-1] for key in graph.get_all_asset_keys()}
    assert labels == {"categories", "products", "shop-products", "stock", "prices", "customers", "orders", "web-orders",
                      "till-sales"}  # fmt: skip


def test_two_order_flows_between_the_same_systems_are_two_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    assets = lineage(definitions(monkeypatch, "sandbox"))
    pos = "mpluskassa-shopify-pos"
    assert assets[f"{pos}/shop/till-sales"] == ("mpluskassa_shopify_pos", {f"{pos}/pos/till-sales"})
    assert assets[f"{pos}/pos/orders"] == ("mpluskassa_shopify_pos", {f"{pos}/shop/orders"})
    assert {key for key in assets if key.startswith(f"{pos}/")} == {
        f"{pos}/{side}/{flow}"
        for flow in ("categories", "products", "stock", "customers", "orders", "till-sales")
        for side in ("pos", "shop")
    }


def test_every_flow_of_every_environment_is_one_synced_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The synced side carries the checks and the flow's name; the source side is only observed."""
    defs = definitions(monkeypatch, "test")
    graph = defs.resolve_asset_graph()
    synced = {key.to_user_string() for key in graph.materializable_asset_keys}
    assert {"erp-shopify/shop/products", "erp-shopify/shop/stock", "erp-webshop/erp/orders",
            "mpluskassa-shopify-pos/shop/till-sales"} <= synced  # fmt: skip
    sources = set(graph.materializable_asset_keys)
    assert all(not graph.get(key).parent_keys & sources for key in sources), "a flow reads no other flow's target"
    node = graph.get(dg.AssetKey(["erp-shopify", "shop", "products"]))
    assert node.metadata["integration"] == "erp-shopify" and node.metadata["flow"] == "products"
    checks = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    assert ("erp-shopify/shop/products", "parity") in checks
    assert ("erp-shopify/erp/products", "parity") not in checks
