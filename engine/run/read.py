"""Reading a flow's source and target, with the fingerprint fast path.

When a plan finds a record unchanged (the target holds what the source gives, and the state says
so already), apply remembers three fingerprints (`Fingerprints`): of the source record as read, of
the target's record as read, and of the last-applied document. Both read fingerprints are taken
under the flow's spec version (its spec, settings and Tillsync's version), so a record read the
same way means the same only under the same spec. The next plan reads both systems unbuilt
(`RawRecord`) and builds, maps and diffs only the records whose fingerprints differ. For the others
the outcome is known: a diff depends on nothing but those three inputs and the spec, and the same
inputs gave "unchanged" before. Building records is most of what a plan costs, and most records of
most runs are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from importlib.metadata import version
from itertools import islice
from typing import Any

from pydantic import ValidationError

from engine.connector import Client, RawRecord, ReadFilter, as_raw, read_raw
from engine.errors import RecordError
from engine.keys import Key, digest, fingerprint
from engine.mapping.desired import Desired, DesiredRecords
from engine.plan.model import Action, Change, Fingerprints
from engine.records import MODELS, Record
from engine.run.flow import FlowSetup
from engine.run.progress import Observer, counted, silent
from engine.state import Remembered

Held = tuple[RawRecord, Remembered]  # a source record held unbuilt, and the fingerprints it still matches


def spec_version(setup: FlowSetup) -> str:
    """What a flow's source records' read fingerprints are taken under: what its plan depends on in
    the spec (`FlowSetup.meaning_fingerprint`) and Tillsync's version. An edit elsewhere in the spec
    file leaves what is remembered of the flow's records holding."""
    return digest(f"{setup.meaning_fingerprint()}:{version('tillsync')}")


def target_version(setup: FlowSetup) -> str:
    """What a flow's target records' read fingerprints are taken under: the target system and its
    settings, the flow's diff policy (which fields are compared, and how) and Tillsync's version. Not
    its mapping: a target record read the same way compares the same whatever the source maps to."""
    policy = setup.policy
    rules = {item.name: _as_data(getattr(policy, item.name)) for item in fields(policy)}
    settings = dict(setup.deployment.systems[policy.target].settings)
    return digest(f"{fingerprint([policy.target, settings, rules])}:{version('tillsync')}")


