"""End to end: the bundled Rackbeat ⇄ Shopify spec over loopback HTTP, one Rackbeat sandbox and two
Shopify sandboxes (the main shop and the outlet), each on a free port."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from engine.plan.model import Plan
from engine.plan.render import render
from engine.records import Entity, Money, Product, StockLevel, Variant
from engine.run import runner
from engine.run.workspace import load_workspace
from engine.state import StateStore
from engine.webhooks.receiver import receiver
from engine.webhooks.worker import EventWorker
from tests.e2e import runs

REPO = Path(__file__).parents[2]
CATALOGUE = ["rackbeat-shopify/categories", "rackbeat-shopify/products", "rackbeat-shopify/outlet-products",
             "rackbeat-shopify/stock", "rackbeat-shopify/outlet-stock"]  # fmt: skip
ORDERS = ["rackbeat-shopify/orders", "rackbeat-shopify/outlet-orders"]


@dataclass
class Systems:
    rackbeat: RackbeatSandbox
    shop: ShopifySandbox
    outlet: ShopifySandbox
    environ: dict[str, str]

    def apply(self, flows: list[str], **extra: str) -> dict[str, dict[str, int]]:
        """Apply `flows`; what each did, by flow, with the failures' reasons asserted away."""
        workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ={**self.environ, **extra})
        with runner.state_store(workspace) as store:
            outcomes = runner.sync(workspace, store, runner.select(workspace, flows))
        done = {}
        for outcome in outcomes:
            assert outcome.result is not None, outcome
            assert outcome.result.ok, (outcome.label, outcome.result.failures)
            done[outcome.result.flow] = {k: v for k, v in outcome.result.counts.items() if v}
        return done

    def available(self, sandbox: ShopifySandbox, sku: str) -> Decimal:
        url = self.environ["TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL" if sandbox is self.shop else
                           "TILLSYNC__SYSTEMS__OUTLET__SETTINGS__URL"]  # fmt: skip
        client = ShopifyClient(ShopifySettings(url=url), sandbox.token)
        try:
            [level] = [s for s in client.read(Entity.stock) if s.sku == sku and s.location == "warehouse"]
        finally:
            client.close()
        assert level.available is not None
        return level.available


@pytest.fixture
def systems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Systems]:
    (tmp_path / "specs").mkdir()
    shutil.copy(REPO / "specs" / "rackbeat-shopify.yaml", tmp_path / "specs")
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  rackbeat-shopify:\n    spec: specs/rackbeat-shopify.yaml\n"
    )
    monkeypatch.chdir(tmp_path)
    rackbeat, shop, outlet = start_rackbeat(True), start_shopify(False), start_shopify(False)
    with serving(rackbeat) as rackbeat_url, serving(shop) as shop_url, serving(outlet) as outlet_url:
        yield Systems(rackbeat, shop, outlet, _environ(rackbeat, shop, outlet, rackbeat_url, shop_url, outlet_url))


def _environ(rackbeat: RackbeatSandbox, shop: ShopifySandbox, outlet: ShopifySandbox, *urls: str) -> dict[str, str]:
    rackbeat_url, shop_url, outlet_url = urls
    return {
        "RACKBEAT_API_TOKEN": rackbeat.token, "RACKBEAT_WEBHOOK_TOKEN": rackbeat.webhook_token,
        "SHOPIFY_ACCESS_TOKEN": shop.token, "SHOPIFY_WEBHOOK_SECRET": shop.webhook_secret,
        "OUTLET_ACCESS_TOKEN": outlet.token, "OUTLET_WEBHOOK_SECRET": outlet.webhook_secret,
        "TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__URL": rackbeat_url,
        "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop_url,
        "TILLSYNC__SYSTEMS__OUTLET__SETTINGS__URL": outlet_url,
    }  # fmt: skip


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Systems]:
    """The sandboxes as `tillsync sandbox up --seed` serves them to this integration, on free ports:
    Rackbeat's catalogue (prices 89.00, 249.00, 119.50: JSON numbers that lose their trailing zeros)
    and two shops that already sell Rackbeat's towel at 89.00 DKK."""
    runs.test_environment(tmp_path, "rackbeat-shopify")
    monkeypatch.chdir(tmp_path)
    rackbeat = start_rackbeat(True)
    shop, outlet = (start_shopify(True, synced_with=["rackbeat"]) for _ in range(2))
    with serving(rackbeat) as rackbeat_url, serving(shop) as shop_url, serving(outlet) as outlet_url:
        yield Systems(rackbeat, shop, outlet, _environ(rackbeat, shop, outlet, rackbeat_url, shop_url, outlet_url))


