"""The EasyCashier ⇄ Shopify integration end to end, both sandboxes over loopback HTTP.

EasyCashier is master of stock: a till sale reaches Shopify at the store's linked location; web
orders lower the till's stock once however often Shopify delivers them, cancellations put it back
once, a cancellation of an order never counted changes nothing; sync-all overwrites a drifted
quantity; a till sale made during a run is not lost; an expired token is renewed mid-run; faults
converge with nothing doubled.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors import CONNECTORS
from connectors.easycashier.sandbox import EasyCashierSandbox
from connectors.easycashier.transport import Transport
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.faults import Faults
from connectors.testing.server import running_sandboxes, serving
from engine.cli import main
from engine.plan.model import Action, FlowPlan
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import Workspace, load_workspace
from engine.webhooks.receiver import receiver
from engine.webhooks.worker import EventWorker
from tests.e2e import runs

REPO = Path(__file__).parents[2]
NAME = "easycashier-shopify"
pytestmark = pytest.mark.slow
LOCATIONS = {"1": "warehouse", "3": "store-amsterdam"}  # the Shopify sandbox's locations
# the spec's two Shopify locations, as the sandbox names them: for the stock flows and the web orders' stores alike
RENAMED = {"Kungsholmstorg": LOCATIONS["1"], "Sveavägen": LOCATIONS["3"]}


@dataclass
class Integration:
    shop: ShopifySandbox
    till: EasyCashierSandbox
    environ: dict[str, str]

    def workspace(self) -> Workspace:
        return load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=self.environ)

    def plan(self, flow: str) -> FlowPlan:
        workspace = self.workspace()
        with runner.state_store(workspace) as store:
            return runner.plan(workspace, store, runner.select(workspace, flow)).flows[0]

    def apply(self, flow: str) -> ApplyResult:
        workspace = self.workspace()
        with runner.state_store(workspace) as store:
            [outcome] = runner.sync(workspace, store, runner.select(workspace, flow))
        assert outcome.result is not None
        return outcome.result

    def shopify(self, sku: str, store: str) -> int:
        """Shopify's available quantity of `sku` at the location linked to `store`."""
        shop = self.shop.shop
        return next(q["available"] for (item, loc), q in shop.levels.items()
                    if shop.items[item]["sku"] == sku and shop.locations[loc]["name"] == LOCATIONS[store])  # fmt: skip

    def till_stock(self, sku: str, store: int) -> Decimal:
        return self.till.office.stock(sku, store)


