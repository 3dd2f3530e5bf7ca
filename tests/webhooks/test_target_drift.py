"""A flow with `reconcile` keeps its view of the target current from the target's webhooks: a stock
level edited in Shopify outside Tillsync, reported by `inventory_levels/update`, is read again by the
next plan without a reconciliation and put right at once by the event worker; Tillsync's own writes,
reported the same way, write nothing more; an edit nobody reports waits for the next reconciliation.

The ERP's export (`files`) is the source, the Shopify sandbox the target, served over loopback HTTP,
with the receiver taking the sandbox's own deliveries."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from connectors import CONNECTORS
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.webhooks import sign
from connectors.testing.server import serving
from engine.plan.model import FlowPlan
from engine.run import runner
from engine.run.runner import FlowOutcome
from engine.run.workspace import Workspace, load_workspace
from engine.state import StateStore
from engine.webhooks.events import run_events
from engine.webhooks.receiver import receiver
from engine.webhooks.worker import EventWorker
from tests.webhooks.receiving import REPO

SPEC = """\
version: 1
name: stock-sync
systems:
  erp: {connector: files, settings: {path: erp}}
  shop:
    connector: shopify
    settings: {url: "http://127.0.0.1:9"}
    credentials: {access_token: env:SHOP_TOKEN, webhook_secret: env:SHOP_WEBHOOK_SECRET}
flows:
  stock:
    entity: stock
    from: erp
    to: shop
    reconcile: 1d
    trigger: {webhook: true}
    settings:
      stock_formula: max(on_hand - reserved, 0)
      location_map: {"1": warehouse, "2": store-amsterdam}
"""
EXPORT = {("1001", "1"): (5, 1), ("1001", "2"): (3, 0), ("1002", "1"): (8, 0), ("1002", "2"): (0, 0)}
EDITED = ("1001", "warehouse")  # as the plan keys it: SKU and Shopify location
IN_STEP = {("1001", "warehouse"): 4, ("1001", "store-amsterdam"): 3, ("1002", "warehouse"): 8,
           ("1002", "store-amsterdam"): 0}  # fmt: skip


@dataclass
class Drift:
    """The synced integration, its shop, the receiver's address and the state store."""

    workspace: Workspace
    sandbox: ShopifySandbox
    receiver_url: str
    store: StateStore

    def levels(self) -> dict[tuple[str, str], int]:
        shop = self.sandbox.shop
        names = {lid: loc["name"] for lid, loc in shop.locations.items()}
        return {(shop.items[item]["sku"], names[loc]): q["available"] for (item, loc), q in shop.levels.items()}

    def edit_in_shop(self, key: tuple[str, str], quantity: int) -> None:
        """A merchant sets a level in Shopify's admin; Shopify reports it to subscribers."""
        shop = self.sandbox.shop
        item = next(i for i, it in shop.items.items() if it["sku"] == key[0])
        change = {"inventoryItemId": item, "locationId": shop.location_named(key[1]), "quantity": quantity,
                  "changeFromQuantity": None}  # fmt: skip
        assert shop.set_quantities({"name": "available", "reason": "correction", "quantities": [change]})[1] == []
        self.sandbox.webhooks.wait_idle()

    def subscribe(self) -> None:
        client = self.workspace.deployments["stock-sync"].systems["shop"].open(self.workspace.environ)
        assert isinstance(client, ShopifyClient)
        client.subscribe("inventory_levels/update", self.receiver_url)
        client.close()

    def plan(self, *, full: bool = False) -> FlowPlan:
        [flow] = runner.plan(self.workspace, self.store, runner.select(self.workspace), full=full).flows
        return flow

    def level_events(self) -> int:
        return sum(1 for topic, _ in self.sandbox.shop.events if topic == "inventory_levels/update")


@pytest.fixture
def drift(tmp_path: Path) -> Iterator[Drift]:
    with synced(tmp_path) as running:
        yield running


@contextmanager
def synced(root: Path, *, worker: bool = False, spec: str = SPEC) -> Iterator[Drift]:
    for folder in ("specs", "environments", "erp"):
        (root / folder).mkdir()
    (root / "specs" / "stock-sync.yaml").write_text(spec)
    (root / "environments" / "test.yaml").write_text("name: test\nintegrations:\n  stock-sync:\n"
                                                     "    spec: specs/stock-sync.yaml\n")  # fmt: skip
    rows = "".join(f"{sku},{loc},{on_hand},{reserved}\n" for (sku, loc), (on_hand, reserved) in EXPORT.items())
    (root / "erp" / "stock.csv").write_text("sku,location,on_hand,reserved\n" + rows)
    sandbox = ShopifySandbox()
    for name in ("warehouse", "store-amsterdam"):
        sandbox.shop.add_location(name)
    for sku in ("1001", "1002"):
        variant = {"sku": sku, "price": "9.95", "optionValues": [{"optionName": "Title", "name": "Default Title"}]}
        sandbox.shop.product_set(None, {"title": f"Article {sku}", "variants": [variant]})
    with serving(sandbox) as shop_url:
        environ = {"SHOP_TOKEN": sandbox.token, "SHOP_WEBHOOK_SECRET": sandbox.webhook_secret,
                   "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop_url,
                   "TILLSYNC__SYSTEMS__ERP__SETTINGS__PATH": str(root / "erp")}  # fmt: skip
        workspace = load_workspace(root, "test", connectors=CONNECTORS, environ=environ)
        with runner.state_store(workspace) as store:
            [first] = runner.sync(workspace, store, runner.select(workspace))
            assert first.result is not None and first.result.ok and first.plan is not None and first.plan.reconciled
            events_worker = EventWorker(workspace, store) if worker else None
            with serving(receiver(workspace, store, events_worker.wake if events_worker else None)) as url:
                if events_worker:
                    events_worker.start()
                try:
                    yield Drift(workspace, sandbox, f"{url}/webhooks/stock-sync/shop", store)
                finally:
                    if events_worker:
                        events_worker.stop()