@pytest.mark.slow
def test_a_second_plan_after_applying_the_seeded_catalogue_is_empty(seeded: Systems) -> None:
    first = seeded.apply(CATALOGUE + ORDERS)
    assert first["products"] == {"create": 2, "update": 1}, first  # the shop's own towel taken over
    seeded.apply(CATALOGUE)  # the orders booked in Rackbeat reserve stock: the shops' levels follow
    again = runs.plan(seeded.environ, CATALOGUE + ORDERS)
    shown = render(Plan("test", tuple(again.values())), "text")
    assert not any(p.has_changes for p in again.values()), shown
    assert {_price(sandbox, "RB-1001") for sandbox in (seeded.shop, seeded.outlet)} == {"89.00"}


def _orders(rackbeat: RackbeatSandbox) -> dict[str, dict[str, object]]:
    return {str(o["your_reference"]): o for o in rackbeat.account.orders.values()}


@pytest.mark.slow
def test_items_and_available_stock_reach_both_shops_and_their_paid_orders_land_once(systems: Systems) -> None:
    done = systems.apply(CATALOGUE)
    assert done["products"] == {"create": 3} and done["outlet-products"] == {"create": 3}
    # the seeded booked order reserves 3 of the 25 linen towels
    assert systems.available(systems.shop, "RB-1001") == systems.available(systems.outlet, "RB-1001") == 22

    web = systems.shop.shop.place_order([("RB-1001", 2)], email="anna@example.dk")
    systems.shop.shop.place_order([("RB-1001", 1)], email="anna@example.dk", financial_status="PENDING")
    outlet = systems.outlet.shop.place_order([("RB-1002", 1)], email="indkob@nordiskcafe.example")
    assert systems.apply(ORDERS) == {"orders": {"create": 1}, "outlet-orders": {"create": 1}}
    orders = _orders(systems.rackbeat)
    web_name, outlet_name = systems.shop.shop.orders[web]["name"], systems.outlet.shop.orders[outlet]["name"]
    assert set(orders) == {"PO-77", web_name, f"OUTLET-{outlet_name}"}, "the two shops' orders stay apart"
    landed = orders[web_name]
    assert landed["is_booked"] and not landed["is_shipped"]
    assert landed["customer"]["number"] == 10002, "a new customer takes the next number"  # type: ignore[index]
    assert orders[f"OUTLET-{outlet_name}"]["customer"]["number"] == 10001, "found by email"  # type: ignore[index]
    assert [(line["item"]["number"], line["quantity"]) for line in landed["lines"]] == [("RB-1001", 2)]  # type: ignore[attr-defined]

    rerun = systems.apply(ORDERS)
    assert all("create" not in counts for counts in rerun.values()), rerun
    assert len(systems.rackbeat.account.orders) == 3, "a rerun creates nothing"
    systems.apply(CATALOGUE)
    assert systems.available(systems.shop, "RB-1001") == systems.available(systems.outlet, "RB-1001") == 20


@pytest.mark.slow
def test_stock_from_one_warehouse_rather_than_all(systems: Systems) -> None:
    one = {
        "TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__STOCK_LOCATION": '"2"',
        "TILLSYNC__FLOWS__STOCK__SETTINGS__LOCATION_MAP__2": "warehouse",
    }
    systems.apply(CATALOGUE, **one)
    assert systems.available(systems.shop, "RB-2001") == 12 and systems.available(systems.shop, "RB-1001") == 5


@pytest.mark.slow
@pytest.mark.usefixtures("quick_retries")
def test_paid_orders_in_a_chosen_state_converge_through_429s_and_server_errors_with_nothing_doubled(
    systems: Systems,
) -> None:
    systems.apply(CATALOGUE)
    for n in range(4):
        systems.shop.shop.place_order([("RB-1002", 1)], email=f"buyer{n}@example.dk")
    systems.rackbeat.faults = Faults(rates={"429": 0.15, "500": 0.15}, seed=3, retry_after=runs.QUICK)
    state = {"TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__ORDER_STATE": "shipped_and_invoiced"}
    for _ in range(4):  # a record that failed is in dead letters and planned again next run
        workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ={**systems.environ, **state})
        with runner.state_store(workspace) as store:
            runner.sync(workspace, store, runner.select(workspace, ["rackbeat-shopify/orders"]))
    injected = systems.rackbeat.app.injected
    systems.rackbeat.faults = Faults()
    systems.apply(["rackbeat-shopify/orders"], **state)
    assert "429" in injected and "500" in injected
    made = [o for ref, o in _orders(systems.rackbeat).items() if ref != "PO-77"]
    assert len(made) == 4, "every paid order once, none doubled"
    assert all(o["is_shipped"] and o["is_invoiced"] for o in made)
    assert len(systems.rackbeat.account.customers) == 5, "one customer per email, none doubled"


