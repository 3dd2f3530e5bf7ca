"""One flow, from its systems to a plan: read, filter, map, read the target, diff against state.

Records remembered in step whose fingerprints still hold are neither built nor mapped
(`engine.run.read`). Reads only; nothing here writes to a system or to the state store.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from engine.connector import ReadFilter, read_raw
from engine.keys import Key
from engine.mapping.desired import DesiredRecords
from engine.plan.diff import diff
from engine.plan.model import FlowPlan
from engine.run.flow import FlowSetup
from engine.run.read import SourceRead, found_in_step, read_target, seal_of
from engine.run.systems import Systems
from engine.run.workspace import Workspace
from engine.spec.models import DeletePolicy
from engine.state import StateStore

CURSOR_OVERLAP = timedelta(minutes=5)  # re-read a little: a change saved late is not missed


def _with_overlap(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return cursor
    return (moment - CURSOR_OVERLAP).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_flow(
    workspace: Workspace,
    setup: FlowSetup,
    systems: Systems,
    store: StateStore,
    only: set[Key] | None = None,
    source_keys: Sequence[Key] | None = None,
) -> FlowPlan:
    """The plan of one flow. `only` narrows it to some of its keys (a retry of dead letters);
    `source_keys` to the source records with these keys (those a webhook event names)."""
    with _without_cycle_collection():
        return _plan_flow(workspace, setup, systems, store, only, source_keys)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A plan makes hundreds of thousands of objects that live until it is done; the cyclic collector
    would walk them again and again (half the planning time of 10,000 products). Reference counting
    still frees what is dropped; what cycles there are wait for the collector until the plan is made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan_flow(
    workspace: Workspace,
    setup: FlowSetup,
    systems: Systems,
    store: StateStore,
    only: set[Key] | None,
    source_keys: Sequence[Key] | None,
) -> FlowPlan:
    policy = setup.policy
    name, flow = setup.deployment.name, setup.deployment.flow(setup.name)
    since = None
    partial = only is not None or source_keys is not None
    if not partial and policy.delete is DeletePolicy.never:  # a partial read cannot tell what is gone
        since = _with_overlap(store.cursor(name, setup.name))
    reading = ReadFilter(tuple(flow.status) if flow.status else None, since)
    remembered = store.remembered(name, setup.name)
    seal = seal_of(setup)
    source = SourceRead(DesiredRecords(setup.matching), remembered.in_step if setup.keyed else {}, seal)
    for raw in read_raw(systems.client(policy.source), policy.entity, source_keys, reading):
        source.add(raw)
    source.settle()
    desires, unchanged, applied_keys = source.desires, source.unchanged, remembered.applied
    if only is not None:
        desires.only(only)
        unchanged = {key: held for key, held in unchanged.items() if key in only}
        applied_keys = applied_keys & only
    if source_keys is not None:  # what was not read is neither gone nor to be touched
        read = {item.key for item in desires.items.values()} | desires.filtered | set(unchanged)
        applied_keys = applied_keys & read
    wanted = [item.key for item in desires.items.values() if item.record is not None]
    target = read_target(setup, systems.client(policy.target), [*wanted, *unchanged, *applied_keys], unchanged, seal)
    for key, (raw, _) in unchanged.items():
        if key not in target.in_step:  # the target's record is not as remembered: built and diffed after all
            source.build(raw)
    desired = list(desires.items.values())
    applied = store.applied(name, setup.name, sorted(applied_keys - target.in_step))
    changes = diff(policy, desired, desires.filtered, target.actual, applied, target.in_step)
    written_keys = [change.key for change in changes if change.writes]
    return FlowPlan(
        environment=workspace.environment.name,
        integration=name,
        flow=setup.name,
        entity=policy.entity,
        source=policy.source,
        target=policy.target,
        match=policy.match,
        changes=tuple(changes),
        spec_fingerprint=setup.spec_fingerprint(),
        target_fingerprint=setup.target_fingerprint(target.actual, written_keys),
        source_count=source.count,
        cursor=None if partial or not desires.stamps else max(desires.stamps),
        filtered_count=source.count - len(desired) - len(target.in_step) if only is None else 0,
        in_step=found_in_step(changes, desired, target, applied) if setup.keyed else (),
    )
