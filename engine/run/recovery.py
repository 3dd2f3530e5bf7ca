"""Settling what an interrupted run left in doubt.

A journal intent without its outcome means the process died between sending a write and recording
it. Before a flow runs again, each such write is looked up in the target: if the target shows it,
it is recorded as done (and applied); otherwise it is abandoned, and the fresh plan that follows
makes it again. Either way nothing is written twice and nothing is lost.

A write that leaves nothing to read back (a till's relative stock change) cannot be looked up: its
client noted before sending what it needs to tell whether it took effect (`WriteAhead`), and
settles it from that note (a client that meets a lost answer while the run is alive settles it the
same way, at once). Where even that cannot tell, the record is held: it goes to dead letters
saying what to check, and no run writes it again until a person has made the target right and
released it with `tillsync retry`.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.connector import Settlement, WriteAhead
from engine.plan.diff import project
from engine.plan.model import Action
from engine.records import MODELS, Record
from engine.run.flow import FlowSetup
from engine.run.read import read_actual
from engine.run.systems import Systems
from engine.state import Failed, StateStore, Written
from engine.state.journal import JournalEntry

UNREADABLE = Settlement(None, "the target keeps nothing of it that can be read back")


def held_reason(flow: str, why: str) -> str:
    """What a dead letter of a record held for a person says: what was found (`why`), and what to do."""
    return (
        f"held: {why}. Whether it took effect cannot be told, so it is not sent again until you make the target "
        f"right as if it had not been sent and run `tillsync retry --flow {flow}`, which sends it once"
    )


def recover(setup: FlowSetup, systems: Systems, store: StateStore, run_id: str) -> int:
    """Settle the flow's open intents; returns how many were found done in the target."""
    entries = store.journal.open_intents(setup.deployment.name, setup.name)
    if not entries:
        return 0
    client = systems.client(setup.policy.target)
    settlements: dict[int, Settlement] = {}
    if isinstance(client, WriteAhead):
        for entry in entries:
            if entry.note is not None:
                settlements[entry.id] = client.settle(setup.policy.entity, _record_of(setup, entry), entry.note)
    unsettled = [entry for entry in entries if entry.id not in settlements]
    if unsettled and setup.target_reads:
        actual = read_actual(setup, client, [entry.key for entry in unsettled])
        for entry in unsettled:
            settlements[entry.id] = _looked_up(setup, entry, actual.get(entry.key))
    for entry in unsettled:
        settlements.setdefault(entry.id, UNREADABLE)
    return _record(setup, store, run_id, entries, settlements)


def _looked_up(setup: FlowSetup, entry: JournalEntry, current: Record | None) -> Settlement:
    """Whether the target shows the write: a delete by the record's absence, else by its fields."""
    if entry.action == Action.delete.value:
        return Settlement(current is None, "looked up in the target")
    landed = current is not None and project(current, setup.policy.fields) == _applied_document(setup, entry.document)
    return Settlement(landed, "looked up in the target")


def _record(
    setup: FlowSetup, store: StateStore, run_id: str, entries: list[JournalEntry], settlements: Mapping[int, Settlement]
) -> int:
    """Record each intent as its settlement says: done (and applied), abandoned (the fresh plan makes
    it again), or held for a person (in dead letters, saying what to do); returns how many were done."""
    name = setup.deployment.name
    written, failed, done, abandoned, held = [], [], [], [], []
    for entry in entries:
        settlement = settlements[entry.id]
        if settlement.landed:
            done.append(entry.id)
            document = None if entry.action == Action.delete.value else _applied_document(setup, entry.document)
            written.append(Written(entry.key, entry.action, document, sent=entry.document,
                                   response={"recovered_from_run": entry.run_id}))  # fmt: skip
        elif settlement.landed is False:
            abandoned.append(entry.id)
        else:
            held.append(entry.id)
            why = f"run {entry.run_id} stopped after sending this record and before recording it: {settlement.reason}"
            reason = held_reason(setup.label, why)
            failed.append(Failed(entry.key, entry.action, reason, entry.document))
    store.record_batch(run_id, name, setup.name, done=done, abandoned=abandoned, held=held, written=written,
                       failed=failed)  # fmt: skip
    return len(done)


def _record_of(setup: FlowSetup, entry: JournalEntry) -> Record:
    return MODELS[setup.policy.entity].model_validate(entry.document)


def _applied_document(setup: FlowSetup, document: object) -> dict[str, object] | None:
    if not isinstance(document, dict):
        return None
    return project(MODELS[setup.policy.entity].model_validate(document), setup.policy.fields)
