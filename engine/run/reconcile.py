"""When a plan reads the whole target, and when only what may differ from what was last applied.

A flow whose spec sets `reconcile: 6h` reads its whole target at most six hours apart: the first
plan, one after `plan --full`, or one made when the last run that read it whole and applied is
older than that. In between, a plan reads the target only for records whose source gives something
other than what Tillsync last applied (the third side of the diff), and takes every other record to
hold what was last applied: nothing is written for it, so nothing is written on a guess. A change
made in the target outside Tillsync is found by the next reconciliation at the latest, and at once
where the target's webhooks report it: an event from a flow's target (Shopify's
`inventory_levels/update`, `products/update`) stays pending for the flow until a run of it
succeeded, and every plan made meanwhile reads the records it names in the target whatever their
source gives (`edited_in_target`), so the plan shows the edit record by record and apply puts it
right. An event names records by key, or by the target's own ids, which the target's client looks
up (`KeyLookup`: Shopify names a stock level by inventory item and location, and one request asks
for the item's SKU and the location's name). Tillsync's own writes come back as such events too: the
record read again is found as applied, and nothing is written. A flow without `reconcile`, a flow
that matches on other fields than the record's own key, and a run for some records only read the
target as they always did.
"""

from __future__ import annotations

from datetime import UTC, datetime

from engine.connector import Client, KeyLookup
from engine.keys import Key
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


def edited_in_target(setup: FlowSetup, store: StateStore, target: Client) -> set[Key]:
    """The keys of the records that pending events from the flow's target report edited there."""
    events = [event for event in store.events.pending(setup.deployment.name, setup.name)
              if event.system == setup.policy.target]  # fmt: skip
    keys = {tuple(key) for event in events for key in event.keys}
    refs = [ref for event in events for ref in event.refs]
    if refs and isinstance(target, KeyLookup):
        keys.update(target.keys_of(setup.policy.entity, refs))
    return keys
