"""A sale at the EasyCashier till, until Shopify's available quantity at the store's location shows it.

EasyCashier sends no webhooks, so the till's stock reaches Shopify by polling: the stock flow of
`specs/easycashier-shopify.yaml` runs on its schedule, every minute by default, and each run reads
every webshop article's stock and writes what differs. A sale waits for the next run, then for
that run to write it: latency = time to the next tick (at most the interval) + the run's duration.
So the schedule drives it: p50 is about half the interval plus a run, p95 and max just under the
interval plus a run; a run every 2 minutes doubles them.

Sales arrive at random over simulated minutes (the wait for the next tick is counted, not slept);
every run is real, over loopback HTTP against both sandboxes, and its duration is measured. Each
sale's level is checked in Shopify after the run that carries it.

The other way, a web order to the till's stock, is pushed, not polled: Shopify sends
`orders/create` to the webhook receiver (`tillsync webhooks serve`), which stores the event and
wakes its event worker; the worker runs the web-orders flow for the orders the event names, and
that run lowers the store's stock in one decrease call. Shoppers place orders at random in real
time; an order's latency runs from Shopify recording it (and queueing the webhook) to the till
booking the decrease that names it. The flow's schedule (every 10 minutes) only sweeps up what a
lost webhook left behind; it does not drive this figure.
"""

from __future__ import annotations

import math
import random
import shutil
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from bench import Figures
from bench.webhooks_running import webhooks_served
from connectors import CONNECTORS
from connectors.easycashier.sandbox import EasyCashierSandbox
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import RunningSandbox, running_sandboxes
from engine.run import runner
from engine.run.workspace import Workspace, load_workspace
from engine.state import StateStore

INTEGRATION = "easycashier-shopify"
SPEC = Path(__file__).parents[1] / "specs" / f"{INTEGRATION}.yaml"
SALES = 120
MEAN_GAP_S = 10.0  # seconds between sales, on average (simulated)
INTERVALS = {"* * * * *": 60.0, "*/2 * * * *": 120.0, "*/5 * * * *": 300.0}  # schedules the note can name
WEB_ORDERS = 40
WEB_ORDER_RATE = 2.0  # web orders per second, on average (real time)
SKUS = ("1001", "1002", "1003")
LOCATIONS = {"1": "warehouse", "3": "store-amsterdam"}


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(SALES * scale), 5)
    orders = max(int(WEB_ORDERS * scale), 5)
    with (
        tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder,
        running_sandboxes(CONNECTORS, dict.fromkeys(CONNECTORS, 0)) as started,
    ):
        shop, till = started["shopify"], started["easycashier"]
        assert isinstance(shop.sandbox, ShopifySandbox) and isinstance(till.sandbox, EasyCashierSandbox)
        workspace = _workspace(Path(folder), shop, till)
        schedule = workspace.deployments[INTEGRATION].flow("stock").trigger
        interval = INTERVALS[schedule.schedule if schedule and schedule.schedule else "* * * * *"]
        latencies, runs = _stream(workspace, shop.sandbox, till.sandbox, count, interval)
        web = sorted(_web_orders(workspace, shop.sandbox, till.sandbox, orders))
    latencies.sort()
    return {
        "easycashier_latency": {
            "sales": count, "interval_s": interval, "runs": len(runs),
            "run_p50_s": round(statistics.median(runs), 3),
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 3),
            "max_s": round(latencies[-1], 3),
            "web_orders": orders,
            "web_order_p50_s": round(statistics.median(web), 3),
            "web_order_p95_s": round(_percentile(web, 0.95), 3),
            "web_order_max_s": round(web[-1], 3),
            "note": f"{count} till sales at random, one every {MEAN_GAP_S:g} s on average (simulated); the stock "
            f"flow on its default schedule (every {interval:g} s), each run real over loopback HTTP; from the sale "
            f"to Shopify's available quantity at the store's location changing. The other way: {orders} web orders "
            f"placed at random, {WEB_ORDER_RATE:g} a second on average (real time), each from Shopify recording it "
            "to the till booking its stock decrease, driven by the orders/create webhook and the event worker",
        }
    }  # fmt: skip


def _workspace(root: Path, shop: RunningSandbox, till: RunningSandbox) -> Workspace:
    (root / "specs").mkdir()
    (root / "environments").mkdir()
    shutil.copy(SPEC, root / "specs")
    maps = '{"1": warehouse, "3": store-amsterdam}'
    (root / "environments" / "bench.yaml").write_text(
        f"name: bench\nintegrations:\n  {INTEGRATION}:\n    spec: specs/{SPEC.name}\n"
        f"    flows:\n      stock: {{settings: {{location_map: {maps}}}}}\n"
    )
    for sku in SKUS:  # the shop sells the till's webshop articles
        stock = [{"locationId": shop.sandbox.shop.location_named(name), "name": "available", "quantity": 0}  # type: ignore[attr-defined]
                 for name in LOCATIONS.values()]  # fmt: skip
        variant = {"sku": sku, "price": "129.00", "inventoryQuantities": stock,
                   "optionValues": [{"optionName": "Title", "name": "Default Title"}]}  # fmt: skip
        shop.sandbox.shop.product_set(  # type: ignore[attr-defined]
            {"customId": {"namespace": "tillsync", "key": "product_number", "value": sku}},
            {"title": f"Article {sku}", "variants": [variant]},
        )
    environ = {
        "EASYCASHIER_USERNAME": till.credentials["username"], "EASYCASHIER_PASSWORD": till.credentials["password"],
        "SHOPIFY_ACCESS_TOKEN": shop.credentials["access_token"],
        "SHOPIFY_WEBHOOK_SECRET": shop.credentials["webhook_secret"],
        "TILLSYNC__SYSTEMS__TILL__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
    }  # fmt: skip
    return load_workspace(root, "bench", connectors=CONNECTORS, environ=environ)


