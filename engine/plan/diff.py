"""The three-way diff: desired (mapped source), actual (target) and last applied (state).

Pure: records in, changes out, no I/O, no state. Per match key, one `Change` whose action says
what apply does: create; update only the changed fields (create-only fields never); conflict where
both sides changed a field since the last apply in a two-way flow (the master's value wins);
archive or delete a record gone from the source where the delete policy allows; adopt values
changed in the target that the flow keeps; record a record the target already holds; nothing
(unchanged, skip) or error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

from engine.keys import Key
from engine.mapping.desired import Desired
from engine.plan.model import ORDER, WRITES, Action, Change, Document, FieldChange
from engine.records import Entity, Record, compact
from engine.spec.models import DeletePolicy, Direction


@dataclass(frozen=True)
class DiffPolicy:
    """What the diff needs to know of a flow."""

    entity: Entity
    source: str
    target: str
    fields: tuple[str, ...]  # top-level fields the flow writes and compares
    match: tuple[str, ...]
    create_only: frozenset[str] = frozenset()
    delete: DeletePolicy = DeletePolicy.never
    direction: Direction = Direction.one_way
    master: str | None = None
    objects: frozenset[str] = frozenset()  # fields holding an object with fixed fields (an address)
    updates: bool = True  # False: records that exist in the target are left as they are
    adopt: frozenset[str] = frozenset()  # fields whose changes made in the target are kept


def project(record: Record, fields: Sequence[str]) -> Document:
    """A record's values for `fields`, as JSON data (decimals as text, so equal means equal)."""
    return _projected(record.model_dump(mode="json", include=set(fields), exclude_none=True), fields)


def _projected(dumped: Document, fields: Sequence[str]) -> Document:
    return {name: compact(dumped.get(name)) for name in fields}


def diff(
    policy: DiffPolicy,
    desired: Sequence[Desired],
    present_in_source: set[Key],
    actual: Mapping[Key, Record],
    applied: Mapping[Key, Document],
    known_unchanged: Iterable[Key] = (),
) -> list[Change]:
    """The changes that bring the target to the desired state, sorted by action then key.
    `known_unchanged` are keys of records known by their fingerprints to be unchanged, not built."""
    wanted: set[Key] = set(known_unchanged)  # known unchanged is still in the source: never gone
    changes = [Change(Action.unchanged, key, UNCHANGED) for key in wanted]
    changes += compared(policy, desired, actual, applied)
    wanted.update(item.key for item in desired)
    changes += removed(policy, sorted(set(applied) - wanted - present_in_source), actual)
    return ordered(changes)


def compared(
    policy: DiffPolicy, desired: Iterable[Desired], actual: Mapping[Key, Record], applied: Mapping[Key, Document]
) -> list[Change]:
    """One change per desired record, against the target's record and the last-applied document of its
    key; `diff` of some of a flow's records, so a large flow can be diffed a part at a time."""
    changes = []
    for item in desired:
        if item.error is not None:
            changes.append(Change(Action.error, item.key, item.error, source=item.source))
        elif item.skip is not None:
            changes.append(Change(Action.skip, item.key, item.skip, source=item.source))
        elif item.record is not None:
            current = actual.get(item.key)
            if current is None:
                changes.append(_create(policy, item, gone=item.key in applied))
            elif not policy.updates:  # there already: recorded as applied, never changed
                have = project(current, policy.fields)
                changes.append(_in_step(policy, item, have, applied.get(item.key), (), (), once_made=True))
            else:
                changes.append(_update(policy, item, current, applied.get(item.key)))
    return changes


def gives_applied(policy: DiffPolicy, item: Desired, applied: Mapping[Key, Document]) -> bool:
    """Whether a mapped record gives exactly its key's last-applied document in every field compared.
    Against a target record known to be as when a plan last found it in step with that document (its
    text unchanged since, under the same diff policy), such a record is unchanged: that plan found the
    target's values, as compared, to be that document."""
    base = applied.get(item.key)
    if base is None or item.record is None or item.error is not None or item.skip is not None:
        return False
    fields = policy.fields
    dumped = item.record.model_dump(mode="json", include=set(fields), exclude_none=True)
    if all(dumped.get(name) == base.get(name) for name in fields):  # equal before empty values are left out:
        return True  # equal after, as a recorded document is a projection (`project`), with none left in
    want = _projected(dumped, fields)
    return all(want[name] == base.get(name) for name in fields)


def removed(policy: DiffPolicy, gone: Iterable[Key], actual: Mapping[Key, Record]) -> list[Change]:
    """The changes for records Tillsync applied before that are gone from the source (`gone`, in order)."""
    return [removal for key in gone if (removal := _removal(policy, key, actual.get(key))) is not None]


