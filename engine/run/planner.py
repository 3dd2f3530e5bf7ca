"""One flow, from its systems to a plan: read, filter, map, read the target, diff against state.

Records last found unchanged whose fingerprints still hold are neither built nor mapped
(`engine.run.read`). Reads only; nothing here writes to a system or to the state store.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from engine.connector import Client, DeleteGuard, ReadFilter
from engine.keys import Key, fingerprint
from engine.mapping.desired import Desired, DesiredRecords
from engine.plan.diff import UNCHANGED, DiffPolicy, blocked, compared, gives_applied, held, ordered, removed
from engine.plan.model import Action, Change, Document, Fingerprints, FlowPlan
from engine.records import Entity
from engine.run.flow import FlowSetup
from engine.run.progress import Observer, Step, silent
from engine.run.read import (
    KeyMoved,
    SourceRecords,
    TargetRecords,
    found_unchanged,
    last_applied,
    read_source,
    read_target,
    spec_version,
    target_version,
)
from engine.run.reconcile import edited_in_target, reads_changed_only, settled_with
from engine.run.recovery import held_reason
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
    progress: Observer = silent,
    full: bool = False,
) -> FlowPlan:
    """The plan of one flow. `only` narrows it to some of its keys (a retry of dead letters);
    `source_keys` to the source records with these keys (those a webhook event names). A flow with a
    `reconcile` schedule reads its whole target when one is due or `full` asks, else only what may
    have changed (`engine.run.reconcile`). `progress` hears of the records read from each side, and
    of the records planned."""
    with _without_cycle_collection():
        try:
            made = _plan_flow(workspace, setup, systems, store, only, source_keys, progress, full, defer=True)
        except KeyMoved:  # a record built late mapped to a key the target was not read for: made again
            made = _plan_flow(workspace, setup, systems, store, only, source_keys, progress, full, defer=False)
    progress(Step(setup.label, "planned", len(made.changes), len(made.changes)))
    return made


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A plan makes hundreds of thousands of objects that live until it is done; the cyclic collector
    would walk them again and again (half the planning time of 10,000 products). Reference counting
    still frees what is dropped; what cycles there are wait for the collector until the plan is made.
    Then what is left (the plan) goes straight to the oldest generation, as a long-lived object would
    after surviving two collections: not walked by a young one first (a twentieth of a plan's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # every tracked object set aside, the young collection's count back to 0 …
            gc.unfreeze()  # … and back, all of them now in the oldest generation
            gc.enable()


def _plan_flow(
    workspace: Workspace,
    setup: FlowSetup,
    systems: Systems,
    store: StateStore,
    only: set[Key] | None,
    source_keys: Sequence[Key] | None,
    progress: Observer,
    full: bool,
    defer: bool,
) -> FlowPlan:
    policy = setup.policy
    name, flow = setup.deployment.name, setup.deployment.flow(setup.name)
    since = None
    partial = only is not None or source_keys is not None
    changed_only = reads_changed_only(setup, store, full=full, partial=partial)
    # records the target reported edited, read there again; their source is read whole to match them
    edited = set()
    if changed_only and setup.target_reads:
        edited = edited_in_target(setup, store, systems.client(policy.target))
    # A partial read cannot tell what is gone; records in dead letters may lie before the cursor.
    incremental = not partial and not edited and policy.delete is DeletePolicy.never
    if incremental and not store.dead_letters.open(name, setup.name):
        since = _with_overlap(store.applied.cursor(name, setup.name))
    wanted = ReadFilter(tuple(flow.status) if flow.status else None, since)
    spec, version = spec_version(setup), target_version(setup)
    remembered = store.applied.keys(name, setup.name, spec, version)
    known = remembered.unchanged if setup.keyed else {}
    # Where the key a record maps to is known from its own key, the target is read before the source is built,
    # and the source built a chunk at a time as the diff reaches it: never held built whole.
    defer = defer and not partial and not changed_only and setup.keys_known_unbuilt
    source = read_source(setup, systems.client(policy.source), known, spec, source_keys, wanted, progress, defer)
    desired, held, applied_keys = source.desired, source.held, remembered.keys
    if only is not None:
        desired.only(only)
        held = {key: item for key, item in held.items() if key in only}
        applied_keys = applied_keys & only
    if source_keys is not None:  # what was not read is neither gone nor to be touched
        read = {item.key for item in desired.items.values()} | desired.filtered | set(held)
        applied_keys = applied_keys & read
    # Target records as when last found in step, of records remembered under another spec version (the
    # spec was edited): what their source maps to is found again, but most often to what was applied.
    # Not of records whose source changed under this one: they seldom give what was applied.
    as_applied = {memory.target: memory.key for memory in known.values()
                  if memory.source is None and memory.target is not None}  # fmt: skip
    settled: dict[Key, Document] = {}  # built, and giving what was last applied: the target is not read for them
    if changed_only and setup.target_reads:
        for key in [key for key in held if key in edited]:  # its target's record is not as remembered
            source.build(held.pop(key)[0])
        if policy.entity is Entity.product:  # records held unbuilt were in step with others: no SKU shared anew
            desired.refuse_shared_skus()
        mapped = [item.key for item in desired.items.values() if item.record is not None]
        settled = {key: document for key, document in _settled(setup, store, desired, applied_keys).items()
                   if key not in edited}  # fmt: skip
        known_unchanged = dict.fromkeys([*held, *settled])
        gone = applied_keys - set(mapped) - set(held) if policy.delete is not DeletePolicy.never else set()
        wanted_keys = [key for key in mapped if key not in settled] + sorted(gone)
        target = read_target(setup, systems.client(policy.target), wanted_keys, {}, version, progress, unbuilt=True,
                             as_applied=as_applied)  # fmt: skip
    else:
        mapped = [item.key for item in desired.items.values() if item.record is not None]
        mapped += [setup.mapped_key(raw.key) for raw in source.deferred or ()]  # the keys they will map to
        wanted_keys = [*mapped, *held, *applied_keys]
        if setup.target_reads:
            target = read_target(setup, systems.client(policy.target), wanted_keys, held, version, progress,
                                 unbuilt=True, as_applied=as_applied)  # fmt: skip
        else:  # a target that cannot be read back: planned against what Tillsync last applied there
            target = last_applied(setup, store.applied.documents(name, setup.name, wanted_keys))
        for key, (raw, _) in held.items():
            if key not in target.unchanged:  # the target's record is not as remembered: built and diffed after all
                source.build(raw)
        known_unchanged = target.unchanged
        if policy.entity is Entity.product and source.deferred is None:
            desired.refuse_shared_skus()
    if source.deferred is not None:
        chunks = _built_in_chunks(source, policy.entity, set(wanted_keys))
        changes, found = _diffed(setup, store, chunks, desired.filtered, target, applied_keys, known_unchanged)
    else:
        items = [item for item in desired.items.values() if item.record is None or item.key not in settled]
        try:
            changes, found = _diffed(setup, store, _in_chunks(items), desired.filtered, target, applied_keys,
                                     known_unchanged)  # fmt: skip
        except KeyMoved:  # the target's records, built whole as read, are diffed instead
            target = target.all_built()
            changes, found = _diffed(setup, store, _in_chunks(items), desired.filtered, target, applied_keys,
                                     known_unchanged)  # fmt: skip
    every = list(desired.items.values())
    changes = _guarded(changes, systems.client(policy.target), policy)
    changes = _held(changes, setup, store)
    unchanged = tuple(found[c.key] for c in changes if c.action is Action.unchanged and c.key in found)
    fingerprints = unchanged + remember_settled(every, settled)
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
        source_count=source.count,
        cursor=None if partial or not desired.stamps else max(desired.stamps),
        filtered_count=source.count - len(every) - (len(known_unchanged) - len(settled)) if only is None else 0,
        fingerprints=fingerprints if setup.keyed else (),
        partial=partial,
        reconciled=not partial and not changed_only,
    )


DIFF_CHUNK = 1_000  # records diffed at a time: only their target records and last-applied documents are held


def _in_chunks(items: Sequence[Desired]) -> Iterator[Sequence[Desired]]:
    for start in range(0, len(items), DIFF_CHUNK):
        yield items[start : start + DIFF_CHUNK]


def _built_in_chunks(source: SourceRecords, entity: Entity, read_for: set[Key]) -> Iterator[list[Desired]]:
    """The deferred source records built a chunk at a time (`SourceRecords.built`), each chunk's
    records let go once it is diffed. `KeyMoved` when one maps to a key the target was not read for."""
    desired, queue = source.desired, source.deferred or []
    for start in range(0, len(queue), DIFF_CHUNK):
        slots = source.built(start, min(start + DIFF_CHUNK, len(queue)))
        if entity is Entity.product:
            desired.refuse_shared_skus(slots)
        chunk = [desired.items[slot] for slot in slots]
        if any(item.record is not None and item.key not in read_for for item in chunk):
            raise KeyMoved
        yield chunk
        for slot, item in zip(slots, chunk, strict=True):  # the slot is kept: a key maps once
            desired.items[slot] = Desired(item.key, {}, error=item.error, skip=item.skip)


def _diffed(
    setup: FlowSetup,
    store: StateStore,
    chunks: Iterable[Sequence[Desired]],
    filtered: set[Key],
    target: TargetRecords,
    applied_keys: set[Key],
    known_unchanged: dict[Key, None],
) -> tuple[list[Change], dict[Key, Fingerprints]]:
    """The diff of a flow (`engine.plan.diff.diff`), a chunk of records at a time: only a chunk's
    target records are built and its last-applied documents loaded at once. With the fingerprints of
    the records found unchanged, by key, for apply to remember."""
    policy, name = setup.policy, setup.deployment.name
    compared_keys = applied_keys.difference(known_unchanged)  # known unchanged: no document to compare
    # in the order read (a file sorted by key, most often): the plan's sort then finds them in order
    changes = [Change(Action.unchanged, key, UNCHANGED) for key in known_unchanged]
    found: dict[Key, Fingerprints] = {}
    wanted = set(known_unchanged)
    for chunk in chunks:
        keys = {item.key for item in chunk}
        wanted |= keys
        fingerprinted = store.applied.fingerprinted(name, setup.name, sorted(keys & compared_keys))
        applied = {key: document for key, (document, _) in fingerprinted.items()}
        # target records known as last applied, and source records giving just that: unchanged, neither side compared
        settled = {item.key for item in chunk if item.key in target.as_applied and gives_applied(policy, item, applied)}
        target.settle(settled)
        made = [Change(Action.unchanged, key, UNCHANGED) for key in settled]
        rest = [item for item in chunk if item.key not in settled] if settled else chunk
        made += compared(policy, rest, target.take(keys - settled), applied)
        changes += made
        prints = {key: known for key, (_, known) in fingerprinted.items()}
        found.update((item.key, item) for item in found_unchanged(made, chunk, target, prints))
    gone = store.applied.documents(name, setup.name, sorted(compared_keys - wanted - filtered))
    changes += removed(policy, sorted(gone), target.take(gone))
    target.check_untaken()
    return ordered(changes), found


def _guarded(changes: list[Change], target: Client, policy: DiffPolicy) -> list[Change]:
    """The plan's deletes the target says it would refuse, shown as blocked (`DeleteGuard`)."""
    deletes = [change.key for change in changes if change.action is Action.delete]
    if not deletes or not isinstance(target, DeleteGuard):
        return changes
    return blocked(changes, target.refused_deletes(policy.entity, deletes), policy.target)


