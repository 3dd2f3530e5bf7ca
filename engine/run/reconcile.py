"""When a plan reads the whole target, and when only what may differ from what was last applied.

A flow whose spec sets `reconcile: 6h` reads its whole target at most six hours apart: the first
plan, one after `plan --full`, or one made when the last run that read it whole and applied is
older than that. In between, a plan reads the target only for records whose source gives something
other than what Tillsync last applied (the third side of the diff), and takes every other record to
hold what was last applied: nothing is written for it, so nothing is written on a guess. A change
made in the target outside Tillsync is found by the next reconciliation at the latest, and at once
where a webhook names the record (a run for the records events name reads them in the target). A
flow without `reconcile`, a flow that matches on other fields than the record's own key, and a run
for some records only read the target as they always did.
"""

from __future__ import annotations

from datetime import UTC, datetime

from engine.plan.diff import DiffPolicy, project
from engine.plan.model import Document
from engine.records import Record
from engine.run.flow import FlowSetup
from engine.state import StateStore


def reads_changed_only(setup: FlowSetup, store: StateStore, *, full: bool, partial: bool) -> bool:
    """Whether this plan may read the target only for records whose source changed since the last apply."""
    every = setup.deployment.flow(setup.name).reconcile_every
    if full or partial or every is None or not setup.keyed:
        return False
    last = store.applied.reconciled_at(setup.deployment.name, setup.name)
    return last is not None and datetime.now(UTC) - last < every


def settled_with(policy: DiffPolicy, record: Record, document: Document) -> bool:
    """Whether the source gives what Tillsync last applied: every field the flow writes on update is
    empty in the source (left alone) or as applied. Create-only fields are never written again."""
    want = project(record, policy.fields)
    return all(
        want[name] is None or want[name] == document.get(name)
        for name in policy.fields
        if name not in policy.create_only and name not in policy.match
    )