@pytest.mark.slow
def test_the_initial_sync_copies_shopify_items_into_rackbeat_once(systems: Systems) -> None:
    shop = ShopifyClient(ShopifySettings(url=systems.environ["TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL"]),
                         systems.shop.token)  # fmt: skip
    tote = Product(sku="SH-1", title="Shopify tote", variants=(Variant(sku="SH-1", price=Money.model_validate(
        "120.00 EUR")),))  # fmt: skip
    assert [o.error for o in shop.write(Entity.product, [tote])] == [None]
    shop.close()
    enabled = {
        "TILLSYNC__FLOWS__INITIAL_ITEMS__ENABLED": "true",
        "TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__DEFAULT_GROUP": '"50"',
    }  # a group the sandbox has
    assert systems.apply(["rackbeat-shopify/initial-items"], **enabled)["initial-items"] == {"create": 1}
    made = systems.rackbeat.account.products["SH-1"]
    assert (made["name"], made["sales_price"], made["group"]["number"]) == ("Shopify tote", 120, "50")
    assert "create" not in systems.apply(["rackbeat-shopify/initial-items"], **enabled)["initial-items"]


@pytest.mark.slow
def test_the_initial_sync_counts_the_shops_stock_into_each_rackbeat_location_once(systems: Systems) -> None:
    shop = ShopifyClient(ShopifySettings(url=systems.environ["TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL"]),
                         systems.shop.token)  # fmt: skip
    towel = Product(sku="RB-1001", title="Linen towel", variants=(Variant(sku="RB-1001"),))
    tote = Product(sku="SH-1", title="Shopify tote", variants=(Variant(sku="SH-1", price=Money.model_validate(
        "120.00 EUR")),))  # fmt: skip
    assert [o.error for o in shop.write(Entity.product, [towel, tote])] == [None, None]
    counted = {("RB-1001", "warehouse"): 14, ("RB-1001", "store-amsterdam"): 5,  # Rackbeat has 20 and 5
               ("SH-1", "warehouse"): 3, ("SH-1", "store-amsterdam"): 0}  # fmt: skip
    levels = [StockLevel(sku=sku, location=where, available=Decimal(n)) for (sku, where), n in counted.items()]
    assert [o.error for o in shop.write(Entity.stock, levels)] == [None] * 4
    shop.close()
    initial = ["rackbeat-shopify/initial-items", "rackbeat-shopify/initial-stock"]
    enabled = {
        "TILLSYNC__FLOWS__INITIAL_ITEMS__ENABLED": "true",
        "TILLSYNC__FLOWS__INITIAL_STOCK__ENABLED": "true",
        "TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__DEFAULT_GROUP": '"50"',
    }
    done = systems.apply(initial, **enabled)
    assert done["initial-stock"] == {"update": 2, "record": 2}, done  # Rackbeat read per location first
    account = systems.rackbeat.account
    assert {key: account.stock.get(key) for key in [("RB-1001", "1"), ("RB-1001", "2"), ("SH-1", "1"), ("SH-1", "2")]} \
        == {("RB-1001", "1"): 14, ("RB-1001", "2"): 5, ("SH-1", "1"): 3, ("SH-1", "2"): None}  # fmt: skip
    assert account.adjustments == [
        {"item_number": "RB-1001", "location_number": "1", "quantity": -6},
        {"item_number": "SH-1", "location_number": "1", "quantity": 3},
    ], "a count only where the stock differs, each once"
    assert account.stock[("RB-2001", "2")] == 12, "an item the shop does not sell keeps its stock"
    drafts = len(account.checking_drafts)

    again = runs.plan({**systems.environ, **enabled}, initial)
    assert not any(p.has_changes for p in again.values()), render(Plan("test", tuple(again.values())), "text")
    assert all(not counts.get("create") and not counts.get("update")
               for counts in systems.apply(initial, **enabled).values())  # fmt: skip
    assert len(account.checking_drafts) == drafts and len(account.adjustments) == 2, "a rerun counts nothing"


