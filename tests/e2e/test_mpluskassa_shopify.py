"""The MplusKASSA ⇄ Shopify POS integration end to end, both sandboxes over loopback HTTP.

Every rule merchants rely on has a test here: catalogue, stock and customers to Shopify; paid
orders to MplusKASSA once each, with their customer or the default debtor; unknown SKUs parked in
dead letters until the product exists; numeric SKUs checked at plan time; a run with faults
injected converging without duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors import CONNECTORS
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.faults import Faults
from connectors.testing.server import running_sandboxes, serving
from engine.plan.model import Action, FlowPlan
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
    till: MplusSandbox
    environ: dict[str, str]

    def plan(self, flow: str | None = None) -> dict[str, FlowPlan]:
        return runs.plan(self.environ, flow)

    def apply(self, flow: str | None = None) -> dict[str, ApplyResult]:
        return runs.apply(self.environ, flow)

    def retry(self) -> list[ApplyResult]:
        workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=self.environ)
        with runner.state_store(workspace) as store:
            return [o.result for o in runner.retry(workspace, store, runner.select(workspace)) if o.result]

    def dead_letters(self) -> list[tuple[tuple[str, ...], str]]:
        workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=self.environ)
        with runner.state_store(workspace) as store:
            return [(d.key, d.reason) for d in store.dead_letters.open()]


@pytest.fixture
def integration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Integration]:
    runs.test_environment(tmp_path, "mpluskassa-shopify-pos")
    monkeypatch.chdir(tmp_path)
    with running_sandboxes(
        {n: CONNECTORS[n] for n in ("shopify", "mpluskassa")}, {"shopify": 0, "mpluskassa": 0}
    ) as started:
        shop, till = started["shopify"], started["mpluskassa"]
        environ = {
            "MPLUS_IDENT": till.sandbox.ident, "MPLUS_SECRET": till.sandbox.secret,
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }  # fmt: skip
        yield Integration(shop.sandbox, till.sandbox, environ)


def simple_variant(sku: str, price: str) -> dict[str, object]:
    return {"sku": sku, "price": price, "optionValues": [{"optionName": "Title", "name": "Default Title"}]}


def catalogue_synced(integration: Integration) -> None:
    results = integration.apply()
    assert all(r.ok for r in results.values()), {f: r.failures for f, r in results.items()}


def test_catalogue_stock_and_customers_reach_shopify_and_a_second_run_changes_nothing(integration: Integration) -> None:
    first = integration.plan()
    assert [c.key for c in first["products"].changes if c.action is Action.create] == [("1000",), ("2000",)]
    catalogue_synced(integration)
    shop = integration.shop.shop
    shirt = next(p for p in shop.products.values() if p["title"] == "Organic shirt")
    assert [o["name"] for o in shirt["options"]] == ["size"]
    assert [
        (shop.variants[v]["sku"], shop.variants[v]["price"], shop.variants[v]["barcode"]) for v in shirt["variants"]
    ] == [("1001", "29.95", "8712345000011"), ("1002", "29.95", "8712345000028"), ("1003", "31.95", "8712345000035")]
    assert shirt["metafields"][("features", "country_of_origin")] == "PT"
    assert [shop.collections[c]["handle"] for c in shirt["collections"]] == ["group-10"]
    levels = {
        (shop.items[i]["sku"], shop.locations[loc]["name"]): q["available"] for (i, loc), q in shop.levels.items()
    }
    assert levels[("1001", "warehouse")] == 10 and levels[("1002", "warehouse")] == 0  # on hand - reserved
    assert levels[("1001", "store-amsterdam")] == 3
    customers = {c["email"]: c for c in shop.customers.values()}
    assert customers["inkoop@bakkerijdekorf.nl"]["addresses"][0]["company"] == "Bakkerij De Korf"
    assert customers["inkoop@bakkerijdekorf.nl"]["firstName"] == "Sanne"
    assert {flow: plan.has_changes for flow, plan in integration.plan().items()} == dict.fromkeys(first, False)


def test_create_only_fields_survive_an_update(integration: Integration) -> None:
    catalogue_synced(integration)
    product = integration.till.till.products[1000]
    product.update(description="Organic shirt, new cut", extraText="Rewritten in the till")
    integration.till.till._stamp(product)
    [change] = [c for c in integration.plan("products")["products"].changes if c.action is Action.update]
    assert [f.field for f in change.fields] == ["title"]
    integration.apply("products")
    shirt = next(p for p in integration.shop.shop.products.values() if p["title"] == "Organic shirt, new cut")
    assert shirt["descriptionHtml"] == "Soft organic cotton."


def test_paid_orders_reach_the_till_once_with_customer_payment_and_branch(integration: Integration) -> None:
    catalogue_synced(integration)
    shop = integration.shop.shop
    company = {"firstName": "Sanne", "lastName": "de Vries", "company": "Bakkerij De Korf",
               "address1": "Prinsengracht 263", "zip": "1016 GV", "city": "Amsterdam", "countryCode": "NL"}  # fmt: skip
    web = shop.place_order([("1001", 2)], email="inkoop@bakkerijdekorf.nl", billing_address=company, gateway="ideal")
    pos = shop.place_order([("2000", 1)], source="pos", location="store-amsterdam", gateway="cash")
    shop.place_order([("2000", 1)], financial_status="PENDING", email="someone@example.com")
    first = integration.apply("orders")["orders"]
    assert first.ok and first.counts["create"] == 2
    again = integration.apply("orders")["orders"]
    assert again.ok and again.counts["create"] == 0, "the same order delivered twice makes one order"
    orders = {o["extOrderId"]: o for o in integration.till.till.orders.values() if o.get("extOrderId")}
    assert set(orders) == {shop.orders[web]["name"], shop.orders[pos]["name"]}
    booked = orders[shop.orders[web]["name"]]
    relation = integration.till.till.relations[int(booked["relationNumber"])]
    assert relation["companyName"] == "Bakkerij De Korf" and relation["contact"] == "Sanne de Vries"
    assert booked["paymentList"][0]["method"] == "IDEAL" and relation["paymentWithinDays"] == 0, "paid directly"
    till_sale = orders[shop.orders[pos]["name"]]
    sale = (till_sale["relationNumber"], till_sale["financialBranchNumber"], till_sale["employeeNumber"])
    assert sale == (1000, 2, 999999)
    assert till_sale["paymentList"][0]["method"] == "CASH"


def test_a_person_paying_on_account_becomes_a_relation_with_the_mapped_term_and_an_existing_order_is_skipped(
    integration: Integration,
) -> None:
    catalogue_synced(integration)
    shop, till = integration.shop.shop, integration.till.till
    person = {"firstName": "Lotte", "lastName": "Visser", "address1": "Dam 1", "zip": "1012 JS", "city": "Amsterdam",
              "countryCode": "NL"}  # fmt: skip
    web = shop.place_order([("2000", 1)], email="lotte@example.com", billing_address=person, gateway="manual")
    held = shop.place_order([("2000", 1)], email="lotte@example.com", billing_address=person, gateway="manual")
    number = shop.orders[held]["name"]  # already booked at the till by hand, as the till's own clerk would
    till.call("createOrder", {"order": {"orderId": "", "extOrderId": number, "employeeNumber": 1,
                                        "entryBranchNumber": 1, "relationNumber": 1000}})  # fmt: skip
    result = integration.apply("orders")["orders"]
    assert result.ok
    orders = [o for o in till.orders.values() if o.get("extOrderId") in (shop.orders[web]["name"], number)]
    assert sorted(o["employeeNumber"] for o in orders) == [1, 999999], "the order booked by hand is left alone"
    booked = next(o for o in orders if o["extOrderId"] == shop.orders[web]["name"])
    relation = till.relations[int(booked["relationNumber"])]
    assert (relation["email"], relation["paymentWithinDays"]) == ("lotte@example.com", 14)
    assert not relation.get("companyName") and not relation.get("contactList"), "a person, not a company"
    assert (booked["paymentMethod"], booked["paymentList"][0]["method"]) == ("ONACCOUNT", "ONACCOUNT")


def test_an_unknown_sku_waits_in_dead_letters_until_the_product_exists(integration: Integration) -> None:
    catalogue_synced(integration)
    shop = integration.shop.shop
    shop.product_set(None, {"title": "Gift card", "variants": [simple_variant("9001", "25.00")]})
    shop.place_order([("9001", 1), ("2000", 1)], email="j.jansen@example.com", gateway="ideal")
    result = integration.apply("orders")["orders"]
    assert not result.ok and len(integration.till.till.orders) == 1, "nothing half-created (one till sale was there)"
    [(key, reason)] = integration.dead_letters()
    assert "does not know: 9001" in reason
    till = integration.till.till
    gift_card = {"productNumber": 9001, "description": "Gift card", "articleList": [{"articleNumber": 9001}]}
    till.call("createProduct", {"product": gift_card})
    [retried] = integration.retry()
    assert retried.ok and retried.counts["create"] == 1 and integration.dead_letters() == []
    assert [o["extOrderId"] for o in till.orders.values() if o.get("extOrderId")] == [key[0]]


def test_a_non_numeric_sku_is_a_record_error_when_the_plan_is_made(integration: Integration) -> None:
    catalogue_synced(integration)
    shop = integration.shop.shop
    shop.product_set(None, {"title": "Tote bag", "variants": [simple_variant("TOTE-1", "9.00")]})
    shop.place_order([("TOTE-1", 1)], email="j.jansen@example.com")
    changes = integration.plan("orders")["orders"].changes
    [change] = [c for c in changes if c.action not in (Action.skip, Action.unchanged, Action.record)]
    assert change.action is Action.error and "SKU 'TOTE-1' is not numeric" in change.reason
    assert "createOrder" not in integration.till.calls


def test_stock_follows_the_till_after_a_sale(integration: Integration) -> None:
    catalogue_synced(integration)
    integration.till.till.stock[(1, 2000)]["amount"] = Decimal(30)
    stock = integration.apply("stock")["stock"]
    assert stock.counts["update"] == 1
    shop = integration.shop.shop
    item = next(i for i in shop.items.values() if i["sku"] == "2000")
    assert shop.levels[(item["id"], shop.location_named("warehouse"))]["available"] == 26  # 30 on hand - 4 reserved


@pytest.mark.usefixtures("quick_retries")
def test_a_run_with_faults_injected_converges_with_nothing_duplicated(integration: Integration) -> None:
    integration.shop.faults = Faults(rates={"429": 0.15, "500": 0.15, "drop": 0.05}, seed=11, retry_after=runs.QUICK)
    integration.till.faults = Faults(rates={"429": 0.15, "500": 0.15, "drop": 0.05}, seed=12, retry_after=runs.QUICK)
    for _ in range(3):
        try:
            integration.apply()
        except Exception:  # a run may give up on a flow; the next one takes it up again
            continue
    integration.shop.faults = Faults()
    integration.till.faults = Faults()
    catalogue_synced(integration)
    shop = integration.shop.shop
    assert sorted(shop.variants[v]["sku"] for v in shop.variants) == ["1001", "1002", "1003", "2000"]
    assert len(shop.products) == 2 and len(shop.customers) == 2 and len(shop.collections) == 2
    assert not any(plan.has_changes for plan in integration.plan().values())


def test_the_tills_own_paid_sales_are_booked_in_shopify_once_and_not_sent_back(integration: Integration) -> None:
    catalogue_synced(integration)  # the seeded till has one cash sale of two mugs
    [sale] = [o for o in integration.shop.shop.orders.values()]
    assert (sale["name"], sale["sourceName"], sale["displayFinancialStatus"]) == ("1-000001", "pos", "PAID")
    assert [(line["sku"], line["quantity"]) for line in sale["lineItems"]] == [("2000", 2)]
    assert sale["paymentGatewayNames"] == ["cash"]
    again = integration.apply()
    assert again["till-sales"].counts["create"] == 0 and again["orders"].counts["create"] == 0
    assert len(integration.till.till.orders) == 1 and len(integration.shop.shop.orders) == 1


def test_a_price_edited_in_the_shopify_admin_is_reported_as_drift_and_overwritten(integration: Integration) -> None:
    from engine.run.drift import drift_flow
    from engine.run.flow import FlowSetup
    from engine.run.systems import open_systems

    catalogue_synced(integration)
    shop = integration.shop.shop
    mug = next(v for v in shop.variants.values() if v["sku"] == "2000")
    mug["price"] = "9.99"  # someone edits the price in the Shopify admin
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=integration.environ)
    deployment = workspace.deployments["mpluskassa-shopify-pos"]
    with runner.state_store(workspace) as store, open_systems(workspace, deployment) as systems:
        [drift] = drift_flow(FlowSetup.of(deployment, "products"), systems, store)
    assert (drift.key, drift.field, drift.policy) == (("2000",), "variants", "overwrite")
    assert drift.applied[0]["price"] == {"amount": "12.50", "currency": "EUR"}
    assert drift.current[0]["price"] == {"amount": "9.99", "currency": "EUR"}
    assert integration.apply("products")["products"].counts["update"] == 1
    assert mug["price"] == "12.50"


def test_a_paid_order_webhook_books_that_order_in_the_till_at_once(integration: Integration) -> None:
    catalogue_synced(integration)
    shop, till = integration.shop.shop, integration.till.till
    earlier = shop.place_order([("2000", 1)], email="j.jansen@example.com", gateway="ideal")  # before the webhook
    environ = {**integration.environ, "SHOPIFY_WEBHOOK_SECRET": integration.shop.webhook_secret}
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    reserved = till.stock[(1, 1001)]["reserved"]
    with runner.state_store(workspace) as store:
        worker = EventWorker(workspace, store)
        worker.start()
        try:
            with serving(receiver(workspace, store, worker.wake)) as url:
                client = workspace.deployments["mpluskassa-shopify-pos"].systems["shop"].open(environ)
                client.subscribe("orders/paid", f"{url}/webhooks/mpluskassa-shopify-pos/shop")
                client.close()
                paid = shop.place_order([("1001", 2)], email="j.jansen@example.com", gateway="ideal")
                deadline = time.monotonic() + 20
                while store.events.pending() or not _booked(till, shop.orders[paid]["name"]):
                    assert time.monotonic() < deadline, "the order did not reach the till"
                    time.sleep(0.05)
        finally:
            worker.stop()
        runs = [r for r in store.runs.list() if r["kind"] == "event"]
    assert till.stock[(1, 1001)]["reserved"] == reserved + 2
    assert not _booked(till, shop.orders[earlier]["name"]), "the event's run reads only the order it names"
    assert [(r["flow"], r["status"]) for r in runs] == [("orders", "succeeded")]
    assert integration.apply("orders")["orders"].counts["create"] == 1, "the schedule books the earlier one"


def _booked(till: Any, name: str) -> bool:
    return any(order.get("extOrderId") == name for order in till.orders.values())


def test_a_saved_plan_over_dependent_flows_applies_on_fresh_sandboxes(
    integration: Integration, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The products flow creates in Shopify what the stock flow then targets: when the plan was made
    the stock levels did not exist. The saved plan still applies, judged change by change after the
    flows before it, and what it leaves is in step."""
    from engine.cli import main
    from engine.plan import planfile

    for name, value in integration.environ.items():
        monkeypatch.setenv(name, value)
    assert main(["plan", "--env", "test", "--format", "json", "--out", "plan.json"]) == 2
    stock = next(flow for flow in planfile.read(Path("plan.json")).flows if flow.flow == "stock")
    assert stock.count(Action.create) > 0, "the stock levels do not exist yet when the plan is made"
    capsys.readouterr()
    assert main(["apply", "--env", "test", "--plan", "plan.json"]) == 0, capsys.readouterr()
    assert "mpluskassa-shopify-pos/stock:" in capsys.readouterr().out
    assert main(["plan", "--env", "test", "--flow", "stock"]) == 0, capsys.readouterr().out
    assert main(["apply", "--env", "test", "--plan", "plan.json"]) == 1, "a saved plan is applied once"
    assert "the plan no longer holds" in capsys.readouterr().err
