"""`tillsync undo RUN`: the plan that takes a target back to before an applied run.

Built from what the state store keeps of the run: its activity entries, each with the target's values
before the write and the flow's fields after it (`engine.state.activity`), and the target's records
as they are now; `engine.plan.undo` makes the changes. The plan is a plan like any other: shown,
saved (`--out`), and applied with `apply --plan`, which makes it again just before it applies it
(`plan_undo`) and refuses it where it no longer holds.
"""

from __future__ import annotations

import re
from typing import Any

from engine.catalogue import choices
from engine.connector import DeleteGuard
from engine.errors import TillsyncError
from engine.plan.diff import blocked
from engine.plan.model import WRITES, Action, FlowPlan, Plan
from engine.plan.undo import Written, undo
from engine.run.flow import FlowSetup
from engine.run.read import last_applied, read_actual
from engine.run.systems import Systems, open_systems
from engine.run.workspace import Deployment, Workspace
from engine.state import StateStore

RUN_ID = re.compile(r"^[0-9a-f-]{4,36}$")
SHORTEST = 4  # characters of a run id that name it, at least
WROTE = ("apply", "retry", "event", "undo")  # kinds of runs that write; a check writes nothing


def find_run(store: StateStore, workspace: Workspace, name: str) -> tuple[dict[str, Any], Deployment]:
    """The run `name` names (its id, or the first characters of it, as `logs` shows them) and its flow
    here; `TillsyncError` saying why when it names none, several, or one that cannot be undone."""
    if not RUN_ID.match(name):
        raise TillsyncError(f"'{name}' is no run id: give the id `tillsync logs` shows (at least {SHORTEST} "
                            "characters of it, such as 1f2e3d4c)")  # fmt: skip
    found = store.runs.starting_with(name)
    if not found:
        raise TillsyncError(f"no run {name} in environment {workspace.environment.name}; `tillsync logs --env "
                            f"{workspace.environment.name}` shows the runs that wrote")  # fmt: skip
    if len(found) > 1:
        ids = ", ".join(run["id"][:12] for run in found[:5])
        raise TillsyncError(f"'{name}' names {len(found)} runs ({ids}); give more of its id")
    run = found[0]
    label = f"{run['integration']}/{run['flow']}"
    if run["kind"] not in WROTE:
        raise TillsyncError(f"run {name} was a {run['kind']} of {label}, which writes nothing; nothing to undo")
    if run["status"] == "running":
        raise TillsyncError(f"run {name} of {label} is still running; undo it once it has finished")
    deployment = workspace.deployments.get(run["integration"])
    if deployment is None or run["flow"] not in deployment.integration.flows:
        known = [f"{d.name}/{f}" for d in workspace.deployments.values() for f in d.integration.flows]
        raise TillsyncError(f"run {name} was of {label}, which environment {workspace.environment.name} no longer "
                            f"runs; {choices(label, known)}")  # fmt: skip
    return run, deployment


def undo_plan(workspace: Workspace, store: StateStore, run: dict[str, Any], deployment: Deployment) -> Plan:
    """The plan that undoes `run` (as `find_run` gives it), made against the target as it is now."""
    setup = FlowSetup.of(deployment, run["flow"])
    with open_systems(workspace, deployment) as systems:
        made = plan_undo(workspace, setup, systems, store, run["id"])
    return Plan(workspace.environment.name, (made,))


def plan_undo(workspace: Workspace, setup: FlowSetup, systems: Systems, store: StateStore, run_id: str) -> FlowPlan:
    """The undo of run `run_id` of this flow, against its target now. Reads only."""
    policy = setup.policy
    written = _written(store, run_id)
    keys = list(written)
    target = systems.client(policy.target)
    if not keys:
        actual = {}
    elif setup.target_reads:
        actual = read_actual(setup, target, keys)
    else:  # a target that keeps nothing to read back: what Tillsync last applied there stands for it
        actual = last_applied(setup, store.applied.documents(setup.deployment.name, setup.name, keys)).actual
    changes = undo(policy, run_id, list(written.values()), actual)
    deletes = [change.key for change in changes if change.action is Action.delete]
    if deletes and isinstance(target, DeleteGuard):
        changes = blocked(changes, target.refused_deletes(policy.entity, deletes), policy.target)
    return FlowPlan(
        environment=workspace.environment.name,
        integration=setup.deployment.name,
        flow=setup.name,
        entity=policy.entity,
        source=policy.source,
        target=policy.target,
        match=policy.match,
        changes=tuple(changes),
        spec_fingerprint=setup.spec_fingerprint(),
        partial=True,
        reconciled=False,
        undoes=run_id,
    )


def _written(store: StateStore, run_id: str) -> dict[tuple[str, ...], Written]:
    """What the run wrote, per record: the values before its first write of it, after its last."""
    written: dict[tuple[str, ...], Written] = {}
    for entry in store.activity.of_run(run_id):
        if entry.outcome != "done" or entry.action not in {action.value for action in WRITES}:
            continue
        first = written.get(entry.key)
        action = Action(entry.action) if first is None else first.action
        before = entry.before if first is None else first.before
        written[entry.key] = Written(entry.key, action, before, entry.applied)
    return written
