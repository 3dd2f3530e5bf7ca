"""Paid Shopify orders, from their webhook to the till: the machinery `webhook_latency` and
`webhook_load` share.

Both sandboxes run over loopback HTTP in real time (no virtual clock: latency is the figure). The
integration is `specs/mpluskassa-shopify-pos.yaml` with its catalogue synced; then `tillsync
webhooks serve` (the receiver with its event worker) takes Shopify's `orders/paid` webhooks while
shoppers pay orders arriving at random at an average rate. An order's latency runs from the moment
Shopify records it paid (and queues the webhook) until the till holds the order, which books it and
reserves its stock in one call. The sandbox shop sends its deliveries one after another, as they
come, and notes how long the receiver took to answer each.
"""

from __future__ import annotations

import math
import random
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.webhooks_running import webhooks_served
from connectors import CONNECTORS
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.shopify.cost import PLANS, Bucket
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import RunningSandbox, running_sandboxes
from engine.run import runner
from engine.run.workspace import Workspace, load_workspace

INTEGRATION = "mpluskassa-shopify-pos"
SPEC = Path(__file__).parents[1] / "specs" / f"{INTEGRATION}.yaml"
SKUS = ("1001", "1002", "1003", "2000")  # the sandbox till's catalogue
TOPIC = "orders/paid"


@dataclass(frozen=True)
class Paid:
    """What became of the orders paid: when each was placed and first seen in the till, how often
    the till holds each, and how long the receiver took to answer each delivery."""

    placed: dict[str, float]
    booked: dict[str, float]
    held: Counter[str]  # order name → orders the till holds for it
    answers_s: list[float]  # the receiver's answer time per delivery of the topic, as the sender saw it
    unanswered: int  # deliveries never answered 2xx

    def latencies(self) -> list[float]:
        return sorted(self.booked[name] - self.placed[name] for name in self.placed if name in self.booked)

    @property
    def lost(self) -> int:
        return sum(1 for name in self.placed if self.held[name] == 0)

    @property
    def doubled(self) -> int:
        return sum(1 for name in self.placed if self.held[name] > 1)


def pay(count: int, rate: float, seed: int, wait_s: float = 60, plan: str = "standard") -> Paid:
    """Serve both sandboxes (the shop on this Shopify plan's rate limits), sync the catalogue, then pay
    `count` orders arriving at random, `rate` a second on average, with the receiver and its worker
    running; wait up to `wait_s` for the last."""
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
        shop.sandbox.bucket = Bucket(PLANS[plan], shop.sandbox.clock)
        return _pay_orders(workspace, shop.sandbox, till.sandbox, count, rate, random.Random(seed), wait_s)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted `values`."""
    return values[max(math.ceil(share * len(values)) - 1, 0)]


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
    workspace: Workspace, shop: ShopifySandbox, till: MplusSandbox, count: int, rate: float, chance: random.Random,
    wait_s: float,
) -> Paid:  # fmt: skip
    placed: dict[str, float] = {}
    booked: dict[str, float] = {}
    with webhooks_served(workspace, INTEGRATION, TOPIC):
        watcher = _Watcher(till, booked)
        watcher.start()
        due = time.monotonic()
        for _ in range(count):  # arrivals on a schedule of their own: a slow sandbox call does not slow it
            due += chance.expovariate(rate)
            time.sleep(max(due - time.monotonic(), 0))
            order = shop.shop.place_order(
                [(chance.choice(SKUS), chance.randint(1, 2))], email="j.jansen@example.com", gateway="ideal"
            )
            placed[shop.shop.orders[order]["name"]] = time.monotonic()
        watcher.wait_for(set(placed), timeout=wait_s)
        shop.webhooks.wait_idle()
    held = Counter(str(order.get("extOrderId")) for order in list(till.till.orders.values()))
    deliveries = [d for d in shop.webhooks.deliveries if d.topic == TOPIC]
    answers = sorted(d.answered_in_s for d in deliveries if d.answered_in_s is not None)
    unanswered = sum(1 for d in deliveries if d.status is None or not 200 <= d.status < 300)
    return Paid(placed, booked, held, answers, unanswered)


class _Watcher(threading.Thread):
    """Notes when each order first shows up in the till, looking every 5 ms."""

    def __init__(self, till: MplusSandbox, booked: dict[str, float]) -> None:
        super().__init__(name="bench-watcher", daemon=True)
        self.till, self.booked = till, booked
        self.done = threading.Event()

    def run(self) -> None:
        seen = 0  # the till keeps its orders in the order it booked them
        while not self.done.is_set():
            now = time.monotonic()
            orders = list(self.till.till.orders.values())
            for order in orders[seen:]:
                name = order.get("extOrderId")
                if name and name not in self.booked:
                    self.booked[name] = now
            seen = len(orders)
            time.sleep(0.005)

    def wait_for(self, names: set[str], timeout: float) -> None:
        """Until every order is in the till, or `timeout` seconds; those missing then are lost."""
        deadline = time.monotonic() + timeout
        while not names <= set(self.booked) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.done.set()
        self.join()
