"""A process killed at any step of an apply, then run again, neither duplicates nor loses a record.

The apply runs in a subprocess that SIGKILLs itself at the n-th time it reaches a journal step
(`intent`: journaled, not yet written; `written`: written, not yet recorded; `settled`: recorded).
A second, normal apply must then converge: every record in the target exactly once, the state
store agreeing with the target, no intent left open, and a third plan empty.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.plan.model import Action
from engine.records import Entity
from tests.engine.conftest import Repo
from tests.engine.test_apply import CATALOGUE, plan

KILLER = """
import os, signal, sys
import engine.run.apply
from engine.cli import main

step, nth = sys.argv[1], int(sys.argv[2])
seen = 0

def checkpoint(name):
    global seen
    if name == step:
        seen += 1
        if seen == nth:
            os.kill(os.getpid(), signal.SIGKILL)

engine.run.apply.checkpoint = checkpoint
sys.exit(main(["apply", "--env", "test", "--yes"]))
"""


def run_apply(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    again = "import sys; from engine.cli import main; sys.exit(main(['apply', '--env', 'test', '--yes']))"
    code = KILLER if args else again
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("step", ["intent", "written", "settled"])
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_killed_apply_converges_when_run_again(repo: Repo, step: str, nth: int) -> None:
    repo.seed(Entity.product, CATALOGUE)  # 5 products in batches of 2: three batches
    killed = run_apply(repo, step, str(nth))
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    rerun = run_apply(repo)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    lines = (repo.root / "shop" / "products.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["sku"] for line in lines) == ["1", "2", "3", "4", "5"], "each exactly once"
    assert repo.shop().read(Entity.product) == CATALOGUE
    with repo.store() as store:
        assert sorted(store.applied.documents("shop-sync", "products")) == [(s,) for s in "12345"]
        assert store.journal.open_intents("shop-sync", "products") == []
        assert store.dead_letters.open() == []
    assert {c.action for c in plan(repo)[0].changes} == {Action.unchanged}
    if step == "written":
        assert "recovered from an interrupted run" in rerun.stdout, "the rerun settled the write it found done"
