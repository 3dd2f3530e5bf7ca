"""The plan: a three-way diff of desired (mapped source), actual (target) and last applied (state).

Per match key, one `Change`: create, update with only the changed fields, skip, archive or
delete where the delete policy allows, conflict where both sides changed a field since the last
apply in a two-way flow, or error where the source record cannot be mapped. Each change carries
before → after per field and the rule that produced it. A plan is a value: frozen, sorted, and
saved as JSON so `apply --plan` does exactly what was reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from engine.keys import Key
from engine.records import Entity

Document = dict[str, Any]


class Action(StrEnum):
    create = "create"
    update = "update"
    conflict = "conflict"
    archive = "archive"
    delete = "delete"
    error = "error"
    skip = "skip"


UNCHANGED = "unchanged"  # the rule of a skip: the target holds what the source gives
WRITES = (Action.create, Action.update, Action.conflict, Action.archive, Action.delete)
ORDER = {action: index for index, action in enumerate(Action)}


@dataclass(frozen=True, slots=True)
class InStep:
    """A record a plan found in step, with the fingerprints that told it so: of the source record as
    read (with the flow's spec), of the target's record as read, and of the last-applied document.
    While all three hold, the next plan knows the record is still in step without building it."""

    key: Key
    source_key: Key  # the source record's own key
    source: str
    target: str
    document: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    rule: str = ""


@dataclass(frozen=True)
class Change:
    action: Action
    key: Key
    rule: str
    fields: tuple[FieldChange, ...] = ()
    record: Document | None = None  # what is written (create/update/conflict/archive), whole
    applied: Document | None = None  # what the target then holds for the flow's fields
    source: Document | None = None  # the source record it came from

    @property
    def writes(self) -> bool:
        return self.action in WRITES and (self.record is not None or self.action is Action.delete)


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
    spec_fingerprint: str
    target_fingerprint: str
    source_count: int = 0
    filtered_count: int = 0  # source records the status filter or `when` left out
    cursor: str | None = None  # the latest change read from the source; the next read starts there
    in_step: tuple[InStep, ...] = ()  # records found unchanged, for apply to remember (see `InStep`)

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)

    @property
    def has_changes(self) -> bool:
        return any(change.action is not Action.skip for change in self.changes)

    def to_json(self) -> Document:
        data = asdict(self)
        data["changes"] = [_change_json(change) for change in self.changes]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlowPlan:
        changes = tuple(
            Change(
                action=Action(c["action"]),
                key=tuple(c["key"]),
                rule=c["rule"],
                fields=tuple(FieldChange(**f) for f in c.get("fields", ())),
                record=c.get("record"),
                applied=c.get("applied"),
                source=c.get("source"),
            )
            for c in data["changes"]
        )
        in_step = tuple(
            InStep(**{**item, "key": tuple(item["key"]), "source_key": tuple(item["source_key"])})
            for item in data.get("in_step", ())
        )
        values = {**data, "entity": Entity(data["entity"]), "match": tuple(data["match"]), "changes": changes,
                  "in_step": in_step}  # fmt: skip
        return cls(**values)


def _change_json(change: Change) -> Document:
    data = asdict(change)
    data["key"] = list(change.key)
    return {name: value for name, value in data.items() if value not in (None, [], ())}
