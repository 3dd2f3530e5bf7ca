"""Alerting: each problem once while it lasts, once more when it clears, to every sink.

`Alerter.alert` opens a problem and sends it, unless the state store says it is open already (a
dead-letter problem with newer dead letters is news, and is sent again). `Alerter.clear` closes
problems that no longer hold and sends each sink that was told of one its resolved notice. A sink
that does not take a notice is tried `attempts` times, then the failure is logged and the notice
kept: every later alert, clear or `flush` (any run, from any face) tries it again. The run that
found the problem goes on either way. Every notice passes `redact` on its way out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from engine.alerts.problem import Problem, opened_text, redact, resolved_text
from engine.alerts.sinks import DeliveryError, Sink
from engine.state.alerts import OPENED, AlertStore, StoredAlert

log = logging.getLogger(__name__)


@dataclass
class Alerter:
    environment: str
    store: AlertStore
    sinks: Sequence[Sink]
    secrets: Collection[str] = ()
    attempts: int = 3
    backoff_s: float = 1.0  # before the second attempt; doubled before each next one
    sleep: Callable[[float], None] = time.sleep
    _down: set[str] = field(default_factory=set, init=False, repr=False)  # sinks that failed: one alerter is one run

    def alert(self, problem: Problem) -> bool:
        """Open `problem` and send it, unless it is open already; True when it was news."""
        existing = self.store.find(problem.integration, problem.subject, problem.kind)
        if existing is not None and not _newer(problem, existing):
            return False
        message = {key: _redacted(value, self.secrets) for key, value in problem.message().items()}
        names = [sink.name for sink in self.sinks]
        self.store.raise_(problem.integration, problem.subject, problem.kind, message, problem.mark, names)
        self.flush()
        return True

    def clear(self, integration: str, subject: str, kinds: Collection[str]) -> int:
        """Close the open problems of these kinds about `subject`; returns how many were open."""
        closed = 0
        for kind in kinds:
            existing = self.store.find(integration, subject, kind)
            if existing is not None:
                self.store.resolve(existing, [sink.name for sink in self.sinks])
                closed += 1
        if closed:
            self.flush()
        return closed

    def flush(self) -> None:
        """Send every notice a sink has not taken yet; a sink that failed is not tried again by this alerter."""
        by_name = {sink.name: sink for sink in self.sinks}
        for alert in self.store.unsent():
            remaining, error = [], None
            for notice, name in alert.unsent:
                sink = by_name.get(name)
                if sink is None:  # the environment no longer names this sink
                    continue
                try:
                    self._deliver(sink, notice, alert)
                except DeliveryError as exc:
                    remaining.append((notice, name))
                    error = redact(str(exc), self.secrets)
            if tuple(remaining) != alert.unsent or alert.last_error != error:
                self.store.delivered(alert.id, remaining, error)

    def _deliver(self, sink: Sink, notice: str, alert: StoredAlert) -> None:
        if sink.name in self._down:
            raise DeliveryError(f"{sink.name}: not tried again in this run after failing")
        if notice == OPENED:
            subject, body = opened_text(self.environment, alert.message)
        else:
            subject, body = resolved_text(self.environment, alert.message, f"{alert.opened_at:%Y-%m-%d %H:%M} UTC")
        subject, body = redact(subject, self.secrets), redact(body, self.secrets)
        wait = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            try:
                sink.send(subject, body)
                return
            except DeliveryError as exc:
                if attempt == self.attempts:
                    self._down.add(sink.name)
                    log.warning("alert not delivered (%s, tried %d times; tried again on the next run): %s",
                                alert.message.get("title"), attempt, redact(str(exc), self.secrets))  # fmt: skip
                    raise
            self.sleep(wait)
            wait *= 2


def _newer(problem: Problem, existing: StoredAlert) -> bool:
    """Whether an open problem found again is news: dead letters newer than those it told of."""
    return problem.mark is not None and (existing.mark is None or problem.mark > existing.mark)


def _redacted(value: object, secrets: Collection[str]) -> object:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list | tuple):
        return [_redacted(item, secrets) for item in value]
    return value
