"""Apply: make exactly the planned changes, in batches, each write journaled intent → done.

Under the flow's lock, an apply first settles what an earlier run left in doubt (intents without
a done: the process died mid-write) by looking at the target, then plans afresh (or checks that a
saved plan still holds), then writes. A record the target refuses goes to dead letters with the
reason and the run goes on; a fatal connector error stops the run after recording what was done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.connector import WriteOutcome
from engine.errors import ConnectorError, FatalConnectorError, TillsyncError
from engine.plan.diff import project
from engine.plan.model import UNCHANGED, Action, Change, FlowPlan
from engine.records import MODELS, Record
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.read import read_actual
from engine.run.systems import Systems
from engine.run.workspace import Workspace
from engine.state import Failed, StateStore, Written

DEFAULT_BATCH = 100  # records per write, unless the flow or the target says otherwise

# Called at each step of a write with the step's name; tests replace it to kill the process there.
checkpoint: Callable[[str], None] = lambda step: None  # noqa: E731


class StalePlanError(TillsyncError):
    """A saved plan no longer describes what apply would do."""


@dataclass(frozen=True)
class ApplyResult:
    integration: str
    flow: str
    run_id: str
    counts: dict[str, int]
    failures: tuple[tuple[tuple[str, ...], str], ...]
    duration_s: float
    api_calls: int
    recovered: int = 0  # writes of an interrupted run found done in the target
    plan: FlowPlan | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> dict[str, object]:
        return {
            **self.counts,
            "failed": len(self.failures),
            "duration_s": round(self.duration_s, 3),
            "api_calls": self.api_calls,
            "recovered": self.recovered,
        }


def apply_flow(
    workspace: Workspace,
    setup: FlowSetup,
    systems: Systems,
    store: StateStore,
    saved: FlowPlan | None = None,
    only: set[tuple[str, ...]] | None = None,
    kind: str = "apply",
    source_keys: Sequence[tuple[str, ...]] | None = None,
) -> ApplyResult:
    started = time.perf_counter()
    calls_before = systems.calls()
    name, flow = setup.deployment.name, setup.name
    with store.lock(name, flow):
        run_id = store.start_run(name, flow, kind, setup.deployment.digest)
        try:
            recovered = _recover(setup, systems, store, run_id)
            if saved:
                plan = _checked(saved, setup, systems)
            else:
                plan = plan_flow(workspace, setup, systems, store, only, source_keys)
            failures = _execute(plan, setup, systems, store, run_id)
            if plan.cursor:
                store.set_cursor(name, flow, plan.cursor)
            if only is not None:  # dead letters of records no longer in the source have nothing to retry
                store.resolve_dead_letters(name, flow, list(only - {change.key for change in plan.changes}))
        except BaseException as exc:
            store.finish_run(run_id, "failed", {"error": str(exc)})
            raise
        counts = {action.value: plan.count(action) for action in Action if action is not Action.error}
        result = ApplyResult(
            name, flow, run_id, counts, tuple((f.key, f.reason) for f in failures),
            time.perf_counter() - started,
            systems.calls() - calls_before, recovered, plan,
        )  # fmt: skip
        store.finish_run(run_id, "succeeded" if result.ok else "failed", result.summary())
    return result


def _checked(saved: FlowPlan, setup: FlowSetup, systems: Systems) -> FlowPlan:
    if saved.spec_fingerprint != setup.spec_fingerprint():
        raise StalePlanError(
            f"{saved.integration}/{saved.flow}: the spec or its environment changed since the plan was made; plan again"
        )
    keys = [change.key for change in saved.changes if change.writes]
    actual = read_actual(setup, systems.client(setup.policy.target), keys)
    if setup.target_fingerprint(actual, keys) != saved.target_fingerprint:
        raise StalePlanError(
            f"{saved.integration}/{saved.flow}: {setup.policy.target} changed since the plan was made; plan again"
        )
    return saved


def _recover(setup: FlowSetup, systems: Systems, store: StateStore, run_id: str) -> int:
    """Settle intents an interrupted run left open: done if the target shows the write, else abandoned
    (the fresh plan that follows does it again)."""
    entries = store.open_intents(setup.deployment.name, setup.name)
    if not entries:
        return 0
    actual = read_actual(setup, systems.client(setup.policy.target), [e.key for e in entries])
    written, done, abandoned = [], [], []
    for entry in entries:
        current = actual.get(entry.key)
        if entry.action == Action.delete.value:
            landed, document = current is None, None
        else:
            document = _applied_document(setup, entry.document)
            landed = current is not None and project(current, setup.policy.fields) == document
        if landed:
            done.append(entry.id)
            written.append(Written(entry.key, entry.action, document, None, sent=entry.document,
                                   response={"recovered_from_run": entry.run_id}))  # fmt: skip
        else:
            abandoned.append(entry.id)
    store.settle(run_id, setup.deployment.name, setup.name, done, written, [], abandoned)
    return len(done)


def _applied_document(setup: FlowSetup, document: object) -> dict[str, object] | None:
    if not isinstance(document, dict):
        return None
    return project(MODELS[setup.policy.entity].model_validate(document), setup.policy.fields)


def _execute(plan: FlowPlan, setup: FlowSetup, systems: Systems, store: StateStore, run_id: str) -> list[Failed]:
    name, flow = setup.deployment.name, setup.name
    errors = [Failed(c.key, c.action.value, c.rule, source=c.source) for c in plan.changes if c.action is Action.error]
    adopted = [
        Written(c.key, "adopt", c.applied, None, source=c.source)
        for c in plan.changes
        if c.action is Action.skip and c.applied is not None
    ]
    store.settle(run_id, name, flow, [], adopted, errors)
    store.remember(name, flow, plan.in_step)
    in_sync = [c.key for c in plan.changes if c.action is Action.skip and c.rule == UNCHANGED]
    store.resolve_dead_letters(name, flow, in_sync)
    failures = list(errors)
    writes = [change for change in plan.changes if change.writes]
    size = setup.deployment.flow(flow).settings.batch_size or setup.batch or DEFAULT_BATCH
    for start in range(0, len(writes), size):
        batch = writes[start : start + size]
        ids = store.intend(run_id, name, flow, [(c.key, c.action.value, c.record) for c in batch])
        checkpoint("intent")
        written, failed, fatal = _write(setup, systems, batch)
        checkpoint("written")
        store.settle(run_id, name, flow, ids, written, failed)
        checkpoint("settled")
        failures.extend(failed)
        if fatal is not None:
            raise fatal
    return failures


def _write(
    setup: FlowSetup, systems: Systems, batch: Sequence[Change]
) -> tuple[list[Written], list[Failed], ConnectorError | None]:
    """Send one batch; every change ends up written or failed, never lost."""
    client = systems.client(setup.policy.target)
    entity = setup.policy.entity
    written: list[Written] = []
    failed: list[Failed] = []
    upserts: list[tuple[Change, Record]] = []
    for change in batch:
        if change.action is Action.delete:
            continue
        try:
            upserts.append((change, MODELS[entity].model_validate(change.record)))
        except ValueError as exc:
            failed.append(Failed(change.key, change.action.value, f"invalid record: {exc}", change.record,
                                 change.source, change.record))  # fmt: skip
    deletes = [change for change in batch if change.action is Action.delete]
    fatal: ConnectorError | None = None
    pairs: list[tuple[Change, WriteOutcome]] = []
    try:
        if upserts:
            outcomes = client.write(entity, [record for _, record in upserts])
            pairs += list(zip([change for change, _ in upserts], outcomes, strict=True))
        if deletes:
            outcomes = client.delete(entity, [change.key for change in deletes])
            pairs += list(zip(deletes, outcomes, strict=True))
    except ConnectorError as exc:
        settled = {change.key for change, _ in pairs} | {item.key for item in failed}
        reason = f"{type(exc).__name__}: {exc}"
        for change in batch:
            if change.key not in settled:
                failed.append(Failed(change.key, change.action.value, reason, change.record, change.source,
                                     change.record))  # fmt: skip
        fatal = exc if isinstance(exc, FatalConnectorError) else None
    for change, outcome in pairs:
        response = dict(outcome.response) or {"id": outcome.target_id}
        if outcome.error:
            failed.append(Failed(change.key, change.action.value, outcome.error, change.record, change.source,
                                 change.record, response))  # fmt: skip
        else:
            written.append(Written(change.key, change.action.value, change.applied, outcome.target_id,
                                   change.source, change.record, response))  # fmt: skip
    return written, failed, fatal
