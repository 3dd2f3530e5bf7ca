"""What a plan is: frozen values, sorted, and saved as a file so `apply --plan` does exactly what was
reviewed (`engine.plan.planfile` writes and reads them).

Each `Change` has an `action`, which is all apply looks at, and a `reason`, which only people read:
like Terraform's `ActionReason`, it must never drive what apply does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from engine.keys import Key
from engine.records import Entity

Document = dict[str, Any]


class Action(StrEnum):
    """What apply does with one record."""

    create = "create"  # write a record the target does not have
    update = "update"  # write the fields that differ
    conflict = "conflict"  # write, where both sides changed a field: the master's value
    archive = "archive"  # write the record archived: it is gone from the source
    delete = "delete"  # delete the record: it is gone from the source
    adopt = "adopt"  # write nothing; keep values changed in the target, and record them as applied
    record = "record"  # write nothing; the target already holds it: record it as applied
    unchanged = "unchanged"  # nothing: the target holds what the flow wants, and the state says so already
    skip = "skip"  # nothing: the record is left out on purpose (the reason says why)
    blocked = "blocked"  # nothing: the target refuses this delete (the reason, in its words, says why)
    # nothing: an earlier write of it may or may not have taken effect and the target cannot tell; it
    # waits for a person, who makes the target right and releases it with `tillsync retry`
    held = "held"
    error = "error"  # nothing: the source record cannot be synced; it goes to dead letters


WRITES = frozenset({Action.create, Action.update, Action.conflict, Action.archive, Action.delete})
RECORDS = frozenset({Action.adopt, Action.record})  # apply records the target's values, writing nothing
IN_STEP = frozenset({Action.unchanged, Action.adopt, Action.record})  # the target holds what the flow wants
# a plan lists these one by one; the rest it counts
SHOWN = WRITES | {Action.adopt, Action.blocked, Action.held, Action.error}
OUT_OF_STEP = WRITES | {Action.adopt}  # what a check counts as pending: the target does not hold it yet
ORDER = {action: index for index, action in enumerate(Action)}


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """A record a plan found unchanged, with the fingerprints that told it so: of the source record as
    read (under the flow's spec version), of the target's record as read, and of the last-applied
    document. While all three hold, the next plan knows the record is unchanged without building it."""

    key: Key
    source_key: Key  # the source record's own key
    source: str
    target: str
    applied: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    key: Key
    reason: str  # for people; never drives what apply does
    fields: tuple[FieldChange, ...] = ()  # what is written: before (the target's) → after
    kept: tuple[FieldChange, ...] = ()  # target values kept: before (the source's) → after (the target's)
    # create-only fields the source has changed, left alone: before (the target's) → after (the source's)
    left_alone: tuple[FieldChange, ...] = ()
    record: Document | None = None  # what apply writes (create, update, conflict, archive), whole
    applied: Document | None = None  # what the target holds for the flow's fields once applied; recorded
    source: Document | None = None  # the source record it came from


@dataclass(frozen=True)
class FlowPlan:
    environment: str
    integration: str
    flow: str
    entity: Entity
    source: str
    target: str
    match: tuple[str, ...]
    changes: tuple[Change, ...]
    spec_fingerprint: str  # the spec, environment and settings the plan was made under
    source_count: int = 0
    filtered_count: int = 0  # source records the status filter or `when` left out
    cursor: str | None = None  # the latest change read from the source; the next read starts there
    fingerprints: tuple[Fingerprints, ...] = ()  # records found unchanged, for apply to remember
    partial: bool = False  # only some records were read: those webhook events name, or dead letters
    # the whole target was read; False: only the records whose source changed since the last apply
    # (the others were taken to hold what was last applied), between two reconciliations
    reconciled: bool = True
    undoes: str | None = None  # the id of the run this plan undoes (`engine.plan.undo`); None: a sync

    @property
    def label(self) -> str:
        return f"{self.integration}/{self.flow}"

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)

    def counts(self) -> dict[str, int]:
        counted = Counter(change.action.value for change in self.changes)
        return {action.value: counted[action.value] for action in Action}

    @property
    def has_changes(self) -> bool:
        return any(change.action in SHOWN for change in self.changes)


@dataclass(frozen=True)
class Plan:
    """What a sync of some flows of an environment would do, flow by flow in the order they run."""

    environment: str
    flows: tuple[FlowPlan, ...]

    @property
    def has_changes(self) -> bool:
        return any(flow.has_changes for flow in self.flows)

    def counts(self) -> dict[str, int]:
        totals = {action.value: 0 for action in Action}
        for flow in self.flows:
            for action, count in flow.counts().items():
                totals[action] += count
        return totals
