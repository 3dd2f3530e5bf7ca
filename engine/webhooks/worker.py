"""The event worker: runs the flows webhook events affect, as soon as they are stored.

`tillsync webhooks serve` stores each verified delivery and wakes the worker. The worker takes
every pending event and runs each affected flow once for the records the events name
(`engine.webhooks.events`). Events that arrive while a run is going are taken together by the
next one, so a burst costs a few runs, not one per event. A run that fails or stops at the gate
leaves its events pending; the worker tries again after `retry_s`. Records a target refuses go to
dead letters as in any run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from engine.run.runner import FlowOutcome
from engine.run.workspace import Workspace
from engine.state import StateStore
from engine.webhooks.events import run_events

log = logging.getLogger(__name__)


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

    def drain(self) -> list[FlowOutcome]:
        """One pass: run the flows the pending events affect (see `engine.webhooks.events`)."""
        return list(run_events(self.workspace, self.store).values())
