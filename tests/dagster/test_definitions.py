"""The Dagster code location against both sandboxes: assets, metadata, checks, the gate, the sensor."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from engine.state import StateStore, default_url

REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.slow
INTEGRATION = "mpluskassa-shopify-pos"


def materialize(defs: dg.Definitions, *keys: str, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """Materialize the integration's assets named `system/flow`."""
    selection = [dg.AssetKey([INTEGRATION, *key.split("/")]) for key in keys]
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(asset_selection=selection, raise_on_error=False, instance=instance, tags=tags)


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_schedules_and_the_sensor(location: dict[str, object]) -> None:
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    schedules = {s.name: s.cron_schedule for s in defs.schedules or []}
    assert schedules["mpluskassa_shopify_pos__stock_schedule"] == "*/5 * * * *"
    assert [s.name for s in defs.sensors or []] == ["webhook_events", "tillsync_alerts"]


def test_materializing_syncs_and_records_metadata_and_checks_pass(location: dict[str, object]) -> None:
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    result = materialize(defs, "shop/categories", "shop/products")
    assert result.success
    [event] = [m for m in result.get_asset_materialization_events()
               if m.asset_key == dg.AssetKey([INTEGRATION, "shop", "products"])]  # fmt: skip
    metadata = event.materialization.metadata
    assert metadata["created"].value == 2 and metadata["failed"].value == 0
    assert "### Tillsync plan" in metadata["plan"].value and metadata["api_calls"].value > 0
    assert len(location["shop"].shop.products) == 2  # type: ignore[attr-defined]
    assert checks(result) == {"blast_radius": True, "parity": True, "no_dead_letters": True}


def test_parity_fails_when_the_target_is_out_of_step(location: dict[str, object]) -> None:
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    materialize(defs, "shop/categories", "shop/products", "shop/stock")
    from decimal import Decimal

    location["till"].till.stock[(1, 2000)]["amount"] = Decimal(1)  # type: ignore[attr-defined]
    key = dg.AssetCheckKey(dg.AssetKey([INTEGRATION, "shop", "stock"]), "parity")
    [parity] = [c for c in defs.asset_checks or [] if key in c.check_keys]  # type: ignore[union-attr]
    result = parity(dg.build_asset_check_context())  # type: ignore[operator]
    assert result.passed is False and result.metadata["out_of_step"].value == 1


def test_the_gate_stops_a_run_whose_source_returned_nothing(location: dict[str, object]) -> None:
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    location["till"].till.relations.clear()  # type: ignore[attr-defined]
    result = materialize(defs, "shop/customers")
    assert not result.success
    assert checks(result)["blast_radius"] is False
    assert location["shop"].shop.customers == {}, "nothing was written"  # type: ignore[attr-defined]


def test_dead_letters_fail_their_check(location: dict[str, object]) -> None:
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    materialize(defs, "shop/categories", "shop/products")
    shop = location["shop"].shop  # type: ignore[attr-defined]
    card = {"sku": "9001", "price": "25.00", "optionValues": [{"optionName": "Title", "name": "Default Title"}]}
    shop.product_set(None, {"title": "Gift card", "variants": [card]})
    shop.place_order([("9001", 1)], email="j.jansen@example.com")
    result = materialize(defs, "pos/orders")
    assert checks(result)["no_dead_letters"] is False


def test_the_sensor_turns_a_webhook_event_into_a_run_that_books_its_order(location: dict[str, object]) -> None:
    """An event stays pending until the run it started succeeded; that run books only the event's order
    and counts as an apply like any other."""
    defs = location["defs"]
    assert isinstance(defs, dg.Definitions)
    materialize(defs, "shop/categories", "shop/products", "shop/customers")
    shop = location["shop"].shop  # type: ignore[attr-defined]
    paid = [shop.orders[shop.place_order([("1001", 1)], email="j.jansen@example.com")]["name"] for _ in range(2)]
    with StateStore(default_url(location["root"], "test")) as store:  # type: ignore[arg-type]
        store.events.record("mpluskassa-shopify-pos", "shop", "w-1", "orders/paid", "order", ["orders"],
                            [[paid[0]]], {})  # fmt: skip
    sensor = defs.resolve_sensor_def("webhook_events")
    with dg.DagsterInstance.ephemeral() as instance:
        result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
    [request] = result.run_requests or []
    assert request.asset_selection == [dg.AssetKey([INTEGRATION, "pos", "orders"])]
    with StateStore(default_url(location["root"], "test")) as store:  # type: ignore[arg-type]
        assert [e.flows for e in store.events.pending()] == [["orders"]], "pending until its run succeeded"
    run = materialize(defs, "pos/orders", tags=request.tags)
    assert run.success
    booked = [o.get("extOrderId") for o in location["till"].till.orders.values()]  # type: ignore[attr-defined]
    assert paid[0] in booked and paid[1] not in booked, "the run read only the order the event names"
    with StateStore(default_url(location["root"], "test")) as store:  # type: ignore[arg-type]
        assert store.events.pending() == []
        runs = store.runs.list("mpluskassa-shopify-pos", "orders")
        assert [(r["kind"], r["status"]) for r in runs if r["kind"] != "check"] == [("event", "succeeded")]


def test_dagster_definitions_validate_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "TILLSYNC_ENV": "sandbox"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All code locations passed validation" in done.stderr + done.stdout
