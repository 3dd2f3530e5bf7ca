"""Settling what an interrupted run left in doubt.

A journal intent without its outcome means the process died between sending a write and recording
it. Before a flow runs again, each such write is looked up in the target: if the target shows it,
it is recorded as done (and applied); otherwise it is abandoned, and the fresh plan that follows
makes it again. Either way nothing is written twice and nothing is lost.
"""

from __future__ import annotations

from engine.plan.diff import project
from engine.plan.model import Action
from engine.records import MODELS
from engine.run.flow import FlowSetup
from engine.run.read import read_actual
from engine.run.systems import Systems
from engine.state import StateStore, Written


def recover(setup: FlowSetup, systems: Systems, store: StateStore, run_id: str) -> int:
    """Settle the flow's open intents; returns how many were found done in the target."""
    name = setup.deployment.name
    entries = store.journal.open_intents(name, setup.name)
    if not entries:
        return 0
    actual = read_actual(setup, systems.client(setup.policy.target), [e.key for e in entries])
    written, done, abandoned = [], [], []
    for entry in entries:
        current = actual.get(entry.key)
        if entry.action == Action.delete.value:
            landed, document = current is None, None
        else:
            document = _applied_document(setup, entry.document)
            landed = current is not None and project(current, setup.policy.fields) == document
        if landed:
            done.append(entry.id)
            written.append(Written(entry.key, entry.action, document, sent=entry.document,
                                   response={"recovered_from_run": entry.run_id}))  # fmt: skip
        else:
            abandoned.append(entry.id)
    store.record_batch(run_id, name, setup.name, done=done, abandoned=abandoned, written=written)
    return len(done)


def _applied_document(setup: FlowSetup, document: object) -> dict[str, object] | None:
    if not isinstance(document, dict):
        return None
    return project(MODELS[setup.policy.entity].model_validate(document), setup.policy.fields)