def ordered(changes: Iterable[Change]) -> list[Change]:
    """Changes in a plan's order: by action, then key (a stable sort: equal keys keep their order)."""
    by_action: dict[Action, list[Change]] = {}
    for change in changes:  # grouped first: a plan of 100,000 records sorts them by key alone
        by_action.setdefault(change.action, []).append(change)
    return [
        change for action in sorted(by_action, key=ORDER.__getitem__) for change in sorted(by_action[action], key=_key)
    ]


_key = attrgetter("key")


UNCHANGED = "unchanged"


def _create(policy: DiffPolicy, item: Desired, gone: bool) -> Change:
    """A record the target does not hold: new in the source, or `gone` from the target since Tillsync
    last applied it (deleted there by hand, or a sandbox started afresh)."""
    assert item.record is not None
    after = project(item.record, policy.fields)
    fields = tuple(FieldChange(name, None, value) for name, value in after.items() if value not in (None, [], {}))
    return Change(
        Action.create,
        item.key,
        f"gone from {policy.target} since the last apply; will be created again" if gone else f"new in {policy.source}",
        fields,
        record=item.record.model_dump(mode="json", exclude_none=True),
        applied=after,
        source=item.source,
    )


def _update(policy: DiffPolicy, item: Desired, current: Record, base: Document | None) -> Change:
    assert item.record is not None
    if _same(item.record, current, policy.fields):  # most records of most runs: nothing to weigh
        return _in_step(policy, item, project(current, policy.fields), base, (), ())
    dumped = current.model_dump(mode="json", exclude_none=True)  # whole: what an update writes is laid over it
    want, have = project(item.record, policy.fields), _projected(dumped, policy.fields)
    if want == have:  # equal once empty values are left out: no field to restrict or weigh
        return _in_step(policy, item, have, base, (), ())
    source_wins = policy.direction is Direction.one_way or policy.master == policy.source
    winner = policy.source if source_wins else policy.target
    updates: list[FieldChange] = []
    conflicts: list[FieldChange] = []
    # Fields whose target value is kept though the source gives another: the state records the
    # source's value, so a later run tells a new change in the source from this one.
    kept: dict[str, str] = {}  # field → why it is kept
    left_alone: list[FieldChange] = []
    have = {name: restricted(policy, name, have[name], want[name]) for name in policy.fields}
    for name in policy.fields:
        if name in policy.match or want[name] is None or want[name] == have[name]:
            continue  # a field the source leaves empty is left alone in the target
        if name in policy.create_only:
            left_alone.append(
                FieldChange(name, have[name], want[name], f"changed in {policy.source}; create-only, left alone")
            )
            continue
        if name in policy.adopt and base is not None and name in base and have[name] != base[name] == want[name]:
            kept[name] = f"changed in {policy.target}; the flow adopts it"
            continue
        if policy.direction is Direction.two_way and base is not None and name in base:
            source_changed, target_changed = want[name] != base[name], have[name] != base[name]
            if source_changed and target_changed and source_wins:
                conflicts.append(FieldChange(name, have[name], want[name], f"both changed; master {winner} wins"))
                continue
            if source_changed and target_changed:
                kept[name] = f"both changed; master {winner} wins"
                continue
            if target_changed:
                kept[name] = f"changed in {policy.target} only; a two-way flow keeps it"
                continue
        elif policy.direction is Direction.two_way and not source_wins:
            kept[name] = f"never applied; master {winner}'s value is kept"
            continue
        reason = (
            f"overwrites a change made in {policy.target}"
            if base is not None and name in base and base[name] != have[name] and want[name] == base[name]
            else f"{policy.source} has a different {name}"
        )
        updates.append(FieldChange(name, have[name], want[name], reason))
    adopted = tuple(FieldChange(name, want[name], have[name], why) for name, why in kept.items())
    applied = have | {name: want[name] for name in kept}
    if not conflicts and not updates:
        return _in_step(policy, item, applied, base, adopted, tuple(left_alone))
    written = (*conflicts, *updates)
    merged = dict(dumped)
    for c in written:  # an object keeps the fields only the target has: they were no difference either
        merged[c.field] = _overlay(merged.get(c.field), c.after) if c.field in policy.objects else c.after
    merged = {name: value for name, value in merged.items() if value is not None}
    reason = (
        f"conflict on {', '.join(c.field for c in conflicts)}: master {winner} wins"
        if conflicts
        else f"{policy.source} changed {', '.join(c.field for c in updates)}"
    )
    return Change(
        Action.conflict if conflicts else Action.update,
        item.key,
        reason,
        written,
        adopted,
        tuple(left_alone),
        record=merged,
        applied=applied | {c.field: c.after for c in written},
        source=item.source,
    )