def _stream(
    workspace: Workspace, shop: ShopifySandbox, till: EasyCashierSandbox, count: int, interval: float
) -> tuple[list[float], list[float]]:
    """Ring up `count` sales between scheduled runs; each sale's latency, and each run's duration."""
    chance = random.Random(21)
    office = till.office
    for sku in SKUS:  # enough in stock that the sellable quantity changes with every sale
        for number in (1, 3):
            office.set_stock(sku, number, Decimal(10_000))
    moments, at = [], 0.0
    for _ in range(count):
        at += chance.expovariate(1 / MEAN_GAP_S)
        moments.append(at)
    latencies: list[float] = []
    runs: list[float] = []
    with runner.state_store(workspace) as store:
        _run(workspace, store)  # switched on: the first run sends every level
        tick, pending = 0.0, list(moments)
        while pending:
            tick += interval
            batch = [moment for moment in pending if moment < tick]
            pending = pending[len(batch) :]
            sold = []
            for _ in batch:
                sku, shop_store = chance.choice(SKUS), chance.choice(("1", "3"))
                office.sell(sku, int(shop_store), Decimal(chance.randint(1, 3)))
                sold.append((sku, shop_store))
            took = _run(workspace, store)
            runs.append(took)
            for moment, (sku, shop_store) in zip(batch, sold, strict=True):
                if _available(shop, sku, LOCATIONS[shop_store]) != office.stock(sku, int(shop_store)):
                    raise RuntimeError(f"the run did not bring {sku} at store {shop_store} to Shopify")
                latencies.append(tick - moment + took)
    return latencies, runs


def _run(workspace: Workspace, store: StateStore) -> float:
    started = time.perf_counter()
    [outcome] = runner.sync(workspace, store, runner.select(workspace, f"{INTEGRATION}/stock"))
    if outcome.result is None or not outcome.result.ok:
        raise RuntimeError(f"the benchmark's stock run failed: {outcome}")
    return time.perf_counter() - started


def _web_orders(workspace: Workspace, shop: ShopifySandbox, till: EasyCashierSandbox, count: int) -> list[float]:
    """Place `count` web orders while the receiver and its worker run; each one's seconds from Shopify
    recording it to the till booking the decrease that names it."""
    chance = random.Random(22)
    placed: dict[str, float] = {}
    booked: dict[str, float] = {}
    with webhooks_served(workspace, INTEGRATION, "orders/create"):
        watcher = _Bookings(till, booked)
        watcher.start()
        try:
            for _ in range(count):
                time.sleep(chance.expovariate(WEB_ORDER_RATE))
                order = shop.shop.place_order([(chance.choice(SKUS), chance.randint(1, 2))],
                                              email="kund@example.se")  # fmt: skip
                placed[shop.shop.orders[order]["name"]] = time.monotonic()
            deadline = time.monotonic() + 60
            while not set(placed) <= set(booked):
                if time.monotonic() > deadline:
                    missing = sorted(set(placed) - set(booked))
                    raise RuntimeError(f"{len(missing)} web orders never reached the till, e.g. {missing[:3]}")
                time.sleep(0.05)
        finally:
            watcher.done.set()
    return [booked[name] - placed[name] for name in placed]


class _Bookings(threading.Thread):
    """Notes when the till first books a stock change naming each order (in its comment), looking every 5 ms."""

    def __init__(self, till: EasyCashierSandbox, booked: dict[str, float]) -> None:
        super().__init__(name="bench-bookings", daemon=True)
        self.till, self.booked = till, booked
        self.done = threading.Event()

    def run(self) -> None:
        seen = 0
        while not self.done.is_set():
            now = time.monotonic()
            changes = list(self.till.office.changes)
            for change in changes[seen:]:
                name = str(change.get("comment") or "").rpartition(" ")[2]
                self.booked.setdefault(name, now)
            seen = len(changes)
            time.sleep(0.005)


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted `values`."""
    return values[max(math.ceil(share * len(values)) - 1, 0)]


def _available(shop: ShopifySandbox, sku: str, location: str) -> int:
    levels = shop.shop.levels
    return next(q["available"] for (item, loc), q in levels.items()
                if shop.shop.items[item]["sku"] == sku and shop.shop.locations[loc]["name"] == location)  # fmt: skip
