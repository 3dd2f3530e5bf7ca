"""End to end: a Dutch ERP's own exports (its headers, `;`, decimal commas, Windows-1252 or UTF-8
with a byte order mark, extra columns) to the Shopify sandbox through validate, plan and apply,
with the spec the files connector's documentation shows."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.shopify.sandbox import ShopifySandbox
from engine.plan.model import Action
from engine.validate.files import validate_files
from tests.e2e.runs import apply, plan

FIXTURES = Path(__file__).parents[1] / "fixtures" / "erp-export"


@pytest.fixture(params=["cp1252", "utf8-bom"])
def environ(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shop: tuple[ShopifySandbox, str]
) -> dict[str, str]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    shutil.copy(FIXTURES / "erp-shopify.yaml", tmp_path / "specs" / "erp-export-shopify.yaml")
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  erp-export-shopify:\n    spec: specs/erp-export-shopify.yaml\n"
    )
    shutil.copytree(FIXTURES / request.param, tmp_path / "erp")
    monkeypatch.chdir(tmp_path)
    sandbox, url = shop
    return {"SHOPIFY_ACCESS_TOKEN": sandbox.token, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": url}


def test_the_spec_validates_with_its_mapping_reading_kept_extra_columns() -> None:
    report = validate_files([FIXTURES / "erp-shopify.yaml"], root=FIXTURES, connectors=CONNECTORS)
    assert report.files and report.diagnostics == []


@pytest.mark.slow
def test_an_erps_own_export_reaches_shopify_and_a_second_plan_is_empty(
    environ: dict[str, str], shop: tuple[ShopifySandbox, str]
) -> None:
    sandbox, _ = shop
    first = plan(environ)
    created = [c.key for c in first["products"].changes if c.action is Action.create]
    assert created == [("1001",), ("1002",), ("2001",), ("2002",), ("3001",)]

    results = apply(environ)
    assert all(r.ok for r in results.values()), [r.failures for r in results.values()]
    products = {p["title"]: p for p in sandbox.shop.products.values()}
    assert sorted(products) == [
        "Cadeaubon € 25", "Dekbedovertrek Hôtel 240x220", "Koffiebeker Café grijs",
        "Kussensloop Zoë (2 stuks)", "Theeglas Noël 250 ml",
    ]  # fmt: skip
    duvet = products["Dekbedovertrek Hôtel 240x220"]
    [variant] = [sandbox.shop.variants[v] for v in duvet["variants"]]
    assert (variant["sku"], Decimal(str(variant["price"]))) == ("2001", Decimal("1249.00"))  # 1.249,00
    assert (duvet["vendor"], duvet["productType"]) == ("Slaapwel", "textiel")  # extra.Merk, Artikelgroep
    assert products["Cadeaubon € 25"]["vendor"] == "Huismerk" and products["Cadeaubon € 25"]["status"] == "DRAFT"
    warehouse = sandbox.shop.location_named("warehouse")
    item = next(i for i in sandbox.shop.items.values() if i["sku"] == "2001")
    assert sandbox.shop.levels[(item["id"], warehouse)]["available"] == 1200  # 1.204 on hand - 4 reserved

    again = plan(environ)
    assert {flow: p.has_changes for flow, p in again.items()} == {"products": False, "stock": False}
