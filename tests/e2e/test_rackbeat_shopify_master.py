"""End to end: the bundled Rackbeat ⇄ Shopify spec with Shopify master of the items
(`rackbeat-shopify-master`), over loopback HTTP on a Rackbeat and a Shopify sandbox, each on a free
port: each Shopify variant becomes a Rackbeat item by its SKU; a variant gone from Shopify is
deleted in Rackbeat, except an item with stock, which the plan shows as blocked and apply leaves; a
`products/update` webhook naming a product runs its variants; 429s and server errors on both sides
converge with no item made twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.rackbeat.sandbox import RackbeatSandbox
from connectors.rackbeat.sandbox import start as start_rackbeat
from connectors.shopify import ShopifySettings
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox import start as start_shopify
from connectors.testing.faults import Faults
from connectors.testing.server import serving
from engine.plan.model import Action, FlowPlan, Plan
from engine.plan.render import render
from engine.records import Entity, Money, Product, Variant
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace
from engine.webhooks.events import run_events
from engine.webhooks.receiver import receiver
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


def test_a_products_update_webhook_naming_a_product_plans_each_of_its_variants(systems: Systems) -> None:
    shop = systems.shopify()
    assert [o.error for o in shop.write(Entity.product, [TEE, CAP])] == [None, None]
    systems.apply(ITEMS)
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=systems.environ)
    with runner.state_store(workspace) as store, serving(receiver(workspace, store)) as url:
        shop.subscribe("products/update", f"{url}/webhooks/rackbeat-shopify-master/shop")
        dearer_m = tuple(v.model_copy(update={"price": price("159.00")}) if v.sku == "TEE-M" else v
                         for v in TEE.variants)  # fmt: skip
        assert [o.error for o in shop.write(Entity.product, [TEE.model_copy(update={"variants": dearer_m})])] == [None]
        systems.shop.webhooks.wait_idle()
        outcome = run_events(workspace, store)[("rackbeat-shopify-master", "items")]
    shop.close()
    assert outcome.plan is not None and outcome.result is not None and outcome.result.ok, outcome
    planned = {change.key: change.action for change in outcome.plan.changes}
    assert planned == {("TEE-S",): Action.unchanged, ("TEE-M",): Action.update, ("TEE-L",): Action.unchanged}, \
        "the product the webhook names, variant by variant, and nothing else"  # fmt: skip
    assert systems.rackbeat.account.products["TEE-M"]["sales_price"] == 159


@pytest.mark.usefixtures("quick_retries")
def test_items_converge_through_429s_and_server_errors_on_both_sides_with_no_item_made_twice(
    systems: Systems,
) -> None:
    shop = systems.shopify()
    made = [TEE, CAP, *(Product(sku=f"SOCK-{n}", title=f"Socks {n}", variants=(Variant(sku=f"SOCK-{n}"),))
                        for n in range(2))]  # fmt: skip
    assert {o.error for o in shop.write(Entity.product, made)} == {None}
    shop.close()
    created: list[str] = []  # each item Rackbeat made, as its webhooks would tell
    systems.rackbeat.account.on_event = lambda event, data, extra: created.extend(
        [str(data["number"])] if event == "product.created" else []
    )
    systems.rackbeat.faults = Faults(rates={"429": 0.1, "500": 0.15, "lost": 0.1}, seed=5, retry_after=runs.QUICK)
    systems.shop.faults = Faults(rates={"429": 0.1, "500": 0.15}, seed=7, retry_after=runs.QUICK)
    for _ in range(3):  # a record that failed is in dead letters and planned again next run
        runs.apply(systems.environ, ITEMS)
    injected = (systems.rackbeat.app.injected, systems.shop.app.injected)
    systems.rackbeat.faults = systems.shop.faults = Faults()
    systems.apply(ITEMS)
    assert all("429" in faults and "500" in faults for faults in injected), injected
    assert "lost" in injected[0], injected
    assert sorted(created) == ["CAP-1", "SOCK-0", "SOCK-1", "TEE-L", "TEE-M", "TEE-S"], \
        "every variant made once in Rackbeat"  # fmt: skip
    assert set(systems.rackbeat.account.products) == set(created)
    again = systems.plan(ITEMS)["items"]
    assert not again.has_changes, render(Plan("test", (again,)), "text")