def _as_data(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value


def read_fingerprint(spec: str, raw: RawRecord) -> str:
    return spec + raw.fingerprint


@dataclass
class SourceRecords:
    """A flow's source as read: records still matching their fingerprints held unbuilt (by target
    key), every other record filtered and mapped."""

    desired: DesiredRecords
    spec: str
    held: dict[Key, Held] = field(default_factory=dict)
    count: int = 0
    # Records to build, in order, left unbuilt (`read_source(defer=True)`) to be built a chunk at a
    # time as the diff reaches them (`built`), so a large source is never held built whole. The first
    # `deferred_read` were read; the rest were held unchanged and found changed in the target.
    deferred: list[RawRecord] | None = None
    deferred_read: int = 0

    def build(self, raw: RawRecord) -> None:
        """Filter and map a record read unbuilt (or, when deferring, queue it to be); one that cannot
        be built is that record's error."""
        if self.deferred is not None:
            self.deferred.append(raw)
            return
        self._build(raw)

    def built(self, start: int, stop: int) -> list[Key]:
        """Build the deferred records from `start` to `stop`: the slots of what they came to in
        `desired.items`, in order. One read that maps to a key held unchanged is an error, as
        `read_source` makes it when building."""
        assert self.deferred is not None
        desired = self.desired
        before = len(desired.items)
        for position in range(start, stop):
            count = len(desired.items)
            self._build(self.deferred[position])
            added = next(reversed(desired.items)) if len(desired.items) > count else None
            if position < self.deferred_read and added is not None and added in self.held:
                desired.give_way(added)
        fresh = len(desired.items) - before
        return list(islice(reversed(desired.items), fresh))[::-1]

    def _build(self, raw: RawRecord) -> None:
        try:
            record = raw.build()
        except (RecordError, ValueError) as exc:  # ValueError: a connector's model validation
            self.desired.unreadable(raw.key, str(exc).splitlines()[0])
            return
        self.desired.add(record, (raw.key, read_fingerprint(self.spec, raw)))


def read_source(
    setup: FlowSetup,
    client: Client,
    known: Mapping[Key, Remembered],
    spec: str,
    keys: Sequence[Key] | None,
    wanted: ReadFilter,
    progress: Observer = silent,
    defer: bool = False,
) -> SourceRecords:
    """The source's records (those with `keys` when given); `known` is what is remembered of records
    last found unchanged under the spec version `spec`, by the source record's own key. With
    `defer`, the records to build are only queued (`SourceRecords.deferred`)."""
    source = SourceRecords(DesiredRecords(setup.matching), spec, deferred=[] if defer else None)
    holding: dict[Key, Key | None] = {}  # source key → the target key it is held for; None: built
    raws = read_raw(client, setup.policy.entity, keys, wanted)
    if keys is not None:
        asked = set(keys)
        raws = (raw for raw in raws if raw.key in asked)
    if setup.splits_variants:
        raws = _variants_apart(setup, raws)
    for raw in counted(raws, progress, setup.label, f"reading {setup.policy.source}"):
        source.count += 1
        if raw.key in holding:  # a key read twice: neither record is taken as unchanged
            target_key = holding[raw.key]
            if target_key is not None:
                holding[raw.key] = None
                source.build(source.held.pop(target_key)[0])
            source.build(raw)
            continue
        memory = known.get(raw.key)
        if memory is None or memory.key in source.held or memory.source != raw.fingerprint:
            holding[raw.key] = None
            source.build(raw)
            continue
        holding[raw.key] = memory.key
        source.held[memory.key] = (raw, memory)
    # A record held unchanged keeps its key when another maps to it too: that one is the error, as
    # the second of any two source records mapping to one key is.
    for key in [key for key in source.held if key in source.desired.items]:
        source.desired.give_way(key)
    source.deferred_read = len(source.deferred or ())
    return source


def _variants_apart(setup: FlowSetup, raws: Iterable[RawRecord]) -> Iterator[RawRecord]:
    """Each source product's variants as products of their own, each fingerprinted by itself."""
    for raw in raws:
        try:
            record = raw.build()
        except (RecordError, ValueError):
            yield raw  # built again by the plan: that record's error there
            continue
        yield from as_raw(setup.policy.entity, setup.as_read([record]))


class KeyMoved(Exception):
    """A target record kept unbuilt could not be built, or is not the record of the key it was read
    by: the target is built whole instead, as it was read (`TargetRecords.all_built`)."""


@dataclass
class TargetRecords:
    actual: dict[Key, Record] = field(default_factory=dict)  # built: records that may have changed
    fingerprints: dict[Key, str] = field(default_factory=dict)  # of those that may have changed, as read
    # as remembered, like their source record: not built; in the order read (the keys of a dict)
    unchanged: dict[Key, None] = field(default_factory=dict)
    # Records read and kept unbuilt (`read_target(unbuilt=True)`), in the order read with their read
    # fingerprints: built a few keys at a time as the diff takes them, and not kept, so a large
    # target is never held built whole. `slots`: a wanted key → its last record there.
    unbuilt: list[tuple[RawRecord, str]] = field(default_factory=list)
    slots: dict[Key, int] = field(default_factory=dict)
    wanted: set[Key] = field(default_factory=set)
    key_of: Callable[[Record], Key] | None = None
    taken: set[int] = field(default_factory=set)
    # Keys whose record was read unbuilt and is, by its fingerprint, the very text a plan last found in
    # step with the key's last-applied document: a record giving exactly that document is unchanged,
    # and its target record need not be built (`settle`).
    as_applied: set[Key] = field(default_factory=set)

    def keep(self, key: Key, raw: RawRecord, read: str) -> None:
        """A record of this key read and kept unbuilt, with its read fingerprint."""
        self.slots[key] = len(self.unbuilt)
        self.fingerprints[key] = read
        self.unbuilt.append((raw, read))

    def take(self, keys: Iterable[Key]) -> dict[Key, Record]:
        """The records of these keys; those kept unbuilt are built now. `KeyMoved` when one cannot be
        built, or is not the record of the key it was read by."""
        found = {}
        for key in keys:
            slot = self.slots.get(key)
            if slot is not None:
                found[key] = self._built(slot)
                self.taken.add(slot)
            elif key in self.actual:
                found[key] = self.actual[key]
        return found

    def settle(self, keys: Iterable[Key]) -> None:
        """These keys' records (`as_applied`) found unchanged without being built: taken as they are."""
        self.taken.update(self.slots[key] for key in keys)

    def check_untaken(self) -> None:
        """Build what no diff took, as a whole read builds every record: `KeyMoved` when one cannot be
        built, or is the record of a wanted key it was not read by."""
        for slot in range(len(self.unbuilt)):
            if slot not in self.taken:
                self._built(slot)

    def all_built(self) -> TargetRecords:
        """These records, every one built as a whole read builds them (an error raised where it would be)."""
        assert self.key_of is not None
        built = TargetRecords(dict(self.actual), {key: self.fingerprints[key] for key in self.actual}, self.unchanged)
        for raw, read in self.unbuilt:
            record = raw.build()
            key = self.key_of(record)
            if key in self.wanted:
                built.actual[key] = record
                built.fingerprints[key] = read
        return built

    def _built(self, slot: int) -> Record:
        assert self.key_of is not None
        raw = self.unbuilt[slot][0]
        try:
            record = raw.build()
        except Exception as exc:  # raised again by `all_built`, at the record where a whole read raises it
            raise KeyMoved from exc
        moved = self.key_of(record)
        if moved != raw.key and (moved in self.wanted or raw.key in self.wanted):
            raise KeyMoved
        return record


def read_target(
    setup: FlowSetup,
    client: Client,
    keys: Iterable[Key],
    held: Mapping[Key, Held],
    version: str,
    progress: Observer = silent,
    unbuilt: bool = False,
    as_applied: Mapping[str, Key] | None = None,
) -> TargetRecords:
    """The target's records for these keys, fingerprinted under the target version `version`; those of
    records held unchanged whose target record is also as remembered are only noted as unchanged. With
    `unbuilt`, a keyed flow's records are kept as read, to be built when the diff takes them
    (`TargetRecords.take`). `as_applied`: the read fingerprints (without the version) of target
    records when last found in step, by key; a record read with one is kept unbuilt and noted so."""
    wanted = list(dict.fromkeys(keys))
    wanted_set = set(wanted)
    found = TargetRecords()
    lazy = unbuilt and setup.keyed and not held
    # the target's records of records held unchanged, by their text's fingerprint when last in step
    in_step = {memory.target: memory.key for _, memory in held.values() if memory.target is not None}
    as_applied = as_applied or {}
    raws = read_raw(client, setup.policy.entity, wanted if setup.keyed else None)
    for raw in counted(raws, progress, setup.label, f"reading {setup.policy.target}"):
        if in_step and (same := in_step.get(raw.fingerprint)) is not None:
            # the very text of that key's record when last in step: its record, neither built nor its key read
            found.unchanged[same] = None  # the key loaded with it: a million keys are not held twice
            continue
        if as_applied and (key := as_applied.get(raw.fingerprint)) in wanted_set:
            assert key is not None
            if key not in found.slots:  # a key the target holds twice is built and diffed
                found.as_applied.add(key)
            found.keep(key, raw, read_fingerprint(version, raw))  # its key known without reading it
            continue
        if setup.keyed and raw.key not in wanted_set:  # a reader may hand out more than asked for
            continue
        read = read_fingerprint(version, raw)
        if lazy:
            found.as_applied.discard(raw.key)
            found.keep(raw.key, raw, read)
            continue
        record = raw.build()
        key = setup.key_of(record)
        if key in wanted_set:
            found.actual[key] = record
            found.fingerprints[key] = read
    for key in found.actual.keys() & found.unchanged.keys():  # a key the target holds twice is built and diffed
        del found.unchanged[key]
    for key in found.actual.keys() & found.slots.keys():  # held twice, one built as read: that one is diffed
        found.as_applied.discard(key)
        del found.slots[key]
    found.key_of, found.wanted = setup.key_of, wanted_set
    return found


def last_applied(setup: FlowSetup, documents: Mapping[Key, Mapping[str, Any]]) -> TargetRecords:
    """For a target that keeps nothing of a flow's records that can be read back: the records as
    Tillsync last applied them there, so a record applied once is found there, never made again."""
    model = MODELS[setup.policy.entity]
    found = TargetRecords()
    for key, document in documents.items():
        values = {name: value for name, value in document.items() if value is not None}
        try:
            found.actual[key] = model.model_validate(values)
        except ValidationError:  # the flow writes less than a whole record: kept as it was applied
            found.actual[key] = model.model_construct(**values)
    return found


def read_actual(setup: FlowSetup, target: Client, keys: Iterable[Key]) -> dict[Key, Record]:
    """The target's records for these keys, indexed by the flow's match key."""
    return read_target(setup, target, keys, {}, version="").actual


def found_unchanged(
    changes: Iterable[Change], desired: Iterable[Desired], target: TargetRecords, applied: Mapping[Key, str]
) -> tuple[Fingerprints, ...]:
    """Records this plan built and found unchanged with the state current (`applied`: the fingerprints
    of their last-applied documents): for apply to remember."""
    origins = {item.key: item.origin for item in desired if item.origin is not None and item.record is not None}
    return tuple(
        Fingerprints(change.key, *origin, target.fingerprints[change.key], applied[change.key])
        for change in changes
        if change.action is Action.unchanged
        and (origin := origins.get(change.key)) is not None
        and change.key in target.fingerprints
        and change.key in applied
    )
