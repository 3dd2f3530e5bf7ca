"""Which spec version runs where, and promotion of a verified version from one environment to the next.

A spec's version is its content digest (and the git revision it was verified at). An environment
may pin the version it runs (`integrations.<name>.version`); plan and apply then refuse a spec file
that is not that version. `check` records, per flow, whether a fresh plan finds the target in sync
and no dead letters wait; `promote` moves a version only when, in the source environment, every
flow's last apply of exactly that version succeeded and a check after it passed.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from ruamel.yaml import YAML

from engine.errors import TillsyncError
from engine.plan.model import OUT_OF_STEP, Change, FlowPlan
from engine.run import runner, watch
from engine.run.workspace import Deployment, Workspace, spec_digest
from engine.state import StateStore


@dataclass(frozen=True)
class FlowStatus:
    integration: str
    flow: str
    digest: str
    last_apply: str | None  # succeeded | failed | None (never applied)
    applied_digest: str | None
    in_sync: bool
    pending: int
    dead_letters: int


APPLY_KINDS = ("apply", "retry", "event")  # runs that write; each counts towards promotion


def check(workspace: Workspace, names: Sequence[str] | None = None) -> list[FlowStatus]:
    """Plan every flow `names` select (`runner.select`) without writing; record whether each is in sync."""
    statuses = []
    with runner.state_store(workspace) as store:
        for item in runner.select(workspace, names):
            [flow_plan] = runner.plan(workspace, store, [item]).flows
            pending, letters = record_check(workspace, store, item.deployment, flow_plan)
            applies = [r for r in store.runs.list(item.deployment.name, item.flow) if r["kind"] in APPLY_KINDS]
            last = applies[-1] if applies else None
            statuses.append(FlowStatus(
                item.deployment.name, item.flow, item.deployment.digest, last["status"] if last else None,
                last["spec_digest"] if last else None, not pending and not letters, len(pending), letters,
            ))  # fmt: skip
    return statuses


def record_check(
    workspace: Workspace, store: StateStore, deployment: Deployment, flow_plan: FlowPlan
) -> tuple[list[Change], int]:
    """Record, as a check run promotion relies on, whether a fresh plan of a flow finds it in sync:
    nothing pending and no dead letters. Records out of step after an apply that succeeded are a
    failed parity check, alerted (`watch.checked`). Returns the pending changes and the number of
    dead letters."""
    pending = [c for c in flow_plan.changes if c.action in OUT_OF_STEP]
    letters = len(store.dead_letters.open(deployment.name, flow_plan.flow))
    applies = [r for r in store.runs.list(deployment.name, flow_plan.flow) if r["kind"] in APPLY_KINDS]
    run = store.runs.start(deployment.name, flow_plan.flow, "check", deployment.digest)
    in_sync = not pending and not letters
    store.runs.finish(run, "succeeded" if in_sync else "failed", {"pending": len(pending), "dead_letters": letters})
    watch.checked(workspace, store, deployment, flow_plan.flow, pending,
                  bool(applies) and applies[-1]["status"] == "succeeded")  # fmt: skip
    return pending, letters


def verified(workspace: Workspace, integration: str, digest: str) -> list[str]:
    """Why `digest` of `integration` is not verified in `workspace`; empty when it is."""
    deployment = workspace.deployments.get(integration)
    if deployment is None:
        return [f"{integration} does not run in {workspace.environment.name}"]
    problems = []
    with runner.state_store(workspace) as store:
        for flow in deployment.enabled_flows():
            runs = store.runs.list(integration, flow)
            applies = [r for r in runs if r["kind"] in APPLY_KINDS and r["spec_digest"] == digest]
            if not applies:
                problems.append(f"{integration}/{flow} has not been applied at this version")
                continue
            if applies[-1]["status"] != "succeeded":
                problems.append(f"{integration}/{flow}: the last apply of this version did not succeed")
                continue
            checks = [r for r in runs if r["kind"] == "check" and r["spec_digest"] == digest
                      and r["started_at"] >= applies[-1]["started_at"]]  # fmt: skip
            if not checks or checks[-1]["status"] != "succeeded":
                problems.append(f"{integration}/{flow}: no passing check since its last apply (run tillsync status)")
    return problems


@dataclass(frozen=True)
class Promotion:
    integration: str
    digest: str
    revision: str | None
    path: Path
    diff: str


def promote(workspace: Workspace, target: str, integration: str | None = None) -> list[Promotion]:
    """Pin, in environments/<target>.yaml, the spec versions verified in `workspace`'s environment;
    refuse with the reasons, changing nothing, when one is not."""
    root, source = workspace.root, workspace.environment.name
    names = [integration] if integration else list(workspace.deployments)
    target_path = root / "environments" / f"{target}.yaml"
    if not target_path.is_file():
        raise TillsyncError(f"unknown environment '{target}'")
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # a digest stays on its line
    before = target_path.read_text(encoding="utf-8")
    data = yaml.load(before)
    problems: list[str] = []
    promotions = []
    for name in names:
        if name not in workspace.deployments:
            problems.append(f"{name} does not run in {source}")
            continue
        entry = (data.get("integrations") or {}).get(name)
        if entry is None:
            problems.append(f"{name} is not set up in {target}; add it to environments/{target}.yaml first")
            continue
        digest = spec_digest(root / workspace.deployments[name].spec_path)
        problems += verified(workspace, name, digest)
        promotions.append((name, entry, digest))
    if problems:
        raise TillsyncError("nothing promoted:\n  " + "\n  ".join(problems))
    revision = _revision(root)
    for _, entry, digest in promotions:
        version = {"digest": digest, **({"revision": revision} if revision else {})}
        entry["version"] = version
    out = StringIO()
    yaml.dump(data, out)
    after = out.getvalue()
    diff = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        f"a/environments/{target}.yaml", f"b/environments/{target}.yaml"))  # fmt: skip
    target_path.write_text(after, encoding="utf-8")
    return [Promotion(name, digest, revision, target_path, diff) for name, _, digest in promotions]


def _revision(root: Path) -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None
