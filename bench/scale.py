"""20 shops × a stock sync of 1,000 SKUs each, by Dagster on Celery workers: one worker, then two.

The deployment is the one `deploy/` describes, on this machine: Dagster's runs and events in
PostgreSQL, Tillsync's state (and the shops' shared rate budgets) in PostgreSQL, the Celery
executor on RabbitMQ, and real Celery workers as processes of their own, one step at a time each.
One integration syncs an ERP's CSV export into 20 Shopify shops (a sandbox each, on the standard
plan, bulk operations taking the time the sandbox models): one asset, partitioned per shop. Every
shop holds the 1,000 SKUs at a level the export does not give, and Tillsync has not run yet, so
each shop's sync reads its 1,000 levels (one bulk operation) and writes them all.

Each measurement submits one Dagster run per shop at once and waits for all of them: first with one
worker, then with two (the export changed, Tillsync's state fresh, so the second does the same
work). Throughput is levels written per second of the whole; `throughput_2_vs_1` is the two
workers' over the one's. Per shop, the sync's wall (its step, from start to success) is set against
its rate-limit floor: the points that shop's sync was charged, over the plan's restore rate, the
time Shopify's bucket needs to give them. Real time: workers are processes, so no virtual clock.
Every shop is checked in step and every level written exactly once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dagster import AssetKey

from bench import Figures
from connectors.shopify.cost import PLANS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.bulk import SHOPIFY
from connectors.testing.server import serving

SHOPS = 20
SKUS = 1_000
PLAN = PLANS["standard"]
LOCATION = "warehouse"
REPO = Path(__file__).parents[1]
BIN = Path(sys.executable).parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
STOCK = AssetKey(["bench", "shopify", "stock"])  # the stock flows of every shop, one asset
SYNC_STEP = "__".join(STOCK.path)  # its step in a run (the checks' steps follow it)


def run(scale: float = 1.0) -> dict[str, Figures]:
    shops = [f"shop{n:02d}" for n in range(1, max(int(SHOPS * scale), 2) + 1)]
    skus = [str(200_000 + n) for n in range(max(int(SKUS * scale), 10))]
    _services_reachable()
    with (
        tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder,
        _Deployment.set_up(Path(folder), shops, skus) as deployment,
    ):
        one = deployment.measure(workers=1, level=7)
        two = deployment.measure(workers=2, level=11)
    worst = max(two.shops.values(), key=lambda s: s.wall_s / s.floor_s)
    return {
        "scale": {
            "shops": len(shops), "skus_per_shop": len(skus), "plan": PLAN.name,
            "wall_1_worker_s": round(one.wall_s, 1), "wall_2_workers_s": round(two.wall_s, 1),
            "levels_per_s_1_worker": round(one.levels / one.wall_s, 1),
            "levels_per_s_2_workers": round(two.levels / two.wall_s, 1),
            "throughput_2_vs_1": round(one.wall_s / two.wall_s, 2),
            "max_wall_vs_floor": round(worst.wall_s / worst.floor_s, 1),
            "shop_wall_s_max": round(max(s.wall_s for s in two.shops.values()), 2),
            "shop_points": worst.points, "shop_floor_s": round(worst.floor_s, 2),
            "in_step": one.in_step and two.in_step, "levels_written_once": one.written_once and two.written_once,
            "throttled": one.throttled + two.throttled,
            "note": f"real Celery workers on RabbitMQ, one step at a time each; {PLAN.name} plan "
                    f"({PLAN.bucket:g}-point bucket, {PLAN.restore_rate:g} points/s); bulk operations take the "
                    f"time the sandbox models ({SHOPIFY.startup_s:g} s, then {SHOPIFY.objects_per_s:g} objects a "
                    "second), in real time; shop figures from the two-worker run",
        }
    }  # fmt: skip


@dataclass(frozen=True)
class ShopRun:
    wall_s: float  # the shop's step, start to success
    points: int  # cost points the shop was charged for it
    floor_s: float  # the time the shop's bucket needs to give those points


@dataclass(frozen=True)
class Measured:
    wall_s: float  # from submitting every shop's run to the last one's success
    levels: int
    shops: dict[str, ShopRun]
    in_step: bool
    written_once: bool
    throttled: int


@dataclass
class _Deployment:
    root: Path
    skus: list[str]
    sandboxes: dict[str, ShopifySandbox]
    environ: dict[str, str]

    @classmethod
    @contextmanager
    def set_up(cls, root: Path, shops: list[str], skus: list[str]) -> Iterator[_Deployment]:
        (root / "specs").mkdir()
        (root / "environments").mkdir()
        (root / "erp").mkdir()
        (root / "specs" / "bench.yaml").write_text(_spec(shops))
        (root / "environments" / "bench.yaml").write_text(
            "name: bench\nintegrations:\n  bench: {spec: specs/bench.yaml}\n"
        )
        home = root / "dagster-home"
        home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.yaml", home)
        sandboxes = {shop: _seeded(skus) for shop in shops}
        with ExitStack() as stack:
            urls = {shop: stack.enter_context(serving(sandbox)) for shop, sandbox in sandboxes.items()}
            dagster_url = stack.enter_context(_schema()).replace("+psycopg:", "+psycopg2:")
            environ = {
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # dagster-celery starts `celery` by name
                "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": dagster_url,
                "TILLSYNC_ROOT": str(root), "TILLSYNC_ENV": "bench",
                "TILLSYNC_EXECUTOR": "celery", "TILLSYNC_CELERY_BROKER": BROKER,
                "TILLSYNC_CELERY_QUEUE": f"tillsync-bench-{uuid.uuid4().hex[:8]}",
                "TILLSYNC__SYSTEMS__ERP__SETTINGS__PATH": str(root / "erp"),
                **{f"{shop.upper()}_TOKEN": sandbox.token for shop, sandbox in sandboxes.items()},
                **{f"TILLSYNC__SYSTEMS__{shop.upper()}__SETTINGS__URL": url for shop, url in urls.items()},
            }  # fmt: skip
            stack.enter_context(_environment(environ))
            _create_dagster_storage()
            yield cls(root, skus, sandboxes, environ)

    def measure(self, workers: int, level: int) -> Measured:
        """Every shop's run at once on `workers` workers, the export setting every SKU to `level`."""
        (self.root / "erp" / "stock.csv").write_text(
            "sku,location,on_hand,reserved\n" + "".join(f"{sku},1,{level},0\n" for sku in self.skus)
        )
        logs = {shop: len(sandbox.bucket_log) for shop, sandbox in self.sandboxes.items()}
        calls = {shop: len(sandbox.log) for shop, sandbox in self.sandboxes.items()}
        with _schema() as state_url, ExitStack() as stack:
            environ = {**os.environ, "TILLSYNC_STATE_URL": state_url}
            for n in range(workers):
                stack.enter_context(_worker(environ, f"w{n + 1}-{uuid.uuid4().hex[:6]}", self.root))
            started = time.monotonic()
            run_ids = _materialize(list(self.sandboxes), self.root)
            wall = time.monotonic() - started
        steps = _step_walls(run_ids)
        shops = {}
        for shop, sandbox in self.sandboxes.items():
            points = sum(int(e.get("charged", e["requested"])) for e in sandbox.bucket_log[logs[shop] :])
            shops[shop] = ShopRun(steps[shop], points, points / PLAN.restore_rate)
        written = {shop: _levels_written(sandbox.log[calls[shop] :]) for shop, sandbox in self.sandboxes.items()}
        return Measured(
            wall_s=wall,
            levels=sum(written.values()),
            shops=shops,
            in_step=all(_levels(sandbox) == dict.fromkeys(self.skus, level) for sandbox in self.sandboxes.values()),
            written_once=all(count == len(self.skus) for count in written.values()),
            throttled=sum(bool(e["throttled"]) for sandbox in self.sandboxes.values() for e in sandbox.bucket_log),
        )


