"""End to end: paid Shopify orders (web and POS) to an ERP's order folder, read incrementally."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.shopify import ShopifySettings
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import serving
from engine.records import Entity, Money, Product, StockLevel, Variant
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace

SPEC = """\
version: 1
name: shop-erp
systems:
  shop:
    connector: shopify
    settings: {url: "http://127.0.0.1:1"}
    credentials: {access_token: env:SHOP_TOKEN}
  erp: {connector: files, settings: {path: erp, format: jsonl, create_folder: true}}
value_maps:
  payment_methods: {cash: CASH, manual: BANK}
flows:
  orders:
    entity: order
    from: shop
    to: erp
    status: [paid]
    mapping:
      payment_method: value_map('payment_methods', payment_method, 'OTHER')
      updated_at: null
"""


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ShopifySandbox, dict[str, str]]]:
    sandbox = ShopifySandbox()
    sandbox.shop.add_location("store-amsterdam")
    with serving(sandbox) as url:
        client = ShopifyClient(ShopifySettings(url=url), sandbox.token)
        client.write(Entity.product, [Product(sku="2000", title="Mug", variants=(
            Variant(sku="2000", price=Money.model_validate("12.50 EUR")),))])  # fmt: skip
        client.write(Entity.stock, [StockLevel(sku="2000", location="store-amsterdam", available=10)])  # type: ignore[arg-type]
        client.close()
        for folder in ("specs", "environments"):
            (tmp_path / folder).mkdir()
        (tmp_path / "specs" / "shop-erp.yaml").write_text(SPEC)
        (tmp_path / "environments" / "test.yaml").write_text(
            "name: test\nintegrations:\n  shop-erp:\n    spec: specs/shop-erp.yaml\n"
        )
        monkeypatch.chdir(tmp_path)
        yield sandbox, {"SHOP_TOKEN": sandbox.token, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": url}


def apply(environ: dict[str, str]) -> ApplyResult:
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        [outcome] = runner.sync(workspace, store, runner.select(workspace))
    assert outcome.result is not None
    return outcome.result


@pytest.mark.slow
def test_paid_orders_reach_the_erp_once_and_later_reads_start_at_the_cursor(
    shop: tuple[ShopifySandbox, dict[str, str]],
) -> None:
    sandbox, environ = shop
    web = sandbox.shop.place_order([("2000", 1)], email="j.jansen@example.com")
    sandbox.shop.place_order([("2000", 1)], financial_status="PENDING")
    pos = sandbox.shop.place_order([("2000", 2)], source="pos", location="store-amsterdam", gateway="cash")

    first = apply(environ)
    assert first.ok and first.counts["create"] == 2
    written = [json.loads(line) for line in Path("erp/orders.jsonl").read_text().splitlines()]
    names = {sandbox.shop.orders[web]["name"]: "BANK", sandbox.shop.orders[pos]["name"]: "CASH"}
    assert {o["number"]: o["payment_method"] for o in written} == names
    assert next(o for o in written if o["payment_method"] == "CASH")["source"] == "pos"
    [(_, first_read)] = [entry for entry in sandbox.log if entry[0] == "Orders"]
    assert first_read["query"] == "(financial_status:paid)", "the status filter is pushed down to Shopify"

    sandbox.log.clear()
    again = apply(environ)
    assert again.ok and again.counts["create"] == 0
    [(_, second_read)] = [entry for entry in sandbox.log if entry[0] == "Orders"]
    assert "updated_at:>'" in second_read["query"], "the second read starts at the cursor"
    assert len(written) == len(Path("erp/orders.jsonl").read_text().splitlines()), "no order written twice"