def test_a_target_edit_a_webhook_reports_is_found_by_the_next_plan_record_by_record(drift: Drift) -> None:
    assert drift.levels() == IN_STEP
    drift.subscribe()
    drift.edit_in_shop(EDITED, 40)
    [event] = drift.store.events.pending()
    assert (event.topic, event.flows, event.keys) == ("inventory_levels/update", ["stock"], [])
    flow = drift.plan()
    assert not flow.reconciled, "found without reading the whole shop"
    by_action = {change.key: change.action.value for change in flow.changes}
    assert by_action == {EDITED: "update", **{key: "unchanged" for key in IN_STEP if key != EDITED}}
    [change] = [change for change in flow.changes if change.key == EDITED]
    [field] = change.fields
    assert (field.field, field.before, field.after) == ("available", "40", "4")
    assert field.reason == "overwrites a change made in shop"
    assert _updates(run_events(drift.workspace, drift.store)) == [1]
    assert drift.levels() == IN_STEP
    drift.sandbox.webhooks.wait_idle()
    [echo] = drift.store.events.pending()  # Tillsync's own write, reported back
    assert echo.refs == event.refs
    assert _updates(run_events(drift.workspace, drift.store)) == [0], "read again, found as applied: nothing written"
    drift.sandbox.webhooks.wait_idle()
    assert drift.store.events.pending() == [] and drift.levels() == IN_STEP


def test_an_edit_nobody_reports_is_found_at_the_next_reconciliation(drift: Drift) -> None:
    drift.edit_in_shop(EDITED, 40)  # no subscription: no webhook
    assert drift.store.events.pending() == []
    assert {change.action.value for change in drift.plan().changes} == {"unchanged"}, "not read in between"
    full = drift.plan(full=True)
    assert full.reconciled and [c.key for c in full.changes if c.action.value == "update"] == [EDITED]


def test_the_event_worker_puts_a_reported_edit_right_at_once_and_its_own_write_comes_back_to_nothing(
    tmp_path: Path,
) -> None:
    with synced(tmp_path, worker=True) as drift:
        drift.subscribe()
        before, delivered = drift.level_events(), len(drift.sandbox.webhooks.deliveries)
        drift.edit_in_shop(EDITED, 40)
        _wait(lambda: drift.levels() == IN_STEP, "the worker to put the edited level back")
        # Tillsync's write is reported too: the worker reads that level again, finds it as applied, writes nothing
        _wait(lambda: len(drift.sandbox.webhooks.deliveries) - delivered == 2 and not drift.store.events.pending(),
              "Tillsync's own write to come back, be stored and be run")  # fmt: skip
        drift.sandbox.webhooks.wait_idle()  # the worker writes only for pending events: none are left, none are coming
        assert drift.level_events() - before == 2, "the edit and its one correction; nothing written again"
        assert drift.levels() == IN_STEP and drift.store.events.pending() == []


@pytest.mark.parametrize(
    ("fixture", "refs"),
    [
        # Shopify's example: the number in `inventory_item_id` was rounded by a double-reading scraper;
        # the level's GraphQL id keeps it exact
        ("shopify-docs/2024-04--inventory_levels--update.json",
         [["gid://shopify/InventoryItem/271878346596884015", "gid://shopify/Location/24826418"]]),
        ("anonymized-real/2025-04-inventory_levels-1.json",
         [["gid://shopify/InventoryItem/123", "gid://shopify/Location/123"]]),
    ],
)  # fmt: skip
def test_shopifys_own_level_deliveries_are_stored_for_the_flow_whose_target_sent_them(
    drift: Drift, fixture: str, refs: list[list[str]]
) -> None:
    raw = json.loads((REPO / "tests" / "fixtures" / "shopify-webhooks" / fixture).read_text())
    body = json.dumps(raw.get("response", raw), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": "inventory_levels/update",
               "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
               "X-Shopify-Hmac-Sha256": sign(drift.sandbox.webhook_secret, body)}  # fmt: skip
    answer = httpx.post(drift.receiver_url, content=body, headers=headers, timeout=10)
    assert answer.json() == {"status": "stored", "flows": ["stock"]}
    [event] = drift.store.events.pending()
    assert event.refs == refs
    flow = drift.plan()  # ids the shop does not hold name no record: nothing more is read or changed
    assert {change.action.value for change in flow.changes} == {"unchanged"}


def test_a_flow_that_reads_its_target_whole_every_run_is_not_run_for_its_targets_webhooks(tmp_path: Path) -> None:
    with synced(tmp_path, spec=SPEC.replace("    reconcile: 1d\n", "")) as drift:
        drift.subscribe()
        drift.edit_in_shop(EDITED, 40)
        assert [d.status for d in drift.sandbox.webhooks.deliveries] == [200]
        assert drift.store.events.pending() == [], "acknowledged, not stored: its next run reads the whole shop"
        assert [c.key for c in drift.plan().changes if c.action.value == "update"] == [EDITED]


def _updates(outcomes: Mapping[tuple[str, str], FlowOutcome]) -> list[int]:
    return [outcome.result.counts["update"] + outcome.result.counts["create"] for outcome in outcomes.values()
            if outcome.result is not None]  # fmt: skip


def _wait(done: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