@contextmanager
def receiving(systems: Systems, **extra: str) -> Iterator[tuple[str, StateStore]]:
    """Tillsync's webhook receiver served, with the event worker behind it: its URL and state store."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ={**systems.environ, **extra})
    with runner.state_store(workspace) as store:
        worker = EventWorker(workspace, store)
        worker.start()
        try:
            with serving(receiver(workspace, store, worker.wake)) as url:
                yield url, store
        finally:
            worker.stop()


def _until(done: Callable[[], bool], store: StateStore, what: str) -> None:
    deadline = time.monotonic() + 20
    while store.events.pending() or not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.slow
def test_a_paid_order_webhook_lands_it_once_in_the_chosen_state_and_a_second_webhook_or_a_rerun_makes_nothing(
    systems: Systems,
) -> None:
    systems.apply(CATALOGUE)
    shop = systems.shop.shop
    state = {"TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__ORDER_STATE": "invoiced"}
    with receiving(systems, **state) as (url, store):
        client = ShopifyClient(ShopifySettings(url=systems.environ["TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL"]),
                               systems.shop.token)  # fmt: skip
        client.subscribe("orders/paid", f"{url}/webhooks/rackbeat-shopify/shop")
        client.close()
        paid = shop.place_order([("RB-1001", 2), ("RB-1002", 1)], email="indkob@nordiskcafe.example")
        name = shop.orders[paid]["name"]
        _until(lambda: name in _orders(systems.rackbeat), store, "the paid order did not reach Rackbeat")
        systems.shop.webhooks.emit("orders/paid", {"admin_graphql_api_id": paid, "name": name})  # once more
        systems.shop.webhooks.wait_idle()
        _until(lambda: True, store, "the second webhook was not handled")
        runs = [(r["flow"], r["status"]) for r in store.runs.list() if r["kind"] == "event"]
    assert runs == [("orders", "succeeded"), ("orders", "succeeded")], "each webhook ran the orders flow"
    landed = [o for o in systems.rackbeat.account.orders.values() if o["your_reference"] == name]
    assert len(landed) == 1, "a second webhook for the order makes nothing"
    order = landed[0]
    assert order["is_booked"] and order["is_invoiced"] and not order["is_shipped"], "in the state chosen"
    assert order["customer"]["number"] == 10001, "the customer found by email"
    assert [(line["item"]["number"], line["quantity"], line["line_price"], line["vat_percentage"])
            for line in order["lines"]] == [("RB-1001", 2, 73.5537, 21), ("RB-1002", 1, 205.7851, 21)], \
        "the shop's prices, VAT (21 % in the sandbox shop) taken out as Rackbeat keeps them"  # fmt: skip
    rerun = systems.apply(["rackbeat-shopify/orders"], **state)
    assert "create" not in rerun["orders"] and len(_orders(systems.rackbeat)) == 2, "a rerun makes nothing"


@pytest.mark.slow
def test_an_item_changed_in_rackbeat_reaches_both_shops_by_rackbeats_own_webhook(systems: Systems) -> None:
    systems.apply(CATALOGUE)
    account = systems.rackbeat.account
    with receiving(systems) as (url, store):
        rackbeat = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=systems.environ).deployments[
            "rackbeat-shopify"].systems["rackbeat"].open(systems.environ)  # fmt: skip
        rackbeat.subscribe("product.updated", f"{url}/webhooks/rackbeat-shopify/rackbeat")  # type: ignore[attr-defined]
        rackbeat.close()
        with account.lock:
            account.save_product({"sales_price": "95.00"}, "RB-1001")
        systems.rackbeat.webhooks.wait_idle()

        def priced() -> bool:
            return all(_price(sandbox, "RB-1001") == "95.00" for sandbox in (systems.shop, systems.outlet))

        _until(priced, store, "the new price did not reach both shops")
        runs = sorted((r["flow"], r["status"]) for r in store.runs.list() if r["kind"] == "event")
    assert systems.rackbeat.webhooks.delivered == [("product.updated", 200)], "delivered with its token"
    assert runs == [("outlet-products", "succeeded"), ("products", "succeeded")]


def _price(sandbox: ShopifySandbox, sku: str) -> str | None:
    variant = next((v for v in sandbox.shop.variants.values() if v.get("sku") == sku), None)
    return None if variant is None else str(variant["price"])
