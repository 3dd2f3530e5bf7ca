"""Measuring one flow's plan in a fresh process: the machinery the planning scenarios share.

A scenario writes a small repository (`repository`): one integration of two `files` systems, an
ERP's CSV export (`erp/`) as the source and a folder of JSON Lines (`shop/`) as the target, with
its state in SQLite. `first_sync` brings it in step as it would be after running a while; the
scenario then changes the data and measures in a fresh process (`in_a_fresh_process`, which runs
`python -m bench.planning`): either the plan (`plan_in_this_process`) or its floor, reading and
parsing the same inputs without building a record (`floor_in_this_process`). A fresh process, so
that what the set-up made and freed does not count; peak memory is the process's high-water mark
(`VmHWM`), interpreter and imports included.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from connectors import CONNECTORS
from engine.plan.model import Action
from engine.records import MODELS
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.runner import Selected, state_store, sync_flow
from engine.run.systems import Systems
from engine.run.workspace import Workspace, load_workspace

ENVIRONMENT = "bench"
SOURCE, TARGET = "erp", "shop"  # the systems' names in every planning scenario's spec
COUNTED = (Action.create, Action.update, Action.unchanged)


def repository(root: Path, integration: str, spec: str) -> None:
    """An empty repository holding one integration's spec, run in the `bench` environment."""
    for name in ("specs", "environments", SOURCE, TARGET):
        (root / name).mkdir()
    (root / "specs" / f"{integration}.yaml").write_text(spec)
    (root / "environments" / f"{ENVIRONMENT}.yaml").write_text(
        f"name: {ENVIRONMENT}\nintegrations:\n  {integration}:\n    spec: specs/{integration}.yaml\n"
    )


def edit_spec(root: Path, integration: str, old: str, new: str) -> None:
    """An edit to the spec file, as by a pull request: the first `old` written as `new`."""
    path = root / "specs" / f"{integration}.yaml"
    text = path.read_text()
    if old not in text:
        raise ValueError(f"the spec has no {old!r} to edit")
    path.write_text(text.replace(old, new, 1))


def forget_fingerprints(root: Path) -> None:
    """Nothing remembered of any record last found unchanged, as after an upgrade of Tillsync (whose
    version every read fingerprint is taken under): the last-applied documents stay."""
    state = sqlite3.connect(root / ".tillsync" / ENVIRONMENT / "state.db")
    with state:
        state.execute("DELETE FROM in_step")
    state.close()


def workspace(root: Path) -> Workspace:
    environ = {f"TILLSYNC__SYSTEMS__{SOURCE.upper()}__SETTINGS__PATH": str(root / SOURCE),
               f"TILLSYNC__SYSTEMS__{TARGET.upper()}__SETTINGS__PATH": str(root / TARGET)}  # fmt: skip
    return load_workspace(root, ENVIRONMENT, connectors=CONNECTORS, environ=environ)


def first_sync(root: Path, integration: str, flow: str) -> None:
    """The integration as it runs day to day, done quickly: the target file written in one go from
    the plan; an apply that finds everything in step and records it as applied; and the next run's,
    which finds it in step again and remembers so."""
    work = workspace(root)
    deployment = work.deployments[integration]
    setup = FlowSetup.of(deployment, flow)
    model = MODELS[setup.policy.entity]
    with state_store(work) as store:
        systems = Systems(work, deployment)
        plan = plan_flow(work, setup, systems, store)
        records = [model.model_validate(c.record) for c in plan.changes if c.action is Action.create]
        systems.client(setup.policy.target).write(setup.policy.entity, records)
        del plan, records
        for _ in range(2):
            result = sync_flow(work, store, Selected(deployment, flow), systems=systems).result
            if result is None or result.counts["create"] or result.counts["update"]:
                raise RuntimeError(f"the first sync left changes: {result and result.counts}")
        systems.close()


