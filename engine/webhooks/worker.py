"""The event worker: runs the flows webhook events affect, as soon as they are stored.

`tillsync webhooks serve` stores each verified delivery and wakes the worker. The worker takes
every pending event, runs each affected flow once for the records the events name (reading only
those from the source), and marks the events done. Events that arrive while a run is going are
taken together by the next one, so a burst costs a few runs, not one per event. An event that
names no record keys runs its flow whole, incrementally. A run that fails for a connector or
state problem leaves its events pending; the worker tries again after `retry_s`. Records a target
refuses go to dead letters as in any run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from engine.errors import TillsyncError
from engine.run.apply import ApplyResult, apply_flow
from engine.run.flow import FlowSetup
from engine.run.systems import open_systems
from engine.run.workspace import Workspace
from engine.state import StateStore
from engine.state.store import StoredEvent

log = logging.getLogger(__name__)

Key = tuple[str, ...]


@dataclass
class EventWorker:
    workspace: Workspace
    store: StateStore
    retry_s: float = 30.0
    _wake: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def wake(self) -> None:
        """Events were stored: run soon."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tillsync-events", daemon=True)
        self._thread.start()
        self.wake()  # events stored while no worker ran

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.retry_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.drain()
            except Exception:  # the worker outlives a bad run; the events stay pending
                log.exception("running the flows of webhook events failed; trying again in %g s", self.retry_s)

    def drain(self) -> list[ApplyResult]:
        """One pass: run the flows the pending events affect; an event is done once all its flows ran."""
        events = self.store.pending_events()
        results, ran = [], set()
        for (integration, flow), group in _by_flow(events).items():
            deployment = self.workspace.deployments.get(integration)
            if deployment is not None and flow in deployment.enabled_flows():
                setup = FlowSetup.of(deployment, flow)
                try:
                    with open_systems(self.workspace, deployment) as systems:
                        results.append(apply_flow(self.workspace, setup, systems, self.store, kind="event",
                                                  source_keys=_keys(group)))  # fmt: skip
                except TillsyncError as exc:
                    log.warning("%s/%s: %s; its events stay pending", integration, flow, exc)
                    continue
            ran.add((integration, flow))  # or nothing here runs it any more
        self.store.finish_events([e.id for e in events if all((e.integration, f) in ran for f in e.flows)])
        return results


def _by_flow(events: list[StoredEvent]) -> dict[tuple[str, str], list[StoredEvent]]:
    grouped: dict[tuple[str, str], list[StoredEvent]] = {}
    for event in events:
        for flow in event.flows:
            grouped.setdefault((event.integration, flow), []).append(event)
    return grouped


def _keys(events: list[StoredEvent]) -> list[Key] | None:
    """The source keys the events name; None (the whole flow) when one of them names none."""
    if any(not event.keys for event in events):
        return None
    return list(dict.fromkeys(tuple(key) for event in events for key in event.keys))