def _held(changes: list[Change], setup: FlowSetup, store: StateStore) -> list[Change]:
    """The plan's writes of records held for a person (a write in doubt: `engine.run.recovery`), shown
    as held with what their dead letters say was found."""
    name = setup.deployment.name
    keys = store.journal.held(name, setup.name)
    if not keys:
        return changes
    letters = {letter.key: letter.reason for letter in store.dead_letters.open(name, setup.name)}
    fallback = held_reason(setup.label, "an earlier write of it could not be settled")
    # a dead letter says it is held; the plan shows it as held already
    return held(changes, {key: (letters.get(key) or fallback).removeprefix("held: ") for key in keys})


def _settled(
    setup: FlowSetup, store: StateStore, desired: DesiredRecords, applied_keys: set[Key]
) -> dict[Key, Document]:
    """The last-applied documents of the records built that give what was last applied."""
    built = {item.key: item.record for item in desired.items.values() if item.record is not None}
    documents = store.applied.documents(setup.deployment.name, setup.name, sorted(built.keys() & applied_keys))
    return {key: document for key, document in documents.items() if settled_with(setup.policy, built[key], document)}


def remember_settled(desired: Sequence[Desired], settled: dict[Key, Document]) -> tuple[Fingerprints, ...]:
    """Records found to give what was last applied, without reading the target: for apply to remember,
    with no fingerprint of the target's record (the next reconciliation builds them again)."""
    return tuple(
        Fingerprints(item.key, *item.origin, "", fingerprint(settled[item.key]))
        for item in desired
        if item.key in settled and item.origin is not None and item.record is not None
    )