def in_a_fresh_process(root: Path, integration: str, flow: str, *arguments: str) -> dict[str, Any]:
    """The plan's figures (or, with `--floor SOURCE_FILE TARGET_FILE`, the floor's), measured by a
    process of their own."""
    child = subprocess.run(
        [sys.executable, "-m", "bench.planning", str(root), integration, flow, *arguments],
        cwd=Path(__file__).parents[1], capture_output=True, text=True, check=False,
    )  # fmt: skip
    if child.returncode != 0:
        raise RuntimeError(f"planning failed:\n{child.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(child.stdout)
    return measured


def planned_as_expected(root: Path, integration: str, flow: str, expected: dict[str, int]) -> dict[str, Any]:
    """The plan measured in a fresh process, which must find the changes the data was given."""
    measured = in_a_fresh_process(root, integration, flow)
    if measured["changes"] != expected:
        raise RuntimeError(f"the plan is not what the data says: {measured['changes']} != {expected}")
    return measured


def measured_in_turn(
    repositories: dict[str, tuple[Path, dict[str, int]]],
    integration: str,
    flow: str,
    inputs: tuple[str, str],
    runs: int,
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each repository's plan (which must find its expected changes) and its floor (over `inputs`, the
    source and target files), measured `runs` times, the repositories in turn, each plan next to its
    floor: on a shared machine whose speed wanders, what is compared meets it alike. By repository,
    the fastest plan and the fastest floor (`fastest`)."""
    plans: dict[str, list[dict[str, Any]]] = {name: [] for name in repositories}
    floors: dict[str, list[dict[str, Any]]] = {name: [] for name in repositories}
    for _ in range(runs):
        for name, (root, expected) in repositories.items():
            floors[name].append(in_a_fresh_process(root, integration, flow, "--floor", *inputs))
            plans[name].append(planned_as_expected(root, integration, flow, expected))
    return {name: (fastest(plans[name]), fastest(floors[name])) for name in repositories}


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Of measurements of one thing, the one that took the least CPU, with the highest peak memory of
    them all. On a shared machine a run is only ever slowed by what else runs, so the fastest is the
    least disturbed; runs of what is compared are interleaved, so each gets the same chances."""
    best = min(runs, key=lambda run: run["cpu_s"])
    return {**best, "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not `getrusage`: Linux carries its high-water mark across
    the exec from the parent, whose test data would count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("this benchmark reads peak memory from /proc (Linux)")


def plan_in_this_process(root: Path, integration: str, flow: str) -> dict[str, object]:
    work = workspace(root)
    deployment = work.deployments[integration]
    setup = FlowSetup.of(deployment, flow)
    with state_store(work) as store:
        systems = Systems(work, deployment)
        before = peak_rss_mb()
        cpu, wall = time.process_time(), time.perf_counter()
        plan = plan_flow(work, setup, systems, store)
        cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
        systems.close()
    changes = {action.value: plan.count(action) for action in COUNTED}
    return {"cpu_s": cpu_s, "wall_s": wall_s, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before,
            "changes": changes}  # fmt: skip


def floor_in_this_process(root: Path, integration: str, flow: str, source: str, target: str) -> dict[str, object]:
    """Read and parse what the plan reads, building nothing: the export's rows (`source`, a CSV file),
    the target's lines as dictionaries (`target`, JSON Lines), and the flow's last-applied rows with
    their JSON documents."""
    before = peak_rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    with (root / source).open(newline="", encoding="utf-8") as export:
        rows = sum(1 for _ in csv.DictReader(export))
    with (root / target).open(encoding="utf-8") as lines_read:
        lines = sum(1 for line in lines_read if json.loads(line))
    state = sqlite3.connect(root / ".tillsync" / ENVIRONMENT / "state.db")
    documents = state.execute("SELECT key, document FROM applied WHERE integration = ? AND flow = ?",
                              (integration, flow))  # fmt: skip
    applied = sum(1 for _, document in documents if json.loads(document))
    in_step = state.execute("SELECT key, source_key, source, target, document FROM in_step WHERE flow = ?",
                            (flow,)).fetchall()  # fmt: skip
    state.close()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    read = {"rows": rows, "lines": lines, "applied": applied, "in_step": len(in_step)}
    return {"cpu_s": cpu_s, "wall_s": wall_s, "peak_rss_mb": peak_rss_mb(), "rss_before_mb": before, "read": read}


def main(argv: list[str]) -> None:
    """`python -m bench.planning ROOT INTEGRATION FLOW [--floor SOURCE_FILE TARGET_FILE]`: one
    measurement, printed as JSON."""
    root, integration, flow, *rest = argv
    if rest[:1] == ["--floor"]:
        measured = floor_in_this_process(Path(root), integration, flow, *rest[1:])
    else:
        measured = plan_in_this_process(Path(root), integration, flow)
    print(json.dumps(measured))


if __name__ == "__main__":
    main(sys.argv[1:])
