"""The inverse of an applied run, as changes: pure, like the diff, and three-way like it.

For each record a run wrote, three sides: the target's values before the run (`Written.before`,
kept in the activity log), what the run left there (`Written.after`) and the target's record now.

- a field the run changed is set back to its value before, where the target still holds what the run
  wrote; a record the run archived is brought back the same way (its status set back);
- a record the run created is archived or deleted where the flow's delete policy allows (`archive`
  where the record has a status, `delete`), and the target lets it (a `DeleteGuard` is asked after);
- a record changed in the target since the run is a conflict: shown as blocked, with the values then
  and now, never overwritten;
- what cannot be undone is shown as blocked with why: orders (a till or ERP books them; they are
  cancelled or credited there), records of a target that never changes them once made, deleted
  records (Tillsync keeps no copy to make them again), and writes logged before the values before a
  write were kept.

`Change.reason` says all of this to people; apply only reads the action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.keys import Key
from engine.plan.diff import DiffPolicy, project, restricted
from engine.plan.model import ORDER, Action, Change, Document, FieldChange
from engine.records import Entity, Record
from engine.spec.models import DeletePolicy

SHOWN_VALUES = 3  # fields a conflict names, at most


@dataclass(frozen=True)
class Written:
    """One record an applied run wrote, as its activity entry keeps it."""

    key: Key
    action: Action  # create, update, conflict, archive or delete
    before: Document | None  # the target's values of the fields written, before ({} for a create); None: not kept
    after: Document | None  # the flow's fields as the run left them in the target


def undo(policy: DiffPolicy, run: str, written: Sequence[Written], actual: Mapping[Key, Record]) -> list[Change]:
    """The changes that take the target back to before `run` (its id), record by record, given the
    target's records now (`actual`, by match key); sorted by action then key, as a plan is."""
    changes = [_undo_one(policy, run[:8], item, actual.get(item.key)) for item in written]
    return sorted(changes, key=lambda change: (ORDER[change.action], change.key))


def _undo_one(policy: DiffPolicy, run: str, item: Written, current: Record | None) -> Change:
    target = policy.target
    if policy.entity is Entity.order:
        return _not_undoable(item, f"an order booked in {target} is not taken back by Tillsync; cancel or credit it "
                                   f"in {target}")  # fmt: skip
    if not policy.updates:
        return _not_undoable(item, f"{target} does not change {policy.entity.value} records once made")
    if item.action is Action.delete:
        return _not_undoable(item, f"run {run} deleted it, and Tillsync keeps no copy to make it again; the next "
                                   "sync makes it again while its source has it")  # fmt: skip
    if item.before is None or item.after is None:
        return _not_undoable(item, f"run {run} was logged before Tillsync kept the values a write replaced")
    if current is None:
        if item.action is Action.create:
            return Change(Action.skip, item.key, f"gone from {target} since run {run}; nothing to undo")
        return _not_undoable(item, f"gone from {target} since run {run}; nothing to set back")
    have = project(current, policy.fields)
    moved = _changed_since(policy, item, have)
    if moved:
        return Change(Action.blocked, item.key, f"conflict: changed in {target} since run {run} ({moved}); left as "
                                                "it is")  # fmt: skip
    if item.action is Action.create:
        return _remove(policy, run, item, current)
    return _set_back(policy, run, item, current, have)


def _not_undoable(item: Written, why: str) -> Change:
    return Change(Action.blocked, item.key, f"cannot be undone: {why}")


def _changed_since(policy: DiffPolicy, item: Written, have: Document) -> str:
    """The fields the target changed since the run wrote them, as `field: run wrote X, now Y`; "" for none."""
    after = item.after or {}
    names = list(after) if item.action is Action.create else list(item.before or {})
    moved = [
        (name, after.get(name), have.get(name))
        for name in names
        if name in have and after.get(name) is not None and _now(policy, name, have, after) != after.get(name)
    ]
    said = [f"{name}: run wrote {_short(then)}, now {_short(now)}" for name, then, now in moved[:SHOWN_VALUES]]
    more = f"; and {len(moved) - SHOWN_VALUES} more" if len(moved) > SHOWN_VALUES else ""
    return "; ".join(said) + more


def _now(policy: DiffPolicy, name: str, have: Document, after: Document) -> Any:
    """The target's value now, without what only the target keeps (as the diff compares)."""
    return restricted(policy, name, have[name], after[name])


def _remove(policy: DiffPolicy, run: str, item: Written, current: Record) -> Change:
    """A record the run created: archived or deleted, as the flow's delete policy allows."""
    target = policy.target
    if policy.delete is DeletePolicy.archive and "status" in type(current).model_fields:
        record = current.model_dump(mode="json", exclude_none=True) | {"status": "archived"}
        return Change(
            Action.archive,
            item.key,
            f"created by run {run}; the flow's delete policy archives",
            (FieldChange("status", getattr(current, "status", None), "archived"),),
            record=record,
            applied=project(type(current).model_validate(record), policy.fields),
        )
    if policy.delete is DeletePolicy.delete:
        return Change(Action.delete, item.key, f"created by run {run}; the flow's delete policy deletes")
    why = (
        f"{target} keeps no status to archive {policy.entity.value} records by"
        if policy.delete is DeletePolicy.archive
        else "the flow's delete policy is never"
    )
    return _not_undoable(item, f"created by run {run}, and {why}; remove it in {target} by hand, or give the flow "
                               "`delete: archive` or `delete: delete`")  # fmt: skip


def _set_back(policy: DiffPolicy, run: str, item: Written, current: Record, have: Document) -> Change:
    """A record the run updated (or archived): each field it wrote back to its value before."""
    before = item.before or {}
    back = [
        FieldChange(name, have.get(name), value, f"its value before run {run}")
        for name, value in before.items()
        if value is not None and name in have and have.get(name) != value
    ]
    emptied = tuple(
        FieldChange(name, have.get(name), None, f"empty before run {run}; Tillsync never empties a field, left alone")
        for name, value in before.items()
        if value is None and name in have and have.get(name) is not None
    )
    if not back:
        return Change(Action.unchanged, item.key, f"{policy.target} holds its values before run {run}",
                      left_alone=emptied)  # fmt: skip
    merged = current.model_dump(mode="json", exclude_none=True)
    for field in back:
        merged[field.field] = field.after
    return Change(
        Action.update,
        item.key,
        f"set back to before run {run}",
        tuple(back),
        left_alone=emptied,
        record=merged,
        applied=have | {field.field: field.after for field in back},
    )


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