def _spec(shops: list[str]) -> str:
    systems = "".join(
        f"  {shop}:\n    connector: shopify\n    settings: {{url: 'http://127.0.0.1:1', currency: EUR}}\n"
        f"    credentials: {{access_token: env:{shop.upper()}_TOKEN}}\n"
        for shop in shops
    )
    flows = "".join(
        f"  {'stock' if n == 0 else f'stock-{shop}'}:\n    entity: stock\n    from: erp\n    to: {shop}\n"
        f"    gate: {{max_change_share: 1}}\n"
        f"    settings:\n      stock_formula: max(on_hand - reserved, 0)\n      location_map: {{'1': {LOCATION}}}\n"
        for n, shop in enumerate(shops)
    )
    return (
        "version: 1\nname: bench\nsystems:\n  erp: {connector: files, settings: {path: erp, format: csv}}\n"
        f"{systems}flows:\n{flows}"
    )


def _seeded(skus: list[str]) -> ShopifySandbox:
    """A shop holding every SKU at its one location, at 0 (no API calls)."""
    sandbox = ShopifySandbox(plan=PLAN, bulk_timing=SHOPIFY)
    location = sandbox.shop.add_location(LOCATION)
    for sku in skus:
        variant = {"sku": sku, "price": "9.95", "inventoryQuantities": [{"locationId": location, "name": "available",
                   "quantity": 0}], "optionValues": [{"optionName": "Title", "name": "Default Title"}]}  # fmt: skip
        sandbox.shop.product_set(None, {"title": f"Article {sku}", "variants": [variant]})
    return sandbox


