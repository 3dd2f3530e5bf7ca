"""What a webhook event means, in one place: run the flows it affects for the records it names.

The event worker (`tillsync webhooks serve`) and Dagster's `webhook_events` sensor both come here.
For each flow with pending events, one run through the runner (`sync_flow`, gated like any
unattended run) reads from the source only the records those events name; an event that names
none runs its flow whole, incrementally. An event from the flow's target (an edit made there) runs
the flow whole too, and its plan reads the records the event names in the target again. Only when
that run succeeded are the events marked done for the flow; a run that fails, or stops at the gate,
leaves them pending for the next try. Runs started by events are applies like any other, and count
towards promotion.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from engine.errors import TillsyncError
from engine.keys import Key
from engine.run.runner import FlowOutcome, Selected, sync_flow
from engine.run.workspace import Workspace
from engine.state import StateStore, StoredEvent

log = logging.getLogger(__name__)

FlowName = tuple[str, str]  # (integration, flow)


def run_events(
    workspace: Workspace, store: StateStore, flows: Collection[FlowName] | None = None
) -> dict[FlowName, FlowOutcome]:
    """Run the flows (all, or these) that pending events affect; returns each run's outcome. A flow
    that is not enabled here any more has its events marked done: nothing here runs it."""
    outcomes = {}
    for (integration, flow), events in _by_flow(store.events.pending()).items():
        if flows is not None and (integration, flow) not in flows:
            continue
        ids = [event.id for event in events]
        deployment = workspace.deployments.get(integration)
        if deployment is None or flow not in deployment.enabled_flows():
            store.events.finish_flow(ids, flow)
            continue
        # events from the flow's target name records edited there: its plan reads them again there and
        # matches them with its whole source (`engine.run.reconcile.edited_in_target`)
        target = deployment.integration.flows[flow].target
        from_source = [event for event in events if event.system != target]
        keys = _keys(from_source) if len(from_source) == len(events) else None
        try:
            outcome = sync_flow(workspace, store, Selected(deployment, flow), kind="event", gated=True,
                                source_keys=keys)  # fmt: skip
        except TillsyncError as exc:
            log.warning("%s/%s: %s; its events stay pending", integration, flow, exc)
            continue
        outcomes[(integration, flow)] = outcome
        if outcome.gated:
            log.warning("%s/%s stopped at the gate: %s; its events stay pending", integration, flow,
                        "; ".join(outcome.gated))  # fmt: skip
            continue
        store.events.finish_flow(ids, flow)
    return outcomes


def _by_flow(events: list[StoredEvent]) -> dict[FlowName, list[StoredEvent]]:
    grouped: dict[FlowName, list[StoredEvent]] = {}
    for event in events:
        for flow in event.flows:
            grouped.setdefault((event.integration, flow), []).append(event)
    return grouped


def _keys(events: list[StoredEvent]) -> list[Key] | None:
    """The source keys the events name; None (the whole flow) when one of them names none."""
    if any(not event.keys for event in events):
        return None
    return list(dict.fromkeys(tuple(key) for event in events for key in event.keys))
