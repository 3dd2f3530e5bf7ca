"""Real parts: two Celery workers (processes of their own) on RabbitMQ take the two shops' partitions
of the Rackbeat products sync, Dagster's runs and Tillsync's state both in PostgreSQL; both shops
end in step and neither shop's bucket was ever short. A worker killed whole with SIGKILL mid-apply
has its step taken by the other (Celery delivers it again); a step whose process is killed
mid-apply fails its run, which Dagster's run retry (the daemon, as deployed) runs again. Either way
the journal settles the interrupted writes: nothing is made twice. The shop answers every request
late, so the kill lands between two writes; the tests check it did."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from connectors.rackbeat.sandbox import start as start_rackbeat
from connectors.shopify.sandbox import Faults, ShopifySandbox
from connectors.shopify.sandbox import start as start_shopify
from connectors.testing.server import serving

REPO = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
PRODUCTS = dg.AssetKey(["rackbeat-shopify", "shopify", "products"])
ITEMS = 15  # with the 3 seeded products, 18 to make, one a request, within the gate (20 changes)
JOB = "rackbeat_shopify__products"  # the products asset's job (its schedules run it), per shop
LATE = Faults(rates={"slow": 1.0}, slow_seconds=0.3)  # 18 writes take over 5 s: a kill lands between two
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _rabbitmq() -> None:
    """Skip (or, where services are required, fail) without RabbitMQ on 127.0.0.1:5672."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as exc:
        if os.environ.get("TILLSYNC_REQUIRE_SERVICES"):
            pytest.fail(f"RabbitMQ at 127.0.0.1:5672 is required here but unreachable: {exc}")
        pytest.skip(f"RabbitMQ at 127.0.0.1:5672 is not reachable: {exc}")


def _second_schema(postgres_url: str) -> Iterator[str]:
    """Dagster's tables beside Tillsync's would clash (both keep `runs`): a schema of their own."""
    base = postgres_url.split("?")[0]
    schema = f"d_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}".replace("postgresql+psycopg://", "postgresql+psycopg2://")
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def deployment(tmp_path: Path, postgres_url: str) -> Iterator[dict[str, object]]:
    """The Rackbeat integration with both shops, each on a Shopify sandbox of its own, and the
    environment a worker and a run need: Dagster home, state store, broker, a queue of its own."""
    _rabbitmq()
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    shutil.copy(REPO / "specs" / "rackbeat-shopify.yaml", tmp_path / "specs")
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  rackbeat-shopify:\n    spec: specs/rackbeat-shopify.yaml\n"
        "    flows:\n"
        + "".join(f"      {f}: {{enabled: false}}\n" for f in ("stock", "outlet-stock", "orders", "outlet-orders"))
        + "      products: {settings: {batch_size: 1}}\n"
        "      outlet-products: {settings: {batch_size: 1}}\n"
    )
    home = tmp_path / "dagster-home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home)
    rackbeat, shop, outlet = start_rackbeat(True), start_shopify(False), start_shopify(False)
    for n in range(ITEMS):
        rackbeat.account.save_product(
            {
                "number": f"RB-9{n:03d}",
                "name": f"Item {n}",
                "sales_price": "10.00",
                "group_id": rackbeat.account.groups["50"]["id"],
            }
        )
    with (
        serving(rackbeat) as rackbeat_url,
        serving(shop) as shop_url,
        serving(outlet) as outlet_url,
        _schema_for_dagster(postgres_url) as dagster_url,
    ):
        environ = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # dagster-celery starts `celery` by name
            "DAGSTER_HOME": str(home), "DAGSTER_POSTGRES_URL": dagster_url,
            "TILLSYNC_ROOT": str(tmp_path), "TILLSYNC_ENV": "test", "TILLSYNC_STATE_URL": postgres_url,
            "TILLSYNC_EXECUTOR": "celery", "TILLSYNC_CELERY_BROKER": "pyamqp://guest:guest@127.0.0.1:5672//",
            "TILLSYNC_CELERY_QUEUE": f"tillsync-test-{uuid.uuid4().hex[:8]}",
            "RACKBEAT_API_TOKEN": rackbeat.token, "RACKBEAT_WEBHOOK_TOKEN": rackbeat.webhook_token,
            "SHOPIFY_ACCESS_TOKEN": shop.token, "SHOPIFY_WEBHOOK_SECRET": shop.webhook_secret,
            "OUTLET_ACCESS_TOKEN": outlet.token, "OUTLET_WEBHOOK_SECRET": outlet.webhook_secret,
            "TILLSYNC__SYSTEMS__RACKBEAT__SETTINGS__URL": rackbeat_url,
            "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop_url,
            "TILLSYNC__SYSTEMS__OUTLET__SETTINGS__URL": outlet_url,
        }  # fmt: skip
        workers = {name: _worker(environ, name, tmp_path) for name in ("one", "two")}
        try:
            yield {"environ": environ, "shop": shop, "outlet": outlet, "workers": workers, "home": home}
        finally:
            for worker in workers.values():
                _kill(worker)


