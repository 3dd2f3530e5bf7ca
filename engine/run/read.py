"""Records still in step, told by fingerprint before they are built.

When a plan finds a record unchanged (the target holds what the source gives, and the state says
so already), apply remembers three fingerprints (`InStep`): of the source record as read, of the
target's record as read, and of the last-applied document. Both read fingerprints are sealed with
the flow's spec and Tillsync's version. The next plan reads both systems unbuilt (`RawRecord`)
and builds, maps and diffs only the records whose fingerprints differ. For the others the outcome
is known: a diff depends on nothing but those three inputs and the spec, and the same inputs gave
"unchanged" before. Building records is most of what a plan costs, and most records of most runs
are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version

from engine.connector import Client, RawRecord, read_raw
from engine.keys import Key, digest, fingerprint
from engine.mapping.desired import Desired, DesiredRecords
from engine.plan.model import UNCHANGED, Action, Change, InStep
from engine.records import Record
from engine.run.flow import FlowSetup

Held = tuple[RawRecord, InStep]  # a source record held unbuilt, and what was remembered of it


def seal_of(setup: FlowSetup) -> str:
    """What a read fingerprint is sealed with: a record read the same way means the same only
    under the same spec, settings and Tillsync."""
    return digest(f"{setup.spec_fingerprint()}:{version('tillsync')}")


def sealed(seal: str, raw: RawRecord) -> str:
    return seal + raw.fingerprint


@dataclass
class SourceRead:
    """The source read record by record: a record in step since it was remembered is held unbuilt
    (by target key); any other is built and mapped at once."""

    desires: DesiredRecords
    remembered: Mapping[Key, InStep]  # by the source record's own key
    seal: str
    unchanged: dict[Key, Held] = field(default_factory=dict)
    sources: dict[Key, Key | None] = field(default_factory=dict)  # source key → target key it is held for
    count: int = 0

    def add(self, raw: RawRecord) -> None:
        self.count += 1
        if raw.key in self.sources:  # a key read twice: neither record is taken as unchanged
            held = self.sources[raw.key]
            if held is not None:
                self.sources[raw.key] = None
                self.build(self.unchanged.pop(held)[0])
            self.build(raw)
            return
        memory = self.remembered.get(raw.key)
        if memory is None or memory.key in self.unchanged or memory.source != sealed(self.seal, raw):
            self.sources[raw.key] = None
            self.build(raw)
            return
        self.sources[raw.key] = memory.key
        self.unchanged[memory.key] = (raw, memory)

    def build(self, raw: RawRecord) -> None:
        self.desires.add(raw.build(), (raw.key, sealed(self.seal, raw)))

    def settle(self) -> None:
        """A record held unchanged keeps its key when another maps to it too: that one is the error,
        as the second of any two source records mapping to one key is."""
        for key in [key for key in self.unchanged if key in self.desires.items]:
            self.desires.give_way(key)


@dataclass
class TargetRead:
    actual: dict[Key, Record] = field(default_factory=dict)  # built: records that may have changed
    fingerprints: dict[Key, str] = field(default_factory=dict)  # sealed, of those built
    in_step: set[Key] = field(default_factory=set)  # both sides as remembered: not built


def read_target(
    setup: FlowSetup, client: Client, keys: Iterable[Key], unchanged: Mapping[Key, Held], seal: str
) -> TargetRead:
    """The target's records for these keys; those of records held unchanged whose target record is
    also as remembered are only noted as in step."""
    wanted = list(dict.fromkeys(keys))
    wanted_set = set(wanted)
    found = TargetRead()
    for raw in read_raw(client, setup.policy.entity, wanted if setup.keyed else None):
        read = sealed(seal, raw)
        held = unchanged.get(raw.key)
        if held is not None and held[1].target == read:
            found.in_step.add(raw.key)
            continue
        record = raw.build()
        key = setup.key_of(record)
        if key in wanted_set:
            found.actual[key] = record
            found.fingerprints[key] = read
    found.in_step -= found.actual.keys()  # a key the target holds twice is built and diffed
    return found


def found_in_step(
    changes: Iterable[Change], desired: Iterable[Desired], target: TargetRead, applied: Mapping[Key, object]
) -> tuple[InStep, ...]:
    """Records this plan built and found unchanged with the state current: for apply to remember."""
    origins = {item.key: item.origin for item in desired if item.origin is not None and item.record is not None}
    return tuple(
        InStep(change.key, origin[0], origin[1], target.fingerprints[change.key], fingerprint(applied[change.key]))
        for change in changes
        if change.action is Action.skip
        and change.rule == UNCHANGED
        and change.applied is None
        and (origin := origins.get(change.key)) is not None
        and change.key in target.fingerprints
        and change.key in applied
    )


def read_actual(setup: FlowSetup, target: Client, keys: Iterable[Key]) -> dict[Key, Record]:
    """The target's records for these keys, indexed by the flow's match key."""
    return read_target(setup, target, keys, {}, seal="").actual