def _same(want: Record, have: Record, fields: Sequence[str]) -> bool:
    """Whether two records hold equal values in these fields, compared as they are: far cheaper than as
    JSON data. A field has one type, so equal values are equal data, but for how a number is written
    (1.0 and 1.00), which is no difference either."""
    return all(getattr(want, name, None) == getattr(have, name, None) for name in fields)


def _in_step(
    policy: DiffPolicy,
    item: Desired,
    applied: Document,
    base: Document | None,
    adopted: tuple[FieldChange, ...],
    left_alone: tuple[FieldChange, ...],
    once_made: bool = False,
) -> Change:
    """Nothing to write. The target's values (with the source's for fields kept in the target) are
    recorded as applied unless the state says so already; create-only fields the source changed are
    said, and left alone."""
    if base is not None and (base == applied or all(base.get(n) == applied[n] for n in policy.fields)):
        return Change(Action.unchanged, item.key, UNCHANGED, left_alone=left_alone)
    if adopted:
        why = "; ".join(dict.fromkeys(c.reason for c in adopted))
        reason = f"keeps {policy.target}'s {', '.join(c.field for c in adopted)} ({why})"
        return Change(Action.adopt, item.key, reason, kept=adopted, left_alone=left_alone, applied=applied,
                      source=item.source)  # fmt: skip
    reason = (
        f"exists in {policy.target}, which does not change {policy.entity.value} records once made"
        if once_made
        else f"{policy.target} already holds it"
    )
    return Change(Action.record, item.key, reason, left_alone=left_alone, applied=applied, source=item.source)


def restricted(policy: DiffPolicy, name: str, have: Any, want: Any) -> Any:
    """The target's value of a field as compared with `want`: without what only the target keeps."""
    if have == want:  # nothing to leave out; most fields of most records, and far cheaper to tell
        return have
    return _restrict(have, want) if name in policy.objects else _restrict_items(have, want)


def _restrict_items(have: Any, want: Any) -> Any:
    """For a list of objects (variants, order lines): each item without the fields the source does
    not give, so a field only the target has (a variant title Shopify computes) is no difference.
    An object (an address) is restricted the same way; a map with free keys (features) is compared
    whole, so a feature gone from the source is removed."""
    if isinstance(have, list) and isinstance(want, list) and len(have) == len(want):
        return [_restrict(h, w) for h, w in zip(have, want, strict=True)]
    return have


def _restrict(have: Any, want: Any) -> Any:
    if isinstance(have, dict) and isinstance(want, dict):
        return {key: _restrict(value, want[key]) for key, value in have.items() if key in want}
    if isinstance(have, list) and isinstance(want, list) and len(have) == len(want):
        return [_restrict(h, w) for h, w in zip(have, want, strict=True)]
    return have


def _overlay(have: Any, want: Any) -> Any:
    """An object as written: the target's, with the fields the source gives laid over it."""
    if isinstance(have, dict) and isinstance(want, dict):
        return have | {key: _overlay(have.get(key), value) for key, value in want.items()}
    return want


def _removal(policy: DiffPolicy, key: Key, current: Record | None) -> Change | None:
    """A record Tillsync wrote before that is gone from the source."""
    if current is None or policy.delete is DeletePolicy.never:
        return None
    if policy.delete is DeletePolicy.archive and "status" in type(current).model_fields:
        if getattr(current, "status", None) == "archived":
            return None
        record = current.model_dump(mode="json", exclude_none=True) | {"status": "archived"}
        return Change(
            Action.archive,
            key,
            f"gone from {policy.source}; delete policy archives",
            (FieldChange("status", getattr(current, "status", None), "archived"),),
            record=record,
            applied=project(type(current).model_validate(record), policy.fields),
        )
    return Change(Action.delete, key, f"gone from {policy.source}; delete policy deletes")


def blocked(changes: Sequence[Change], refused: Mapping[Key, str], target: str) -> list[Change]:
    """`changes` with each delete the target would refuse (`refused`: key → its reason) shown as
    blocked instead: the plan does not propose what the target will not do."""
    return ordered(
        Change(Action.blocked, change.key, f"{target} refuses to delete it: {refused[change.key]}")
        if change.action is Action.delete and change.key in refused
        else change
        for change in changes
    )


def held(changes: Sequence[Change], reasons: Mapping[Key, str]) -> list[Change]:
    """`changes` with each write of a record held for a person (`reasons`: key → what was found, and
    what to do) shown as held instead: an earlier write of it may have taken effect, and the target
    cannot tell, so the plan does not propose it again. The record stays on the change, so a plan
    that shows it held no longer holds once a person has released it."""
    shown = [
        replace(change, action=Action.held, reason=reasons[change.key], fields=(), kept=(), left_alone=())
        if change.action in WRITES and change.key in reasons
        else change
        for change in changes
    ]
    return ordered(shown)
