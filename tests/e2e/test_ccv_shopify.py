"""The CCV SalesPOS ⇄ Shopify integration end to end, both sandboxes over loopback HTTP: the
catalogue, stock and customers reach Shopify; a till sale arrives in Shopify once, by the schedule
or at once by CCV's webhook, and so does an order once its status makes it a sale; a delivery
that does not verify is refused; a paid Shopify order arrives in SalesPOS once with its customer
and on its store; an order with a product SalesPOS does not know waits in dead letters with
nothing half-made; faults converge with nothing doubled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from connectors import CONNECTORS
from connectors.ccv import protocol
from connectors.ccv.client import CcvClient
from connectors.ccv.sandbox import CcvSandbox, start
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.faults import Faults
from connectors.testing.server import running_sandboxes, serving
from engine.plan.model import FlowPlan
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace
from engine.webhooks.receiver import receiver
from engine.webhooks.worker import EventWorker
from tests.e2e import runs

pytestmark = pytest.mark.slow


@dataclass
class Integration:
    shop: ShopifySandbox
    pos: CcvSandbox
    environ: dict[str, str]

    def plan(self, flow: str | None = None) -> dict[str, FlowPlan]:
        return runs.plan(self.environ, flow)

    def apply(self, flow: str | None = None) -> dict[str, ApplyResult]:
        return runs.apply(self.environ, flow)

    def dead_letters(self) -> list[tuple[tuple[str, ...], str]]:
        workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=self.environ)
        with runner.state_store(workspace) as store:
            return [(d.key, d.reason) for d in store.dead_letters.open()]


@pytest.fixture
def integration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Integration]:
    runs.test_environment(tmp_path, "ccv-salespos-shopify")
    monkeypatch.chdir(tmp_path)
    pos = start(True)
    with serving(pos) as pos_url, running_sandboxes({"shopify": CONNECTORS["shopify"]}, {"shopify": 0}) as started:
        shop = started["shopify"]
        environ = {
            "CCV_SECRET": pos.secret, "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": pos_url,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__PUBLIC_KEY": pos.public,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__RATE_LIMIT_WAIT": "0.5",  # a minute on a real account
            "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }  # fmt: skip
        yield Integration(shop.sandbox, pos, environ)


def synced(integration: Integration) -> None:
    results = integration.apply()
    assert all(r.ok for r in results.values()), {f: r.failures for f, r in results.items()}


def test_catalogue_stock_customers_and_the_till_sale_reach_shopify_once(integration: Integration) -> None:
    synced(integration)
    shop = integration.shop.shop
    shirt = next(p for p in shop.products.values() if p["title"] == "Organic shirt")
    assert [(shop.variants[v]["sku"], shop.variants[v]["price"]) for v in shirt["variants"]] == [
        ("1001", "29.95"), ("1002", "29.95"), ("1003", "31.95")]  # fmt: skip
    assert [shop.collections[c]["handle"] for c in shirt["collections"]] == ["ccv-1001"]
    levels = {
        (shop.items[i]["sku"], shop.locations[loc]["name"]): q["available"] for (i, loc), q in shop.levels.items()
    }
    assert levels[("1001", "warehouse")] == 12 and levels[("2000", "warehouse")] == 38
    assert {c["email"] for c in shop.customers.values()} >= {"inkoop@bakkerijdekorf.nl", "j.jansen@example.com"}
    assert [o["name"] for o in shop.orders.values()] == ["SP-1"]
    synced(integration)
    assert [o["name"] for o in shop.orders.values()] == ["SP-1"], "a till sale is booked once"
    assert {flow: plan.has_changes for flow, plan in integration.plan().items()} == dict.fromkeys(
        integration.plan(), False)  # fmt: skip


def made_in_pos(integration: Integration) -> dict[str, dict[str, object]]:
    return {o["reservationnumber"]: o for o in integration.pos.store.orders.values() if o["reservationnumber"]}


def test_a_paid_shopify_order_arrives_in_salespos_once_with_its_customer_on_the_store(integration: Integration) -> None:
    synced(integration)
    shop = integration.shop.shop
    company = {"firstName": "Sanne", "lastName": "de Vries", "company": "Bakkerij De Korf",
               "address1": "Prinsengracht 263", "zip": "1016 GV", "city": "Amsterdam", "countryCode": "NL"}  # fmt: skip
    web = shop.place_order([("1002", 2)], email="inkoop@bakkerijdekorf.nl", billing_address=company, gateway="ideal")
    new = shop.place_order([("2000", 1)], email="nieuw@example.com", gateway="ideal")
    pos = shop.place_order([("2000", 1)], source="pos", location="store-amsterdam", gateway="cash")
    shop.place_order([("2000", 1)], financial_status="PENDING", email="someone@example.com")
    users = len(integration.pos.store.users)
    first = integration.apply("orders")["orders"]
    assert first.ok and first.counts["create"] == 3
    again = integration.apply("orders")["orders"]
    assert again.ok and again.counts["create"] == 0, "the same order delivered twice makes one order"
    made = made_in_pos(integration)
    assert set(made) == {shop.orders[web]["name"], shop.orders[new]["name"], shop.orders[pos]["name"]}
    store = integration.pos.store
    assert len(store.users) == users + 1, "the known company is found by email, the new customer made once"
    assert made[shop.orders[pos]["name"]]["user"] == {"id": 1}, "a sale without a customer: on the default debtor"
    korf = store.users[made[shop.orders[web]["name"]]["user"]["id"]]  # type: ignore[index]
    assert korf["userinfo"]["billingaddress"]["company"] == "Bakkerij De Korf"
    rows = store.order_rows(made[shop.orders[web]["name"]]["id"])  # type: ignore[arg-type]
    assert [(r["sub_sku_number"], r["count"]) for r in rows] == [("1002", 2.0)]
    assert integration.plan("orders")["orders"].has_changes is False


def test_an_order_with_an_unknown_product_waits_with_nothing_half_made(integration: Integration) -> None:
    synced(integration)
    shop = integration.shop.shop
    simple = [{"optionName": "Title", "name": "Default Title"}]
    gift_card = [{"sku": "9001", "price": "25.00", "optionValues": simple}]
    shop.product_set(None, {"title": "Gift card", "variants": gift_card})
    shop.place_order([("9001", 1), ("2000", 1)], email="nieuw@example.com", gateway="ideal")
    users = len(integration.pos.store.users)
    result = integration.apply("orders")["orders"]
    assert not result.ok and made_in_pos(integration) == {} and len(integration.pos.store.users) == users
    [(_, reason)] = integration.dead_letters()
    assert "does not know: 9001" in reason


def test_a_tampered_answer_stops_the_run_and_nothing_is_read_from_it(integration: Integration) -> None:
    integration.pos.tamper = True
    results = integration.apply("categories")
    assert results == {} or not all(r.ok for r in results.values())
    assert integration.shop.shop.collections == {}


@pytest.mark.usefixtures("quick_retries")
def test_faults_injected_converge_with_nothing_doubled(integration: Integration) -> None:
    synced(integration)
    mug = next(p["id"] for p in integration.pos.store.products.values() if p["productnumber"] == "2000")
    integration.pos.store.create_order({"status": 7, "paid": True, "orderrows": [{"product_id": mug, "count": 1.0}]})
    integration.shop.shop.place_order([("1001", 1)], email="nieuw@example.com", gateway="ideal")
    integration.pos.faults = Faults(
        rates={"429": 0.1, "500": 0.1, "drop": 0.05, "lost": 0.05}, seed=7, retry_after=runs.QUICK
    )
    integration.shop.faults = Faults(rates={"429": 0.1, "500": 0.1}, seed=8, retry_after=runs.QUICK)
    for _ in range(3):
        try:
            integration.apply()
        except Exception:  # a run may give up on a flow; the next one takes it up again
            continue
    integration.pos.faults = Faults()
    integration.shop.faults = Faults()
    synced(integration)
    assert len(made_in_pos(integration)) == 1
    names = [o["name"] for o in integration.shop.shop.orders.values()]
    assert sorted(n for n in names if n.startswith("SP-")) == ["SP-1", "SP-2"]
    emails = [u["userinfo"].get("email") for u in integration.pos.store.users.values() if u["id"] != 1]
    assert len(emails) == len(set(emails))
    numbers = [p["productnumber"] for p in integration.pos.store.products.values()]
    assert len(numbers) == len(set(numbers))


def shopify_names(integration: Integration) -> list[str]:
    return sorted(o["name"] for o in integration.shop.shop.orders.values() if o["name"].startswith("SP-"))


def test_a_till_sale_and_a_status_change_delivered_by_webhook_reach_shopify_at_once(integration: Integration) -> None:
    synced(integration)
    pos = integration.pos.store
    mug = next(p["id"] for p in pos.products.values() if p["productnumber"] == "2000")
    environ = {
        **integration.environ,
        "CCV_WEBHOOK_KEY": integration.pos.credentials["webhook_key"],
        "TILLSYNC__SYSTEMS__POS__CREDENTIALS__WEBHOOK_KEY": "env:CCV_WEBHOOK_KEY",
    }  # the spec's line uncommented
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    endpoint = "/webhooks/ccv-salespos-shopify/pos"
    with runner.state_store(workspace) as store:
        worker = EventWorker(workspace, store)
        worker.start()
        try:
            with serving(receiver(workspace, store, worker.wake)) as url:
                client = workspace.deployments["ccv-salespos-shopify"].systems["pos"].open(environ)
                assert isinstance(client, CcvClient)
                for event in ("orders.created", "orders.updated"):
                    client.subscribe(event, url + endpoint)
                client.close()

                def settled(names: list[str]) -> None:
                    integration.pos.deliveries.wait_idle()  # delivered and stored: the events are pending or run
                    deadline = time.monotonic() + 20
                    while store.events.pending() or shopify_names(integration) != names:
                        assert time.monotonic() < deadline, f"Shopify holds {shopify_names(integration)}, not {names}"
                        time.sleep(0.05)

                pos.create_order({"status": 7, "paid": True, "paymethod": "pin",
                                  "orderrows": [{"product_id": mug, "count": 1.0}]})  # fmt: skip
                settled(["SP-1", "SP-2"])
                waiting = pos.create_order({"status": 1, "paymethod": "pin",
                                            "orderrows": [{"product_id": mug, "count": 3.0}]})  # fmt: skip
                settled(["SP-1", "SP-2"])  # a new order is no sale yet
                pos.patch_order(waiting["id"], {"status": 7, "paid": True})
                settled(["SP-1", "SP-2", "SP-3"])
                pos.patch_order(waiting["id"], {"track_and_trace_code": "3SABC123"})
                settled(["SP-1", "SP-2", "SP-3"])
                body = json.dumps({"event": "orders.created", "id": 1, "data": {"ordernumber_full": "SP-9"}}).encode()
                forged = httpx.post(url + endpoint, content=body, headers={
                    "content-type": "application/json",
                    protocol.WEBHOOK_HASH_HEADER: protocol.webhook_signature("a-guessed-key", body)})  # fmt: skip
                unsigned = httpx.post(url + endpoint, content=body, headers={"content-type": "application/json"})
        finally:
            worker.stop()
        runs = [(r["flow"], r["status"]) for r in store.runs.list() if r["kind"] == "event"]
        stored = len(store.events.pending())
    assert (forged.status_code, unsigned.status_code, stored) == (401, 401, 0)
    assert runs and set(runs) == {("till-sales", "succeeded")}
    delivered = [status for _, status in integration.pos.deliveries.delivered]
    assert delivered == [200] * 4, "two sales made and two changes: each delivery taken"
    assert shopify_names(integration) == ["SP-1", "SP-2", "SP-3"]
    assert integration.plan("till-sales")["till-sales"].has_changes is False


def test_an_order_whose_status_made_it_a_sale_is_booked_once_by_the_schedule(integration: Integration) -> None:
    synced(integration)
    pos = integration.pos.store
    mug = next(p["id"] for p in pos.products.values() if p["productnumber"] == "2000")
    waiting = pos.create_order({"status": 11, "orderrows": [{"product_id": mug, "count": 1.0}]})
    synced(integration)
    assert shopify_names(integration) == ["SP-1"], "an order ready to be collected is no sale yet"
    pos.patch_order(waiting["id"], {"status": 7, "paid": True})
    assert integration.apply("till-sales")["till-sales"].counts["create"] == 1
    assert integration.apply("till-sales")["till-sales"].counts["create"] == 0
    assert shopify_names(integration) == ["SP-1", "SP-2"]


def test_a_variant_product_made_in_shopify_reaches_salespos_once_its_description_set_once(
    integration: Integration,
) -> None:
    synced(integration)
    shop = integration.shop.shop
    variants = [{"sku": sku, "price": price, "optionValues": [{"optionName": "colour", "name": colour}]}
                for sku, colour, price in (("5001", "natural", "24.95"), ("5002", "black", "26.95"))]  # fmt: skip
    identifier = {"customId": {"namespace": "tillsync", "key": "product_number", "value": "5000"}}
    options = [{"name": "colour", "values": [{"name": "natural"}, {"name": "black"}]}]
    shop.product_set(identifier, {"title": "Linen apron", "descriptionHtml": "Washed linen.",
                                  "productOptions": options, "variants": variants})  # fmt: skip
    made = integration.apply("shop-products")["shop-products"]
    assert made.counts["create"] == 1, (made.counts, made.failures)
    pos = integration.pos.store
    [apron] = [p for p in pos.products.values() if p["productnumber"] == "5000"]
    combinations = {c["sku_number"]: c for c in pos.product_combinations(apron["id"])}
    assert (apron["name"], apron["description"], apron["price"]) == ("Linen apron", "Washed linen.", 24.95)
    assert {sku: (c["combination"][0]["attribute_value"]["name"], c["netto_extra_price"])
            for sku, c in combinations.items()} == {"5001": ("natural", 0.0), "5002": ("black", 2.0)}  # fmt: skip
    product_id = next(p for p in shop.products.values() if p["title"] == "Linen apron")["id"]
    shop.product_set({"id": product_id}, {"title": "Linen apron, washed", "descriptionHtml": "Changed in Shopify."})
    result = integration.apply("shop-products")["shop-products"]
    assert result.ok and result.counts["create"] == 0 and result.counts["update"] == 1
    assert (apron["name"], apron["description"]) == ("Linen apron, washed", "Washed linen."), "description: on create"
    assert len([p for p in pos.products.values() if p["productnumber"] == "5000"]) == 1
    assert len(pos.product_combinations(apron["id"])) == 2
    assert integration.plan("shop-products")["shop-products"].has_changes is False