@pytest.fixture
def integration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Integration]:
    spec = (REPO / "specs" / f"{NAME}.yaml").read_text()
    for name, sandbox_name in RENAMED.items():
        assert name in spec, f"the spec links a store to {name}"
        spec = spec.replace(name, sandbox_name)
    runs.test_environment(tmp_path, NAME, spec)
    monkeypatch.chdir(tmp_path)
    with running_sandboxes(CONNECTORS, dict.fromkeys(CONNECTORS, 0)) as started:
        shop, till = started["shopify"], started["easycashier"]
        assert isinstance(shop.sandbox, ShopifySandbox) and isinstance(till.sandbox, EasyCashierSandbox)
        for sku in ("1001", "1002", "1003"):  # the shop sells the till's webshop articles, each SKU an article
            stock = [{"locationId": shop.sandbox.shop.location_named(name), "name": "available", "quantity": 50}
                     for name in LOCATIONS.values()]  # fmt: skip
            variant = {"sku": sku, "price": "129.00", "inventoryQuantities": stock,
                       "optionValues": [{"optionName": "Title", "name": "Default Title"}]}  # fmt: skip
            shop.sandbox.shop.product_set(
                {"customId": {"namespace": "tillsync", "key": "product_number", "value": sku}},
                {"title": f"Article {sku}", "variants": [variant]},
            )
        credentials = till.sandbox.credentials
        environ = {
            "EASYCASHIER_USERNAME": credentials["username"], "EASYCASHIER_PASSWORD": credentials["password"],
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token, "SHOPIFY_WEBHOOK_SECRET": shop.sandbox.webhook_secret,
            "TILLSYNC__SYSTEMS__TILL__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }  # fmt: skip
        yield Integration(shop.sandbox, till.sandbox, environ)


def synced(integration: Integration) -> None:
    result = integration.apply("stock")
    assert result.ok, result.failures


def test_stock_of_two_stores_reaches_their_locations_and_a_till_sale_follows(integration: Integration) -> None:
    first = integration.plan("stock")
    assert {c.key for c in first.changes if c.action is Action.update} >= {("1001", "warehouse"),
                                                                          ("1001", "store-amsterdam")}  # fmt: skip
    assert ("2002", "warehouse") not in {c.key for c in first.changes}, "an article not in the webshop stays out"
    synced(integration)
    assert (integration.shopify("1001", "1"), integration.shopify("1001", "3")) == (12, 4)
    assert integration.shopify("1002", "3") == 0
    integration.till.office.sell("1001", 1, Decimal(2))
    integration.till.office.sell("1002", 1, Decimal(-1))  # a return
    assert integration.apply("stock").counts.get("update") == 2
    assert (integration.shopify("1001", "1"), integration.shopify("1001", "3")) == (10, 4), "only the store that sold"
    assert integration.shopify("1002", "1") == 9
    assert not integration.plan("stock").has_changes


def test_sync_all_overwrites_a_drifted_shopify_quantity(integration: Integration) -> None:
    synced(integration)
    shop = integration.shop.shop
    item = next(i for i, data in shop.items.items() if data["sku"] == "1003")
    shop.inventory_store.adjust(item, shop.location_named("warehouse") or "", 7)  # changed by hand in the admin
    assert integration.shopify("1003", "1") == 12
    plan = integration.plan("sync-all")
    writes = [(c.action, c.key) for c in plan.changes if c.action not in (Action.unchanged, Action.record)]
    assert writes == [(Action.update, ("1003", "warehouse"))], "Shopify holds the rest already"
    assert integration.apply("sync-all").ok
    assert integration.shopify("1003", "1") == 5


def _run_webhooks(integration: Integration, topics: tuple[str, ...], act: Callable[[], None],
                  done: Callable[[], bool]) -> list[dict[str, Any]]:  # fmt: skip
    """Serve the receiver and its worker, subscribe Shopify to `topics`, `act`, and wait until `done`
    and no event is pending; returns the event runs."""
    workspace = integration.workspace()
    with runner.state_store(workspace) as store:
        worker = EventWorker(workspace, store)
        worker.start()
        try:
            with serving(receiver(workspace, store, worker.wake)) as url:
                client = workspace.deployments[NAME].systems["shop"].open(integration.environ)
                for topic in topics:
                    client.subscribe(topic, f"{url}/webhooks/{NAME}/shop")  # type: ignore[attr-defined]
                client.close()
                act()
                deadline = time.monotonic() + 30
                while store.events.pending() or not done():
                    assert time.monotonic() < deadline, "the webhooks did not reach the till"
                    time.sleep(0.05)
        finally:
            worker.stop()
        return [r for r in store.runs.list() if r["kind"] == "event"]


def test_a_web_order_delivered_three_times_lowers_the_till_once_and_its_cancellation_puts_it_back_once(
    integration: Integration,
) -> None:
    shop = integration.shop.shop
    before = integration.till_stock("1001", 3)
    orders: list[str] = []
    events = _run_webhooks(integration, ("orders/create", "orders/updated", "orders/paid"),
                           lambda: orders.append(shop.place_order([("1001", 2)], email="anna@example.se",
                                                                  location=LOCATIONS["3"])),
                           lambda: integration.till_stock("1001", 3) != before)  # fmt: skip
    assert integration.till_stock("1001", 3) == before - 2
    assert len(events) >= 1 and all(r["status"] == "succeeded" for r in events)
    assert integration.apply("web-orders").ok and integration.till_stock("1001", 3) == before - 2, "counted once"
    _run_webhooks(integration, ("orders/cancelled",), lambda: shop.cancel_order(orders[0]),
                  lambda: integration.till_stock("1001", 3) == before)  # fmt: skip
    assert integration.apply("web-orders").ok and integration.till_stock("1001", 3) == before, "put back once"
    assert [c["sign"] for c in integration.till.office.changes] == [-1, 1]


def test_a_cancelled_order_never_counted_changes_nothing(integration: Integration) -> None:
    shop = integration.shop.shop
    order = shop.place_order([("1002", 3)], email="bo@example.se", location=LOCATIONS["3"])
    shop.cancel_order(order)
    before = integration.till_stock("1002", 3)
    result = integration.apply("web-orders")
    assert result.ok and result.counts.get("create") == 1
    assert integration.till_stock("1002", 3) == before and integration.till.office.changes == []
    assert not integration.plan("web-orders").has_changes


def test_web_orders_lower_the_store_linked_to_the_location_shopify_ships_them_from(integration: Integration) -> None:
    shop = integration.shop.shop
    shop.add_location("outlet")  # linked to no store: its orders go to order_store (3)
    before = {store: integration.till_stock("1001", store) for store in (1, 3)}
    shop.place_order([("1001", 1)], email="a@example.se", location=LOCATIONS["1"])
    shop.place_order([("1001", 2)], email="b@example.se", location=LOCATIONS["3"])
    shop.place_order([("1001", 4)], email="c@example.se", location="outlet")
    result = integration.apply("web-orders")
    assert result.ok and result.counts.get("create") == 3
    assert integration.till_stock("1001", 1) == before[1] - 1, "shipped from the warehouse: store 1"
    assert integration.till_stock("1001", 3) == before[3] - 2 - 4, "from store-amsterdam, and from outlet by default"
    assert sorted((c["store"], c["articles"][0][1]) for c in integration.till.office.changes) == [
        (1, Decimal(1)),
        (3, Decimal(2)),
        (3, Decimal(4)),
    ]


def test_a_till_sale_during_a_run_is_not_lost(integration: Integration, monkeypatch: pytest.MonkeyPatch) -> None:
    shop, office = integration.shop.shop, integration.till.office
    shop.place_order([("1001", 1)], email="anna@example.se", location=LOCATIONS["3"])
    before = integration.till_stock("1001", 3)
    call = Transport.call

    def sale_meanwhile(self: Transport, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "decreaseStock":  # after the run read the article, before it changes the stock
            office.sell("1001", 3, Decimal(1))
        return call(self, name, *args, **kwargs)

    monkeypatch.setattr(Transport, "call", sale_meanwhile)
    assert integration.apply("web-orders").ok
    assert integration.till_stock("1001", 3) == before - 2, "both the web order and the till's sale count"


def test_an_expired_token_mid_run_is_renewed_by_logging_in_again(integration: Integration) -> None:
    office = integration.till.office
    listed = office.list_articles
    pages = []

    def expiring(params: Any) -> dict[str, Any]:
        pages.append(params)
        if len(pages) == 1:
            office.expire_tokens()  # the token dies after this page: the next call meets a 401
        return listed(params)

    office.list_articles = expiring  # type: ignore[method-assign]
    office.page_cap = 2  # the articles come in several pages
    shop = integration.shop.shop
    shop.place_order([("1001", 1), ("1003", 1)], email="anna@example.se")
    synced(integration)
    logins = [c for c in integration.till.calls if c == "POST /v1/login"]
    assert len(logins) == 2 and integration.shopify("1003", "1") == 5


@pytest.mark.usefixtures("quick_retries")
def test_faults_converge_with_nothing_doubled(integration: Integration) -> None:
    shop, till = integration.shop.shop, integration.till
    before = {sku: integration.till_stock(sku, 3) for sku in ("1001", "1002")}
    for n in range(6):
        shop.place_order([("1001", 1), ("1002", 2)] if n % 2 else [("1001", 1)], email=f"s{n}@example.se",
                         location=LOCATIONS["3"])  # fmt: skip
    till.faults = Faults(rates={"500": 0.15, "429": 0.05, "drop": 0.1, "lost": 0.2},
                         slow_seconds=0.5, seed=7, retry_after=runs.QUICK)  # fmt: skip
    for _ in range(8):
        result = integration.apply("web-orders")
        if result.ok:
            break
    till.faults = Faults()
    assert integration.apply("web-orders").ok
    assert "lost" in till.app.injected, "the run met lost answers; the test proves something"
    assert integration.till_stock("1001", 3) == before["1001"] - 6
    assert integration.till_stock("1002", 3) == before["1002"] - 6


KILLED_AFTER_SENDING = """
import os, signal, sys
import engine.run.apply
from engine.cli import main

def checkpoint(step):
    if step == "written":  # the till booked the change; nothing of it is recorded yet
        os.kill(os.getpid(), signal.SIGKILL)

engine.run.apply.checkpoint = checkpoint
sys.exit(main(["apply", "--env", "test", "--yes", "--flow", "easycashier-shopify/web-orders"]))
"""


def _killed_after_sending(integration: Integration) -> None:
    environ = {**integration.environ, "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_SENDING], cwd=Path.cwd(), env=environ,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr


def test_a_run_killed_between_sending_a_web_order_and_recording_it_counts_it_once(integration: Integration) -> None:
    office = integration.till.office
    integration.shop.shop.place_order([("1001", 2)], email="anna@example.se", location=LOCATIONS["3"])
    before = integration.till_stock("1001", 3)
    _killed_after_sending(integration)
    assert integration.till_stock("1001", 3) == before - 2 and len(office.changes) == 1, "the till booked it"
    office.sell("1001", 3, Decimal(1))  # the till sells on meanwhile: no sign of the order either way
    rerun = integration.apply("web-orders")
    assert rerun.ok and rerun.recovered == 1, rerun.failures
    assert integration.till_stock("1001", 3) == before - 3 and len(office.changes) == 1, "counted once"
    assert not integration.plan("web-orders").has_changes


def test_a_killed_run_whose_web_order_cannot_be_told_is_held_for_a_person(integration: Integration) -> None:
    office, shop = integration.till.office, integration.shop.shop
    name = shop.orders[shop.place_order([("1001", 2)], email="anna@example.se", location=LOCATIONS["3"])]["name"]
    before = integration.till_stock("1001", 3)
    _killed_after_sending(integration)
    office.change_stock({"storeNumber": 3, "articles": [{"articleNumber": "1001", "quantity": 5}]}, 1)  # goods in
    for _ in range(2):  # held, run after run: never sent again blindly
        result = integration.apply("web-orders")
        assert result.counts["held"] == 1 and result.counts["create"] == 0 and not result.failures, result.counts
        [held] = [change for change in integration.plan("web-orders").changes if change.action is Action.held]
        assert held.key == (name,) and "tillsync retry --flow easycashier-shopify/web-orders" in held.reason
        assert integration.till_stock("1001", 3) == before - 2 + 5 and len(office.changes) == 2
    office.set_stock("1001", 3, before + 5)  # a person puts the till right as if the order had not been sent
    workspace = integration.workspace()
    with runner.state_store(workspace) as store:
        [letter] = store.dead_letters.open(NAME, "web-orders")
        assert "moved 1001 by +3, where the change was 1001 by -2" in letter.reason, letter.reason
        [outcome] = runner.retry(workspace, store, runner.select(workspace, f"{NAME}/web-orders"))
    assert outcome.result is not None and outcome.result.ok, outcome
    assert integration.till_stock("1001", 3) == before + 5 - 2, "sent once, after the person released it"


def _decrease_answer(monkeypatch: pytest.MonkeyPatch, integration: Integration, fault: str,
                     meanwhile: Callable[[], None] = lambda: None) -> None:  # fmt: skip
    """The till's next decrease gets `fault` (its answer lost after it ran, or a server error before),
    `meanwhile` happening at the till just before it; once, then the till answers as usual."""
    call = Transport.call
    faulted: list[str] = []

    def faulty(self: Transport, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "decreaseStock" and not faulted:
            faulted.append(name)
            meanwhile()
            integration.till.faults = Faults(script=[fault])
        return call(self, name, *args, **kwargs)

    monkeypatch.setattr(Transport, "call", faulty)


def test_a_web_order_whose_answer_is_lost_after_the_till_booked_it_counts_once(
    integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = integration.till.office
    integration.shop.shop.place_order([("1001", 2)], email="anna@example.se", location=LOCATIONS["3"])
    before = integration.till_stock("1001", 3)
    _decrease_answer(monkeypatch, integration, "lost")
    result = integration.apply("web-orders")
    assert integration.till.app.injected == ["lost"], "the till booked it and its answer was lost"
    assert result.ok and result.counts["create"] == 1, result.failures
    assert integration.till_stock("1001", 3) == before - 2 and len(office.changes) == 1, "counted once"
    assert not integration.plan("web-orders").has_changes, "recorded as applied"


def test_a_web_order_whose_answer_is_lost_before_the_till_booked_it_is_sent_once_more(
    integration: Integration, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = integration.till.office
    integration.shop.shop.place_order([("1001", 2)], email="anna@example.se", location=LOCATIONS["3"])
    before = integration.till_stock("1001", 3)
    _decrease_answer(monkeypatch, integration, "500")
    result = integration.apply("web-orders")
    assert integration.till.app.injected == ["500"], "the till answered a server error and booked nothing"
    assert result.ok and result.counts["create"] == 1, result.failures
    assert integration.till_stock("1001", 3) == before - 2 and len(office.changes) == 1, "sent once more, counted once"
    assert not integration.plan("web-orders").has_changes


def test_a_lost_answer_the_till_cannot_tell_is_held_shown_held_and_sent_once_on_retry(
    integration: Integration, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    office, shop = integration.till.office, integration.shop.shop
    name = shop.orders[shop.place_order([("1001", 2)], email="anna@example.se", location=LOCATIONS["3"])]["name"]
    before = integration.till_stock("1001", 3)
    goods_in = {"storeNumber": 3, "articles": [{"articleNumber": "1001", "quantity": 5}]}
    _decrease_answer(monkeypatch, integration, "lost", lambda: office.change_stock(goods_in, 1))
    first = integration.apply("web-orders")
    [(key, reason)] = first.failures
    assert key == (name,) and reason.startswith("held: ")
    assert "moved 1001 by +3, where the change was 1001 by -2" in reason, reason
    assert integration.till_stock("1001", 3) == before + 5 - 2 and len(office.changes) == 2, "sent once"
    flow = f"{NAME}/web-orders"
    for variable, value in integration.environ.items():  # the command line, as a person runs it
        monkeypatch.setenv(variable, value)
    assert main(["plan", "--env", "test", "--flow", flow]) == 2, "something for a person to see"
    shown = capsys.readouterr().out
    assert f"? held {name}: " in shown and f"`tillsync retry --flow {flow}`" in shown, shown
    assert "1 held" in shown and "to create" not in shown, shown
    again = integration.apply("web-orders")
    assert again.counts["held"] == 1 and again.counts["create"] == 0, again.counts
    assert len(office.changes) == 2, "a second run does not send it"
    office.set_stock("1001", 3, before + 5)  # a person puts the till right as if the order had not been sent
    assert main(["retry", "--env", "test", "--flow", flow]) == 0
    assert integration.till_stock("1001", 3) == before + 5 - 2 and len(office.changes) == 3, "retry sends it once"
    assert not integration.plan("web-orders").has_changes


def test_an_order_shipped_from_two_locations_lowers_each_linked_store_by_its_lines(integration: Integration) -> None:
    shop, office = integration.shop.shop, integration.till.office
    before = {(sku, store): integration.till_stock(sku, store) for sku in ("1001", "1002") for store in (1, 3)}
    order = shop.place_order([("1001", 2, LOCATIONS["1"]), ("1002", 1, LOCATIONS["3"]), ("1001", 1, LOCATIONS["3"])],
                             email="anna@example.se", location=LOCATIONS["1"])  # fmt: skip
    assert len(shop.orders[order]["fulfillmentOrders"]) == 2, "Shopify ships it from two locations"
    result = integration.apply("web-orders")
    assert result.ok and result.counts["create"] == 1, result.failures
    assert integration.till_stock("1001", 1) == before[("1001", 1)] - 2
    assert integration.till_stock("1001", 3) == before[("1001", 3)] - 1
    assert integration.till_stock("1002", 3) == before[("1002", 3)] - 1
    assert integration.till_stock("1002", 1) == before[("1002", 1)]
    assert sorted((c["store"], c["sign"]) for c in office.changes) == [(1, -1), (3, -1)], "one change per store"
    shop.cancel_order(order)
    assert integration.apply("web-orders").ok
    assert {key: integration.till_stock(*key) for key in before} == before, "its cancellation puts each back"
