"""End to end: an ERP's CSV exports to the Shopify sandbox, products and stock, through plan and apply."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.shopify.sandbox import ShopifySandbox
from engine.cli import main
from engine.plan.model import Action
from engine.run import runner
from engine.run.workspace import load_workspace
from tests.e2e.runs import apply, plan

DEMO_ERP = Path(__file__).parents[2] / "demo" / "data" / "erp"

SPEC = """\
version: 1
name: erp-shopify
systems:
  erp: {connector: files, settings: {path: erp, format: csv}}
  shop:
    connector: shopify
    settings: {url: "http://127.0.0.1:1", currency: EUR}
    credentials: {access_token: env:SHOP_TOKEN}
flows:
  categories:
    entity: category
    from: erp
    to: shop
  products:
    entity: product
    from: erp
    to: shop
    mapping:
      title: trim(title)
    create_only: [description]
  stock:
    entity: stock
    from: erp
    to: shop
    settings:
      stock_formula: max(on_hand - reserved, 0)
      location_map: {"1": warehouse, "2": store-amsterdam}
"""


@pytest.fixture
def environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shop: tuple[ShopifySandbox, str]) -> dict[str, str]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    (tmp_path / "specs" / "erp-shopify.yaml").write_text(SPEC)
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  erp-shopify:\n    spec: specs/erp-shopify.yaml\n"
    )
    shutil.copytree(DEMO_ERP, tmp_path / "erp")
    monkeypatch.chdir(tmp_path)
    sandbox, url = shop
    return {"SHOP_TOKEN": sandbox.token, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": url}


@pytest.mark.slow
def test_products_and_stock_reach_shopify_and_a_second_plan_is_empty(
    environ: dict[str, str], shop: tuple[ShopifySandbox, str]
) -> None:
    sandbox, _ = shop
    first = plan(environ)
    assert [c.key for c in first["products"].changes if c.action is Action.create] == [("1000",), ("2000",), ("3000",)]

    results = apply(environ)
    assert all(r.ok for r in results.values()), [r.failures for r in results.values()]
    assert results["products"].counts["create"] == 3
    assert results["stock"].counts["create"] == 0 and results["stock"].counts["update"] == 5  # five are not 0
    shirt = next(p for p in sandbox.shop.products.values() if p["title"] == "Organic shirt")
    assert [sandbox.shop.variants[v]["sku"] for v in shirt["variants"]] == ["1001", "1002", "1003"]
    assert [sandbox.shop.collections[c]["handle"] for c in shirt["collections"]] == ["apparel", "apparel-shirts"]
    warehouse = sandbox.shop.location_named("warehouse")
    item = next(i for i in sandbox.shop.items.values() if i["sku"] == "1001")
    assert sandbox.shop.levels[(item["id"], warehouse)]["available"] == 10  # 12 on hand - 2 reserved

    again = plan(environ)
    assert {flow: p.has_changes for flow, p in again.items()} == {
        "categories": False,
        "products": False,
        "stock": False,
    }

    writes_before = sandbox.requests
    assert all(r.ok and r.counts["create"] == r.counts["update"] == 0 for r in apply(environ).values())
    assert sandbox.requests - writes_before <= 6, "a no-op apply only reads"


def test_stock_goes_out_in_calls_of_as_many_quantities_as_shopify_takes(
    environ: dict[str, str], shop: tuple[ShopifySandbox, str]
) -> None:
    sandbox, _ = shop
    warehouse = sandbox.shop.location_named("warehouse")
    skus = [str(70000 + n) for n in range(260)]
    for sku in skus:
        variant = {"sku": sku, "price": "1.00", "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                   "inventoryQuantities": [{"locationId": warehouse, "name": "available", "quantity": 0}]}  # fmt: skip
        sandbox.shop.product_set(None, {"title": f"Item {sku}", "variants": [variant]})
    Path("erp/stock.csv").write_text("sku,location,on_hand,reserved\n" + "".join(f"{sku},1,5,1\n" for sku in skus))

    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        [outcome] = runner.sync(workspace, store, runner.select(workspace, "stock"))
        result = outcome.result
    assert result is not None

    assert result.ok and result.counts["update"] == 260
    sent = [variables for name, variables in sandbox.log if name == "InventorySetQuantities"]
    assert [len(v["input"]["quantities"]) for v in sent] == [250, 10]
    item = next(i for i in sandbox.shop.items.values() if i["sku"] == skus[-1])
    assert sandbox.shop.levels[(item["id"], warehouse)]["available"] == 4


@pytest.mark.slow
def test_apply_says_of_each_record_what_its_plan_said_though_an_earlier_flow_made_the_stock_levels(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shopify makes a product's stock levels (at 0) with the product: the stock flow, planned before
    the products flow ran, creates levels its apply finds made. It says it created them, as planned."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert main(["apply", "--env", "test", "--yes"]) == 0
    shown, done = capsys.readouterr().out.split("Plan: ")
    assert "  7 to create, 1 skipped\n" in shown
    assert "erp-shopify/stock: 7 created, 1 skipped (" in done
    assert done.rstrip().endswith("Apply complete: 13 created.")
    with runner.state_store(load_workspace(Path.cwd(), "test", connectors=CONNECTORS)) as store:
        [run] = [r for r in store.runs.list() if r["flow"] == "stock"]
        assert run["summary"]["create"] == 7 and run["summary"]["failed"] == 0
