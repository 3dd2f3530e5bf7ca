"""Apply: execute a plan, exactly as it stands; never make one.

Errors go to dead letters, records the target already holds (or whose target values the flow
keeps) are recorded as applied, records found unchanged are remembered by their fingerprints, and
the writes go out in batches the target takes in one call, each journaled intent → outcome. A
record the target refuses goes to dead letters with the target's own words and the run goes on; a
fatal connector error stops the run after recording what was done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.connector import WriteAhead, WriteInterrupted, WriteOutcome
from engine.errors import ConnectorError, CredentialsRefusedError, FatalConnectorError
from engine.keys import Key
from engine.plan import tally
from engine.plan.model import IN_STEP, RECORDS, WRITES, Action, Change, FlowPlan
from engine.records import MODELS, Record
from engine.run.flow import FlowSetup
from engine.run.progress import Observer, Step, silent
from engine.run.recovery import held_reason
from engine.run.systems import Systems
from engine.run.workspace import Workspace
from engine.state import Failed, StateStore, Written

DEFAULT_BATCH = 100  # records per write, unless the flow or the target says otherwise

# Called at each step of a write with the step's name; tests replace it to kill the process there.
checkpoint: Callable[[str], None] = lambda step: None  # noqa: E731


@dataclass
class FlowRun:
    """One run of one flow, under its lock: its setup, open systems, the state, and its row in runs."""

    workspace: Workspace
    setup: FlowSetup
    systems: Systems
    store: StateStore
    run_id: str
    kind: str  # apply | retry | event
    recovered: int = 0  # writes of an interrupted run found done in the target
    started: float = field(default_factory=time.perf_counter)
    calls_before: int = 0
    progress: Observer = silent  # hears of the records read, planned and written

    @property
    def integration(self) -> str:
        return self.setup.deployment.name

    @property
    def flow(self) -> str:
        return self.setup.name


@dataclass(frozen=True)
class ApplyResult:
    integration: str
    flow: str
    run_id: str
    counts: dict[str, int]  # each change of the plan once, by outcome (`engine.plan.tally`)
    failures: tuple[tuple[Key, str], ...]
    duration_s: float
    api_calls: int
    recovered: int = 0  # writes of an interrupted run found done in the target
    plan: FlowPlan | None = field(default=None, repr=False)
    stopped: str | None = None  # why the run stopped before every write was made (they stay planned)
    credentials_refused: bool = False  # it stopped because the target refused the credentials

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped is None

    def summary(self) -> dict[str, object]:
        return {
            **self.counts,
            "duration_s": round(self.duration_s, 3),
            "api_calls": self.api_calls,
            "recovered": self.recovered,
            **({"stopped": self.stopped} if self.stopped else {}),
        }


def apply_plan(run: FlowRun, plan: FlowPlan, shown: FlowPlan | None = None) -> ApplyResult:
    """Do what `plan` says, and only that. The counts are of outcomes, each change once
    (`tally.count`): a write counts as done once the target took it, as failed when it went to dead
    letters, as not reached when a connector error stopped the flow first; they are in the words of
    `shown`, the plan a person saw, when apply makes it as planned again (`engine.plan.staleness`)."""
    done: list[Written] = []
    failures: list[Failed] = []
    stopped, refused = None, False
    try:
        _execute(run, plan, done, failures)
    except FatalConnectorError as exc:
        stopped, refused = str(exc), isinstance(exc, CredentialsRefusedError)
    else:
        if plan.cursor:  # a stopped run leaves the cursor where it was: what it did not reach is read again
            run.store.applied.set_cursor(run.integration, run.flow, plan.cursor)
        if plan.reconciled:  # the whole target was read, and what it showed is applied: the next may read less
            run.store.applied.set_reconciled(run.integration, run.flow)
    failed = {item.key for item in failures}
    reached = failed | {item.key for item in done}
    not_reached = {change.key for change in plan.changes if change.action in WRITES} - reached
    counts = tally.count((shown or plan).changes, failed, not_reached)
    return ApplyResult(
        run.integration, run.flow, run.run_id, counts, tuple((f.key, f.reason) for f in failures),
        time.perf_counter() - run.started, run.systems.calls() - run.calls_before, run.recovered, plan, stopped,
        refused,
    )  # fmt: skip


def _execute(run: FlowRun, plan: FlowPlan, done: list[Written], failures: list[Failed]) -> None:
    store, name, flow = run.store, run.integration, run.flow
    changes = plan.changes
    errors = [Failed(c.key, c.action.value, c.reason, source=c.source) for c in changes if c.action is Action.error]
    there = [Written(c.key, c.action.value, c.applied, source=c.source) for c in changes if c.action in RECORDS]
    store.record_batch(run.run_id, name, flow, written=there, failed=errors)
    store.applied.remember_unchanged(name, flow, plan.fingerprints)
    store.dead_letters.resolve(name, flow, [c.key for c in plan.changes if c.action in IN_STEP - RECORDS])
    failures.extend(errors)
    writes = [change for change in plan.changes if change.action in WRITES]
    size = run.setup.deployment.flow(flow).settings.batch_size or run.setup.batch or DEFAULT_BATCH
    writing = f"writing {plan.target}"
    if writes:
        run.progress(Step(plan.label, writing, 0, len(writes)))
    for start in range(0, len(writes), size):
        batch = writes[start : start + size]
        notes = _notes(run.setup, run.systems, batch)
        ids = store.journal.intend(run.run_id, name, flow, [(c.key, c.action.value, c.record) for c in batch], notes)
        checkpoint("intent")
        written, failed, in_doubt, fatal = _write(run.setup, run.systems, batch)
        checkpoint("written")
        holding = [entry for entry, change in zip(ids, batch, strict=True) if change.key in in_doubt]
        settled = [entry for entry in ids if entry not in holding]
        store.record_batch(run.run_id, name, flow, done=settled, held=holding, written=written, failed=failed)
        checkpoint("settled")
        done.extend(written)
        failures.extend(failed)
        run.progress(Step(plan.label, writing, start + len(batch), len(writes)))
        if fatal is not None:
            raise fatal


def _notes(setup: FlowSetup, systems: Systems, batch: Sequence[Change]) -> list[Mapping[str, Any] | None] | None:
    """What the target's client notes before this batch goes out, to settle it by should the run stop
    between sending and recording (`WriteAhead`); None for a client that needs none. A record the
    client cannot take gets no note: `_write` reports it."""
    client = systems.client(setup.policy.target)
    if not isinstance(client, WriteAhead):
        return None
    records: list[Record] = []
    positions: list[int] = []
    for index, change in enumerate(batch):
        if change.action is Action.delete:
            continue
        try:
            records.append(MODELS[setup.policy.entity].model_validate(change.record))
        except ValueError:
            continue
        positions.append(index)
    notes: list[Mapping[str, Any] | None] = [None] * len(batch)
    for index, note in zip(positions, client.note_before_write(setup.policy.entity, records), strict=True):
        notes[index] = note
    return notes


def _write(
    setup: FlowSetup, systems: Systems, batch: Sequence[Change]
) -> tuple[list[Written], list[Failed], set[Key], ConnectorError | None]:
    """Send one batch; every change ends up written or failed, never lost. A write the target's
    client cannot tell took effect or not (`WriteOutcome.held`) fails held for a person: its key is
    among those returned, and its journal entry says so, so no run sends it again until released."""
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
            sending = [change for change, _ in upserts]
            try:
                outcomes = client.write(entity, [record for _, record in upserts])
            except WriteInterrupted as stopped:  # what it settled before the cause stopped it
                by_key = {outcome.key: outcome for outcome in stopped.outcomes}
                pairs += [(change, by_key[change.key]) for change in sending if change.key in by_key]
                raise stopped.cause from None
            pairs += list(zip(sending, outcomes, strict=True))
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
    held: set[Key] = set()
    for change, outcome in pairs:
        sent = change.record if outcome.sent is None else dict(outcome.sent)
        if outcome.held:
            held.add(change.key)
        if outcome.error:  # the reason goes with the entry (`StateStore.record_batch`); no id was made
            reason = held_reason(setup.label, outcome.error) if outcome.held else outcome.error
            failed.append(Failed(change.key, change.action.value, reason, change.record, change.source,
                                 sent, dict(outcome.response) or None))  # fmt: skip
        else:
            written.append(Written(change.key, change.action.value, change.applied, change.source, sent,
                                   dict(outcome.response) or {"id": outcome.target_id}, _before(change)))  # fmt: skip
    return written, failed, held, fatal


def _before(change: Change) -> dict[str, Any] | None:
    """What an undo of this write needs of the target as it was: the values of the fields written ({} for a
    record it did not hold); None for a delete, whose record is not kept."""
    if change.action is Action.delete:
        return None
    if change.action is Action.create:
        return {}
    return {item.field: item.before for item in change.fields}
