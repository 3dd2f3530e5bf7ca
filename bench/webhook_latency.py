"""A paid Shopify order, from its webhook to the stock it reserves in MplusKASSA.

Both sandboxes run over loopback HTTP in real time (no virtual clock here: latency is the figure).
The integration is `specs/mpluskassa-shopify-pos.yaml` with its catalogue synced; then
`tillsync webhooks serve` (the receiver with its event worker) takes Shopify's `orders/paid`
webhooks while shoppers pay 100 orders, arriving at random at an average rate. An order's latency
runs from the moment Shopify records it paid (and queues the webhook) until the till holds the
order, which books it and reserves its stock in one call.
"""

from __future__ import annotations

import math
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench import Figures
from connectors import CONNECTORS
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import RunningSandbox, running_sandboxes, serving
from engine.run import runner
from engine.run.workspace import Workspace, load_workspace
from engine.webhooks.receiver import receiver
from engine.webhooks.worker import EventWorker

ORDERS = 100
RATE = 2.0  # orders per second, on average
INTEGRATION = "mpluskassa-shopify-pos"
SPEC = Path(__file__).parents[1] / "specs" / f"{INTEGRATION}.yaml"
SKUS = ("1001", "1002", "1003", "2000")  # the sandbox till's catalogue


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(ORDERS * scale), 5)
    with (
        tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder,
        running_sandboxes(
            {n: CONNECTORS[n] for n in ("shopify", "mpluskassa")}, {"shopify": 0, "mpluskassa": 0}
        ) as started,
    ):
        shop, till = started["shopify"], started["mpluskassa"]
        workspace = _workspace(Path(folder), shop, till)
        _sync_catalogue(workspace)
        assert isinstance(shop.sandbox, ShopifySandbox) and isinstance(till.sandbox, MplusSandbox)
        placed, booked = _pay_orders(workspace, shop.sandbox, till.sandbox, count)
    latencies = sorted(booked[name] - placed[name] for name in placed)
    return {
        "webhook_latency": {
            "orders": count, "arrival_rate_per_s": RATE,
            "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(_percentile(latencies, 0.95), 3),
            "max_s": round(latencies[-1], 3),
            "note": f"real time over loopback HTTP; {count} paid orders arriving at random, {RATE:g} a second on "
            "average; from Shopify recording the payment to MplusKASSA holding the order and its reserved stock",
        }
    }  # fmt: skip


def _workspace(root: Path, shop: RunningSandbox, till: RunningSandbox) -> Workspace:
    (root / "specs").mkdir()
    (root / "environments").mkdir()
    shutil.copy(SPEC, root / "specs")
    (root / "environments" / "bench.yaml").write_text(
        f"name: bench\nintegrations:\n  {INTEGRATION}:\n    spec: specs/{SPEC.name}\n"
    )
    environ = {
        "MPLUS_IDENT": till.credentials["ident"], "MPLUS_SECRET": till.credentials["secret"],
        "SHOPIFY_ACCESS_TOKEN": shop.credentials["access_token"],
        "SHOPIFY_WEBHOOK_SECRET": shop.credentials["webhook_secret"],
        "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
    }  # fmt: skip
    return load_workspace(root, "bench", connectors=CONNECTORS, environ=environ)


def _sync_catalogue(workspace: Workspace) -> None:
    with runner.state_store(workspace) as store:
        for flow in ("categories", "products", "stock", "customers"):
            [outcome] = runner.sync(workspace, store, runner.select(workspace, flow))
            if outcome.result is None or not outcome.result.ok:
                raise RuntimeError(f"the benchmark's catalogue sync failed: {outcome}")


def _pay_orders(
    workspace: Workspace, shop: ShopifySandbox, till: MplusSandbox, count: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Place `count` paid orders while the receiver and its worker run; (placed, booked) times by order name."""
    placed: dict[str, float] = {}
    booked: dict[str, float] = {}
    chance = random.Random(5)
    with runner.state_store(workspace) as store:
        worker = EventWorker(workspace, store)
        worker.start()
        try:
            with serving(receiver(workspace, store, worker.wake)) as url:
                client = workspace.deployments[INTEGRATION].systems["shop"].open(workspace.environ)
                assert isinstance(client, ShopifyClient)
                client.subscribe("orders/paid", f"{url}/webhooks/{INTEGRATION}/shop")
                client.close()
                watcher = _Watcher(till, booked)
                watcher.start()
                for _ in range(count):
                    time.sleep(chance.expovariate(RATE))
                    order = shop.shop.place_order(
                        [(chance.choice(SKUS), chance.randint(1, 2))], email="j.jansen@example.com", gateway="ideal"
                    )
                    placed[shop.shop.orders[order]["name"]] = time.monotonic()
                watcher.wait_for(set(placed), timeout=60)
        finally:
            worker.stop()
    return placed, booked


class _Watcher(threading.Thread):
    """Notes when each order first shows up in the till, looking every 5 ms."""

    def __init__(self, till: MplusSandbox, booked: dict[str, float]) -> None:
        super().__init__(name="bench-watcher", daemon=True)
        self.till, self.booked = till, booked
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            now = time.monotonic()
            for order in list(self.till.till.orders.values()):
                name = order.get("extOrderId")
                if name and name not in self.booked:
                    self.booked[name] = now
            time.sleep(0.005)

    def wait_for(self, names: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not names <= set(self.booked):
            if time.monotonic() > deadline:
                self.done.set()
                missing = sorted(names - set(self.booked))
                raise RuntimeError(f"{len(missing)} orders never reached the till, e.g. {missing[:3]}")
            time.sleep(0.05)
        self.done.set()


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted `values`."""
    return values[max(math.ceil(share * len(values)) - 1, 0)]
