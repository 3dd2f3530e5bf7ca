"""A run whose process died mid-way is marked `interrupted`, with when that was found, as soon as
its flow's lock is next taken: on SQLite the lock row of a dead process is taken over; on
PostgreSQL the advisory lock went with the dead session. `tillsync status` takes the lock of each
flow nobody holds, so it shows such a run; `tillsync logs` lists it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import FlowLockedError
from engine.records import Entity
from engine.state import StateStore, default_url
from engine.state import tables as t
from tests.engine.conftest import Repo
from tests.engine.test_apply import CATALOGUE

HOLDER = """
import sys, time, pathlib, engine.run.apply
from engine.cli import main
def hold(step):
    if step == "intent":
        pathlib.Path("holding").touch()
        time.sleep(600)
engine.run.apply.checkpoint = hold
sys.exit(main(["apply", "--env", "test", "--yes"]))
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, repo: Repo, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "sqlite":
        return default_url(repo.root, "test")
    postgres_url = str(request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("TILLSYNC_STATE_URL", postgres_url)
    return postgres_url


def kill_mid_apply(repo: Repo) -> None:
    """Start `tillsync apply` in another process and SIGKILL it once it has journaled its first write."""
    env = {"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"}
    if "TILLSYNC_STATE_URL" in os.environ:
        env["TILLSYNC_STATE_URL"] = os.environ["TILLSYNC_STATE_URL"]
    child = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=repo.root, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not (repo.root / "holding").exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (repo.root / "holding").exists(), child.communicate(timeout=10)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL


def status_lines(capsys: pytest.CaptureFixture[str]) -> str:
    """`tillsync status`, again for a few seconds while the lock is still held: a killed process's
    PostgreSQL session ends a moment after the process."""
    deadline = time.monotonic() + 15
    while True:
        main(["status", "--env", "test"])
        out = capsys.readouterr().out
        if "running" not in out or time.monotonic() > deadline:
            return out
        time.sleep(0.2)


def test_a_killed_apply_is_marked_interrupted_and_shown(
    repo: Repo, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    kill_mid_apply(repo)
    with StateStore(url) as store:
        [run] = store.runs.list()
        assert run["status"] == "running", "nothing has taken the flow's lock since"

    before = datetime.now(UTC)
    out = status_lines(capsys)
    assert "WARNING shop-sync/products: last run interrupted: its process ended mid-run" in out
    assert "last run: apply interrupted at " in out and "plan now: 5 to change" in out

    with StateStore(url) as store:
        [killed, check] = store.runs.list()
        assert (killed["id"], killed["status"], check["kind"]) == (run["id"], "interrupted", "check")
        found = killed["finished_at"] if killed["finished_at"].tzinfo else killed["finished_at"].replace(tzinfo=UTC)
        assert before <= found <= datetime.now(UTC)

    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert main(["logs", "--env", "test", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert f"run {run['id'][:8]} (apply of shop-sync/products) was interrupted: its process ended mid-run" in out
    with StateStore(url) as store:
        assert [(r["kind"], r["status"]) for r in store.runs.list()] == [
            ("apply", "interrupted"),
            ("check", "failed"),
            ("apply", "succeeded"),
        ]


def test_a_running_run_is_marked_only_when_its_flow_is_free(url: str) -> None:
    """The runs of a flow are marked when its lock is taken, not while another process holds it;
    check runs, which no lock covers, are left to finish."""
    with StateStore(url) as holder, StateStore(url) as other:
        with holder.lock("shop", "products"):
            alive = holder.runs.start("shop", "products", "apply")
            checking = holder.runs.start("shop", "products", "check")
            assert other.settle("shop", "products") is False
            with pytest.raises(FlowLockedError), other.lock("shop", "products"):
                pass
            assert {r["status"] for r in other.runs.list()} == {"running"}
        dead = alive  # its process went without finishing it
        assert other.settle("shop", "products") is True
        runs = {r["id"]: r for r in other.runs.list()}
        assert runs[dead]["status"] == "interrupted" and runs[dead]["finished_at"] is not None
        assert runs[checking]["status"] == "running"
        assert other.runs.interrupted("shop") == [runs[dead]]
        other.runs.finish(checking, "succeeded", {})


def test_a_lock_row_left_by_a_dead_process_is_taken_over_and_its_run_marked(tmp_path: Path) -> None:
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        owner = f"{socket.gethostname()}:{dead.stdout.strip()}"
        with store.engine.begin() as connection:
            connection.execute(
                t.locks.insert().values(name="shop/products", owner=owner, acquired_at=datetime.now(UTC))
            )
        run = store.runs.start("shop", "products", "apply")
        with store.lock("shop", "products"):
            [row] = store.runs.list()
            assert (row["id"], row["status"]) == (run, "interrupted")
            assert row["summary"]["interrupted"].startswith("its process ended mid-run")
