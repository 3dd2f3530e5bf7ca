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
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench import Figures
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
SKUS = ("1001", "1002", "1003")
LOCATIONS = {"1": "warehouse", "3": "store-amsterdam"}


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(SALES * scale), 5)
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
    latencies.sort()
    return {
        "easycashier_latency": {
            "sales": count, "interval_s": interval, "runs": len(runs),
            "run_p50_s": round(statistics.median(runs), 3),
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 3),
            "max_s": round(latencies[-1], 3),
            "note": f"{count} till sales at random, one every {MEAN_GAP_S:g} s on average (simulated); the stock "
            f"flow on its default schedule (every {interval:g} s), each run real over loopback HTTP; from the sale "
            "to Shopify's available quantity at the store's location changing",
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


def _available(shop: ShopifySandbox, sku: str, location: str) -> int:
    levels = shop.shop.levels
    return next(q["available"] for (item, loc), q in levels.items()
                if shop.shop.items[item]["sku"] == sku and shop.shop.locations[loc]["name"] == location)  # fmt: skip
