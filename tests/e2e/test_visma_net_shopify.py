"""The Visma.net ⇄ Shopify POS integration end to end, both sandboxes over loopback HTTP: the
catalogue (variants, options, features, categories, images), stock per warehouse, prices per price
group and customers to Shopify; paid orders to Visma.net once each, on the branch; a split
shipment as two fulfillments with their own tracking; every request and answer of the Visma.net
sandbox held to Visma's OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import running_sandboxes
from connectors.visma_net.sandbox import VismaNetSandbox
from engine.plan.model import Action, FlowPlan
from engine.run.apply import ApplyResult
from tests.e2e import runs

REPO = Path(__file__).parents[2]
SPEC = "visma-net-shopify-pos.yaml"
pytestmark = pytest.mark.slow


@dataclass
class Integration:
    shop: ShopifySandbox
    erp: VismaNetSandbox
    environ: dict[str, str]

    def plan(self, flow: str | None = None) -> dict[str, FlowPlan]:
        return runs.plan(self.environ, flow)

    def apply(self, flow: str | None = None) -> dict[str, ApplyResult]:
        return runs.apply(self.environ, flow)


@pytest.fixture
def integration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Integration]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    spec = (REPO / "specs" / SPEC).read_text()  # and a price class whose group Shopify has no price list of
    (tmp_path / "specs" / SPEC).write_text(spec.replace("price_classes: {B2B: b2b}", "price_classes: {B2B: b2b, "
                                                        "RETAIL: Retail}"))
    (tmp_path / "environments" / "test.yaml").write_text(
        f"name: test\nintegrations:\n  visma-net-shopify-pos:\n    spec: specs/{SPEC}\n"
    )
    monkeypatch.chdir(tmp_path)
    with running_sandboxes(CONNECTORS, {"shopify": 0, "mpluskassa": 0, "visma_net": 0}) as started:
        shop, erp = started["shopify"], started["visma_net"]
        shop.sandbox.shop.add_location("store-bergen")
        environ = {
            "VISMA_CLIENT_ID": erp.sandbox.client_id, "VISMA_CLIENT_SECRET": erp.sandbox.client_secret,
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__TENANT": erp.sandbox.tenant,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__CURRENCY": "EUR", "TILLSYNC__SYSTEMS__SHOP__SETTINGS__CURRENCY": "EUR",
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__URL": erp.url,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__SALESORDER_URL": erp.url,
            "TILLSYNC__SYSTEMS__ERP__SETTINGS__CONNECT_URL": f"{erp.url}/connect/token",
            "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }  # fmt: skip
        yield Integration(shop.sandbox, erp.sandbox, environ)
        assert erp.sandbox.problems == [], "a request or answer did not match Visma's OpenAPI description"


def catalogue(integration: Integration) -> None:
    for flow in ("categories", "products"):
        result = integration.apply(flow)[flow]
        assert result.ok, result.failures


def test_the_catalogue_stock_prices_and_customers_reach_shopify_and_a_second_run_changes_nothing(
    integration: Integration,
) -> None:
    results = integration.apply("categories") | integration.apply("products") | integration.apply("stock")
    results |= integration.apply("customers")
    assert all(r.ok for r in results.values()), {f: r.failures for f, r in results.items()}
    shop = integration.shop.shop
    shirt = next(p for p in shop.products.values() if p["title"] == "Organic shirt")
    assert [o["name"] for o in shirt["options"]] == ["size", "colour"]
    assert sorted(shop.variants[v]["sku"] for v in shirt["variants"]) == ["SHIRT-L", "SHIRT-M", "SHIRT-S"]
    assert shirt["metafields"][("features", "country_of_origin")] == "PT"
    assert sorted(shop.collections[c]["title"] for c in shirt["collections"]) == ["Shirts", "Shirts"]
    uploads = len(shirt.get("media") or [])
    assert uploads == 1, "the shirt's one attachment is its image"
    levels = {(shop.items[i]["sku"], shop.locations[loc]["name"]): q["available"]
              for (i, loc), q in shop.levels.items()}  # fmt: skip
    assert levels[("SHIRT-M", "warehouse")] == 3  # 8 on hand, 3 booked and 2 allocated
    assert levels[("MUG", "store-bergen")] == 5
    assert "webshop@example.com" in {c["email"] for c in shop.customers.values()}
    again = integration.plan()
    assert {f: p.has_changes for f, p in again.items() if f not in ("orders", "shipments", "prices")} == {
        "categories": False, "products": False, "stock": False, "customers": False}
    assert len(shirt.get("media") or []) == uploads, "an unchanged image is not uploaded again"


def test_prices_are_written_only_for_a_group_and_product_shopify_has(integration: Integration) -> None:
    catalogue(integration)
    prices = integration.erp.company.prices
    prices.append({**prices[1], "recordId": 20, "inventoryId": "SHIRT-XL"})  # an item Shopify does not have
    result = integration.apply("prices")["prices"]
    failures = {key: reason for key, reason in result.failures}
    assert "price list named 'Retail'" in failures[("SHIRT-M", "Retail")], failures
    assert "no variant with SKU SHIRT-XL" in failures[("SHIRT-XL", "b2b")], failures
    assert result.counts["create"] == 2  # SHIRT-M and MUG in b2b
    lists = integration.shop.shop.price_lists
    assert sorted(lists) and len(failures) == 2


def test_paid_orders_reach_visma_once_on_the_branch_and_a_split_shipment_is_two_fulfillments(
    integration: Integration,
) -> None:
    catalogue(integration)
    shop = integration.shop.shop
    order_id = shop.place_order([("SHIRT-M", 2), ("MUG", 1)], email="kari@example.com", gateway="vipps")
    name = shop.orders[order_id]["name"]
    first = integration.apply("orders")["orders"]
    assert first.ok and first.counts["create"] >= 1
    assert integration.apply("orders")["orders"].counts["create"] == 0, "an order that exists is skipped"
    company = integration.erp.company
    [(key, head)] = [(k, h) for k, h in company.orders.items() if h["customer"]["order"] == name]
    assert head["branch"]["id"] == "1" and head["paymentSettings"]["paymentMethod"]["id"] == "VIPPS"
    company.ship("SH900001", *key, {"SHIRT-M": 1, "MUG": 1}, "TRK-A", "POSTNORD", "MAIN")
    company.ship("SH900002", *key, {"SHIRT-M": 1}, "TRK-B", "BRING", "MAIN")
    integration.apply("shipments")
    fulfillments = shop.orders[order_id]["fulfillments"]
    assert sorted((f["trackingInfo"][0]["number"], f["trackingInfo"][0]["company"], sorted(f["lines"]))
                  for f in fulfillments) == [("TRK-A", "PostNord", [("MUG", 1), ("SHIRT-M", 1)]),
                                             ("TRK-B", "Bring", [("SHIRT-M", 1)])]  # fmt: skip
    integration.apply("shipments")
    assert len(shop.orders[order_id]["fulfillments"]) == 2, "never a line fulfilled twice"
    plan = integration.plan("shipments")["shipments"]
    assert not [c for c in plan.changes if c.action is Action.create and c.key[0].startswith(name)]
