"""Flows that are one sync per shop are one asset with a static partition per shop (the Rackbeat
integration's two shops); other flows keep their own assets. Definitions only."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).parents[2]


def definitions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, integrations: dict[str, str]) -> dg.Definitions:
    """The code location for an environment running `integrations` (name → spec file), every flow on."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    lines = ["name: many", "integrations:"]
    for name, spec in integrations.items():
        shutil.copy(REPO / "specs" / spec, tmp_path / "specs")
        lines += [f"  {name}:", f"    spec: specs/{spec}"]
    (tmp_path / "environments" / "many.yaml").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("TILLSYNC_ROOT", str(tmp_path))
    monkeypatch.setenv("TILLSYNC_ENV", "many")
    from engine.dagster_definitions import build_definitions

    return build_definitions()


def partitions(defs: dg.Definitions) -> dict[str, list[str] | None]:
    """Each materializable asset (`a/b/c`) with its partition keys, None when it has none."""
    graph = defs.resolve_asset_graph()
    found: dict[str, list[str] | None] = {}
    for key in graph.materializable_asset_keys:
        partitions_def = graph.get(key).partitions_def
        found[key.to_user_string()] = None if partitions_def is None else list(partitions_def.get_partition_keys())
    return found


def test_the_rackbeat_flows_to_two_shops_are_one_asset_partitioned_per_shop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs = definitions(tmp_path, monkeypatch, {"rackbeat-shopify": "rackbeat-shopify.yaml"})
    rb = "rackbeat-shopify"
    assert partitions(defs) == {
        f"{rb}/shop/categories": None,  # the outlet gets no collections
        f"{rb}/shopify/products": ["shop", "outlet"],
        f"{rb}/shopify/stock": ["shop", "outlet"],
        f"{rb}/rackbeat/orders": ["shop", "outlet"],  # orders of both shops, one partition per shop they come from
    }, "initial-items is off in the spec"
    graph = defs.resolve_asset_graph()
    orders = graph.get(dg.AssetKey([rb, "rackbeat", "orders"]))
    assert {p.to_user_string() for p in orders.parent_keys} == {f"{rb}/shopify/orders"}


def test_each_partition_names_the_flow_it_runs_and_schedules_ask_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs = definitions(tmp_path, monkeypatch, {"rackbeat-shopify": "rackbeat-shopify.yaml"})
    from engine.dagster_definitions import _workspace, flow_assets

    by_key = {a.key.to_user_string(): a for a in flow_assets(_workspace())}
    stock = by_key["rackbeat-shopify/shopify/stock"]
    assert {k: m.flow_name for k, m in stock.members().items()} == {"shop": "stock", "outlet": "outlet-stock"}
    orders = by_key["rackbeat-shopify/rackbeat/orders"]
    assert {k: m.flow_name for k, m in orders.members().items()} == {"shop": "orders", "outlet": "outlet-orders"}
    schedules = {s.name: s for s in defs.schedules or []}
    outlet = schedules["rackbeat_shopify__outlet_stock_schedule"]
    assert outlet.cron_schedule == "*/5 * * * *"
    with dg.build_schedule_context(repository_def=defs.get_repository_def()) as context:
        [request] = outlet.evaluate_tick(context).run_requests or []
    assert request.partition_key == "outlet"


def test_two_flows_between_the_same_systems_stay_two_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EasyCashier's `stock` and `sync-all` both send the till's stock to the shop, but do different things."""
    defs = definitions(tmp_path, monkeypatch, {"easycashier-shopify": "easycashier-shopify.yaml"})
    assert partitions(defs) == {
        "easycashier-shopify/shop/stock": None,
        "easycashier-shopify/shop/sync-all": None,
        "easycashier-shopify/till/web-orders": None,
    }