def _levels(sandbox: ShopifySandbox) -> dict[str, int]:
    shop = sandbox.shop
    location = shop.location_named(LOCATION) or ""
    return {item["sku"]: shop.levels[(item_id, location)]["available"] for item_id, item in shop.items.items()}


def _levels_written(log: list[tuple[str | None, dict[str, Any]]]) -> int:
    """Levels the shop was sent to set, over the requests in `log`."""
    return sum(len(v["input"]["quantities"]) for op, v in log if op == "InventorySetQuantities")


def _materialize(shops: list[str], root: Path) -> dict[str, str]:
    """Every shop's run at once, each a run process of Dagster's (as the daemon starts them) whose
    step goes to the Celery workers; each shop's run id once all succeeded."""
    import dagster as dg

    command = [str(BIN / "dagster"), "asset", "materialize", "-m", "engine.dagster_definitions",
               "--select", STOCK.to_user_string(), "--partition"]  # fmt: skip
    runs = {}
    for shop in shops:
        with (root / f"run-{shop}.log").open("wb") as log:
            runs[shop] = subprocess.Popen([*command, shop], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    for shop, started in runs.items():
        if started.wait(1800) != 0:
            raise RuntimeError(f"the run of {shop} failed: {(root / f'run-{shop}.log').read_text()[-2000:]}")
    with dg.DagsterInstance.get() as instance:
        newest: dict[str, str] = {}
        for run in instance.get_runs():  # newest first
            newest.setdefault(run.tags.get("dagster/partition", ""), run.run_id)
    return {shop: newest[shop] for shop in shops}


def _create_dagster_storage() -> None:
    """Dagster's tables, made once: runs started at once would each try to make them."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        instance.get_runs(limit=1)


def _step_walls(run_ids: dict[str, str]) -> dict[str, float]:
    import dagster as dg

    walls = {}
    with dg.DagsterInstance.get() as instance:
        for shop, run_id in run_ids.items():
            [step] = instance.get_run_step_stats(run_id, step_keys=[SYNC_STEP])
            assert step.start_time is not None and step.end_time is not None
            walls[shop] = step.end_time - step.start_time
    return walls


@contextmanager
def _worker(environ: dict[str, str], name: str, root: Path) -> Iterator[None]:
    """A Celery worker as deployed (`deploy/celery.yaml`), one step at a time, until it is ready."""
    command = [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
               "-y", str(REPO / "deploy" / "celery.yaml"), "-q", environ["TILLSYNC_CELERY_QUEUE"],
               "-n", name, "--", "--concurrency=1"]  # fmt: skip
    log = root / f"worker-{name}.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(command, env=environ, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)


@contextmanager
def _schema() -> Iterator[str]:
    """A PostgreSQL schema of its own for the block: its URL."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def _environment(environ: dict[str, str]) -> Iterator[None]:
    """This process's environment with `environ` on top, for the block: Dagster and the code
    location read it here, where the runs are submitted."""
    saved = dict(os.environ)
    os.environ.update(environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _services_reachable() -> None:
    for name, port in (("PostgreSQL", 5432), ("RabbitMQ", 5672)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError as exc:
            raise RuntimeError(f"the scale benchmark needs {name} on 127.0.0.1:{port}: {exc}") from exc
