"""One vocabulary for what a plan will do and what an apply did, and the one function that counts both.

A plan counts its changes by action; an apply counts the same changes by outcome: each change once,
under its planned action when it was done, as failed when it went to dead letters (an error found
when planning, or a write the target refused), as not reached when a fatal error stopped the flow
first. So the counts of a plan and of its apply add up to the same number of records, and a record
that failed is never also counted as created.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Literal

from engine.keys import Key
from engine.plan.model import Action, Change

Tense = Literal["planned", "done"]

FAILED, NOT_REACHED = "failed", "not_reached"

# name → (planned, done); `{s}` is "s" for any count but one. In the order counts are said.
TERMS: dict[str, tuple[str, str]] = {
    Action.create.value: ("to create", "created"),
    Action.update.value: ("to update", "updated"),
    Action.conflict.value: ("conflict{s} to resolve", "conflict{s} resolved"),
    Action.archive.value: ("to archive", "archived"),
    Action.delete.value: ("to delete", "deleted"),
    Action.adopt.value: ("to adopt", "adopted"),
    Action.blocked.value: ("blocked", "blocked"),  # a delete the target refuses: not attempted
    Action.held.value: ("held", "held"),  # an earlier write in doubt: not sent until a person releases it
    Action.error.value: ("error{s}", "error{s}"),  # an apply counts them as failed
    FAILED: ("failed", "failed"),
    NOT_REACHED: ("not reached", "not reached"),
    Action.record.value: ("already there", "already there"),
    Action.unchanged.value: ("unchanged", "unchanged"),
    Action.skip.value: ("skipped", "skipped"),
}

# What a total says: what was or will be written, kept or failed; records with nothing to do are
# said flow by flow, not added up (as Terraform's "Plan: 3 to add, 1 to change, 0 to destroy").
CHANGES = frozenset(TERMS) - {Action.record.value, Action.unchanged.value, Action.skip.value}

Counts = dict[str, int]


def count(changes: Iterable[Change], failed: Collection[Key] = (), not_reached: Collection[Key] = ()) -> Counts:
    """Each change once: as failed or not reached when its key is among those, else by its action.
    A plan is counted with neither; an apply with the keys that failed and those it did not reach."""
    counts = dict.fromkeys(TERMS, 0)
    for change in changes:
        if change.key in failed:
            counts[FAILED] += 1
        elif change.key in not_reached:
            counts[NOT_REACHED] += 1
        else:
            counts[change.action.value] += 1
    return counts


def total(each: Iterable[Mapping[str, int]]) -> Counts:
    """The sum of several flows' counts."""
    totals = dict.fromkeys(TERMS, 0)
    for counts in each:
        for name, value in counts.items():
            totals[name] += value
    return totals


def phrase(counts: Mapping[str, int], tense: Tense, only: Collection[str] | None = None) -> str:
    """The counts in words, those that are not 0 in the order of `TERMS` (or only those named):
    `3 to create, 1 error` for a plan, `3 created, 1 failed` for an apply; "" when all are 0."""
    column = 0 if tense == "planned" else 1
    return ", ".join(
        f"{counts[name]} {TERMS[name][column].format(s='s' * (counts[name] != 1))}"
        for name in TERMS
        if counts.get(name) and (only is None or name in only)
    )
