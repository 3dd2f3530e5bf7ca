"""End to end: the bundled Rackbeat ⇄ Shopify spec with Shopify master of the items
(`rackbeat-shopify-master`), over loopback HTTP on a Rackbeat and a Shopify sandbox, each on a free
port: each Shopify variant becomes a Rackbeat item by its SKU; a variant gone from Shopify is
deleted in Rackbeat, except an item with stock, which the plan shows as blocked and apply leaves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.rackbeat.sandbox import RackbeatSandbox
from connectors.rackbeat.sandbox import start as start_rackbeat
from connectors.shopify import ShopifySettings
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox import start as start_shopify
from connectors.testing.server import serving
from engine.plan.model import Action, FlowPlan, Plan
from engine.plan.render import render
from engine.records import Entity, Money, Product, Variant
from engine.run.apply import ApplyResult
from tests.e2e import runs

pytestmark = pytest.mark.slow
ITEMS = "rackbeat-shopify-master/items"


@dataclass
class Systems:
    rackbeat: RackbeatSandbox
    shop: ShopifySandbox
    environ: dict[str, str]

    def plan(self, flow: str) -> dict[str, FlowPlan]:
        return runs.plan(self.environ, flow)

    def apply(self, flow: str) -> dict[str, ApplyResult]:
        results = runs.apply(self.environ, flow)
        assert all(r.ok for r in results.values()), {f: r.failures for f, r in results.items()}
        return results

    def shopify(self) -> ShopifyClient:
        return ShopifyClient(ShopifySettings(url=self.environ["TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL"]),
                             self.shop.token)  # fmt: skip


@pytest.fixture
def systems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Systems]:
    runs.test_environment(tmp_path, "rackbeat-shopify-master")
    monkeypatch.chdir(tmp_path)
    rackbeat, shop = start_rackbeat(False), start_shopify(False)
    rackbeat.account.save_group({"number": "10", "name": "Webshop"})  # the spec's default_group
    with serving(rackbeat) as rackbeat_url, serving(shop) as shop_url:
        environ = {
            "RACKBEAT_API_TOKEN": rackbeat.token,
            "SHOPIFY_ACCESS_TOKEN": shop.token, "SHOPIFY_WEBHOOK_SECRET": shop.webhook_secret,
            "TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__URL": rackbeat_url,
            "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop_url,
        }  # fmt: skip
        yield Systems(rackbeat, shop, environ)


def price(amount: str) -> Money:  # as the sandbox shop sells
    return Money(amount=Decimal(amount), currency="EUR")


TEE = Product(
    sku="TEE",
    title="T-shirt",
    description="Organic cotton",
    options=("size",),
    variants=tuple(
        Variant(sku=f"TEE-{size}", options={"size": size}, price=price("149.00"), barcode=f"57100000{n}")
        for n, size in enumerate("SML")
    ),
)
CAP = Product(sku="CAP-1", title="Wool cap", variants=(Variant(sku="CAP-1", price=price("99.00")),))


def test_each_shopify_variant_is_one_rackbeat_item_and_a_second_run_writes_nothing(systems: Systems) -> None:
    shop = systems.shopify()
    assert [o.error for o in shop.write(Entity.product, [TEE, CAP])] == [None, None]
    shop.close()
    assert systems.apply(ITEMS)["items"].counts["create"] == 4
    items = systems.rackbeat.account.products
    assert {n: (p["name"], p["sales_price"], p["group"]["number"]) for n, p in items.items()} == {
        "TEE-S": ("T-shirt - S", 149, "10"), "TEE-M": ("T-shirt - M", 149, "10"),
        "TEE-L": ("T-shirt - L", 149, "10"), "CAP-1": ("Wool cap", 99, "10"),
    }  # fmt: skip
    assert items["TEE-M"]["barcode"] == "571000001" and items["TEE-M"]["description"] == "Organic cotton"
    again = systems.plan(ITEMS)["items"]
    assert not again.has_changes, render(Plan("test", (again,)), "text")


def test_a_variant_gone_from_shopify_is_deleted_in_rackbeat_but_an_item_with_stock_is_blocked(
    systems: Systems,
) -> None:
    shop = systems.shopify()
    assert [o.error for o in shop.write(Entity.product, [TEE, CAP])] == [None, None]
    systems.apply(ITEMS)
    systems.rackbeat.account.stock[("TEE-S", "2")] = Decimal(4)  # counted in at the Copenhagen store
    only_m = TEE.model_copy(update={"variants": TEE.variants[1:2]})  # sizes S and L no longer sold
    assert [o.error for o in shop.write(Entity.product, [only_m])] == [None]
    shop.close()

    plan = systems.plan(ITEMS)["items"]
    actions = {change.key: change.action for change in plan.changes if change.action is not Action.unchanged}
    assert actions == {("TEE-S",): Action.blocked, ("TEE-L",): Action.delete}
    shown = render(Plan("test", (plan,)), "text")
    assert "# blocked TEE-S: rackbeat refuses to delete it: item TEE-S has 4 registered in stock" in shown
    assert "1 to delete, 1 blocked" in shown

    result = systems.apply(ITEMS)["items"]
    assert {k: v for k, v in result.counts.items() if v} == {"delete": 1, "blocked": 1, "unchanged": 2}
    assert set(systems.rackbeat.account.products) == {"TEE-S", "TEE-M", "CAP-1"}, "the stocked item is kept"
    assert systems.apply(ITEMS)["items"].counts["blocked"] == 1, "still blocked while it has stock"

    systems.rackbeat.account.stock[("TEE-S", "2")] = Decimal(0)  # sold or written off
    assert systems.apply(ITEMS)["items"].counts["delete"] == 1
    assert set(systems.rackbeat.account.products) == {"TEE-M", "CAP-1"}