_schema_for_dagster = __import__("contextlib").contextmanager(_second_schema)


def _worker(environ: dict[str, str], name: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    """A Celery worker as deployed (`deploy/celery.yaml`), one step at a time, in a process group of its own."""
    command = [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
               "-y", str(REPO / "deploy" / "celery.yaml"), "-q", environ["TILLSYNC_CELERY_QUEUE"],
               "-n", name, "--", "--concurrency=1"]  # fmt: skip
    with (tmp_path / f"worker-{name}.log").open("wb") as log:
        return subprocess.Popen(command, env=environ, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _kill(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def _materialize(environ: dict[str, str], partition: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    """One run of one shop's partition; its steps go to the workers through the broker."""
    command = [str(BIN / "dagster"), "asset", "materialize", "-m", "engine.dagster_definitions",
               "--select", PRODUCTS.to_user_string(), "--partition", partition]  # fmt: skip
    with (tmp_path / f"run-{partition}.log").open("wb") as log:
        return subprocess.Popen(command, env=environ, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _products(sandbox: ShopifySandbox) -> list[str]:
    return sorted(str(p.get("handle")) for p in sandbox.shop.products.values())


def _bucket_was_never_short(sandbox: ShopifySandbox) -> None:
    assert sandbox.bucket_log, "the shop was called"
    assert not [e for e in sandbox.bucket_log if e["throttled"]]
    assert min(e["level"] for e in sandbox.bucket_log) >= 0


def _wait(run: subprocess.Popen[bytes], tmp_path: Path, partition: str, timeout: float = 120) -> None:
    assert run.wait(timeout) == 0, (tmp_path / f"run-{partition}.log").read_text()[-3000:]


def _materializations(environ: dict[str, str]) -> dict[str, dict[str, object]]:
    os.environ.update({k: environ[k] for k in ("DAGSTER_HOME", "DAGSTER_POSTGRES_URL")})
    with dg.DagsterInstance.get() as instance:
        found = {}
        for record in instance.fetch_materializations(PRODUCTS, limit=10).records:
            event = record.asset_materialization
            assert event is not None
            found.setdefault(str(event.partition), {k: v.value for k, v in event.metadata.items()})  # newest first
    return found


def test_two_workers_take_the_two_shops_and_a_killed_worker_is_settled_by_the_other(
    deployment: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ, shop, outlet = deployment["environ"], deployment["shop"], deployment["outlet"]
    assert isinstance(environ, dict) and isinstance(shop, ShopifySandbox) and isinstance(outlet, ShopifySandbox)
    workers = deployment["workers"]
    assert isinstance(workers, dict)
    monkeypatch.setenv("DAGSTER_HOME", environ["DAGSTER_HOME"])
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", environ["DAGSTER_POSTGRES_URL"])

    _collections_first(environ)
    # The main shop's run: kill whichever worker took it once a few products are made.
    shop.faults = LATE
    run = _materialize(environ, "shop", tmp_path)
    _until_made(shop, 5, lambda: run.poll() is None, tmp_path / "run-shop.log")
    [busy] = [name for name in workers if _took_a_step(name, tmp_path)]
    _kill(workers.pop(busy))
    _mid_apply(shop)
    shop.faults = Faults()
    workers["three"] = _worker(environ, "three", tmp_path)  # two workers again, for both shops below
    _wait(run, tmp_path, "shop")
    assert _products(shop) == sorted(set(_products(shop))) and len(shop.shop.products) == ITEMS + 3

    # Both shops at once, on the two workers.
    runs = {p: _materialize(environ, p, tmp_path) for p in ("shop", "outlet")}
    for partition, started in runs.items():
        _wait(started, tmp_path, partition)
    assert len(outlet.shop.products) == ITEMS + 3 and len(set(_products(outlet))) == ITEMS + 3
    assert len(shop.shop.products) == ITEMS + 3, "the second run of the main shop made nothing again"
    for sandbox in (shop, outlet):
        _bucket_was_never_short(sandbox)
    done = _materializations(environ)
    assert done["outlet"]["created"] == ITEMS + 3 and done["outlet"]["flow"] == "outlet-products"
    assert done["shop"]["created"] == 0, "the rerun found the main shop in step"
    assert done["shop"]["worker"] != done["outlet"]["worker"], "the two shops ran on two workers"


def _collections_first(environ: dict[str, str]) -> None:
    """The main shop's products go into their groups' collections: made first, by the engine alone."""
    from connectors import CONNECTORS
    from engine.run import runner
    from engine.run.workspace import load_workspace

    workspace = load_workspace(Path(environ["TILLSYNC_ROOT"]), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        [outcome] = runner.sync(workspace, store, runner.select(workspace, ["rackbeat-shopify/categories"]))
    assert outcome.result is not None and outcome.result.ok


def _took_a_step(name: str, tmp_path: Path) -> bool:
    """Whether the worker's log shows it received a step."""
    return "Task execute_plan[" in (tmp_path / f"worker-{name}.log").read_text(errors="replace")


def test_a_step_killed_mid_apply_fails_its_run_and_dagsters_run_retry_converges(
    deployment: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ, shop = deployment["environ"], deployment["shop"]
    assert isinstance(environ, dict) and isinstance(shop, ShopifySandbox)
    monkeypatch.setenv("DAGSTER_HOME", environ["DAGSTER_HOME"])
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", environ["DAGSTER_POSTGRES_URL"])
    _collections_first(environ)
    shop.faults = LATE
    daemon = _daemon(environ, tmp_path)  # dequeues runs (the run queue) and retries failed ones
    try:
        tags = json.dumps({"dagster/partition": "shop"})
        launched = subprocess.run(
            [str(BIN / "dagster"), "job", "launch", "-m", "engine.dagster_definitions", "-j", JOB, "--tags", tags],
            env=environ, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-2000:]
        with dg.DagsterInstance.get() as instance:
            [first] = instance.get_runs()
            _until_made(shop, 5, lambda: daemon.poll() is None, tmp_path / "daemon.log")
            os.kill(_step_pid(instance, first.run_id), signal.SIGKILL)  # the Celery worker's pool process
            _mid_apply(shop)
            shop.faults = Faults()  # the retry need not be slow: no kill lands in it
            retry = _retried(instance, first.run_id, tmp_path)
            assert instance.get_run_by_id(first.run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
            assert retry.tags.get("dagster/retry_number") == "1", "Dagster's run retry ran it again"
            [event] = [
                r.asset_materialization
                for r in instance.fetch_materializations(PRODUCTS, limit=5).records
                if r.run_id == retry.run_id
            ]
    finally:
        _kill(daemon)
    assert event is not None and event.partition == "shop"
    assert len(shop.shop.products) == ITEMS + 3 and _products(shop) == sorted(set(_products(shop))), "none twice"
    _bucket_was_never_short(shop)


def _until_made(shop: ShopifySandbox, count: int, alive: Callable[[], bool], log: Path) -> None:
    """Wait until the shop holds `count` products, the process driving the run still alive."""
    deadline = time.monotonic() + 120
    while len(shop.shop.products) < count:
        assert time.monotonic() < deadline and alive(), log.read_text(errors="replace")[-3000:]
        time.sleep(0.05)


def _mid_apply(shop: ShopifySandbox) -> None:
    """The kill landed mid-apply: some of the products were made, and not the last, even once a
    write already sent has landed (late)."""
    made = len(shop.shop.products)
    time.sleep(1.5)
    assert 5 <= made <= len(shop.shop.products) < ITEMS + 3, "killed after some writes and before the last"


def _daemon(environ: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    """Dagster's daemon as deployed: it starts queued runs and runs failed ones again."""
    command = [str(BIN / "dagster-daemon"), "run", "-m", "engine.dagster_definitions"]
    with (tmp_path / "daemon.log").open("wb") as log:
        return subprocess.Popen(command, env=environ, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def _step_pid(instance: dg.DagsterInstance, run_id: str) -> int:
    """The process running the run's step: where its STEP_START event came from."""
    [record] = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
    event = record.event_log_entry.dagster_event
    assert event is not None and event.pid is not None
    return event.pid


def _retried(instance: dg.DagsterInstance, run_id: str, tmp_path: Path) -> dg.DagsterRun:
    """The run Dagster's run retry started for the failed run, once it succeeded."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        children = [r for r in instance.get_runs() if r.tags.get("dagster/parent_run_id") == run_id]
        if children and children[0].status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):
            assert children[0].status == dg.DagsterRunStatus.SUCCESS, f"the retry failed: {children[0].run_id}"
            return children[0]
        time.sleep(0.5)
    raise AssertionError("no retry succeeded:\n" + (tmp_path / "daemon.log").read_text(errors="replace")[-3000:])
