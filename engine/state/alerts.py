"""Alerts: each problem alerted once while it lasts, and once more when it clears.

A problem is addressed by (integration, subject, kind): the subject is the flow, or the system for
problems of a system (its credentials, its webhook deliveries). While it is open, the same problem
found again by a later run is not alerted again; a dead-letter problem is, when newer dead letters
than those it told of (`mark`) appear. Each notice (`opened`, `resolved`) is kept per sink until
that sink took it, so a sink that is down gets it on a later try and the others never twice.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.state import tables as t
from engine.state.database import aware, now

OPENED, RESOLVED = "opened", "resolved"


@dataclass(frozen=True)
class StoredAlert:
    id: int
    integration: str
    subject: str
    kind: str
    message: Mapping[str, Any]
    mark: int | None
    opened_at: datetime
    resolved_at: datetime | None
    unsent: tuple[tuple[str, str], ...]  # (notice, sink) still to deliver
    last_error: str | None


class AlertStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def open(self, integration: str | None = None, subject: str | None = None) -> list[StoredAlert]:
        """The problems alerted and not cleared, oldest first."""
        a = t.alerts.c
        query = sa.select(t.alerts).where(a.resolved_at.is_(None)).order_by(a.id)
        if integration is not None:
            query = query.where(a.integration == integration)
        if subject is not None:
            query = query.where(a.subject == subject)
        return self._rows(query)

    def unsent(self) -> list[StoredAlert]:
        """Alerts with a notice some sink has not taken yet, oldest first."""
        return [alert for alert in self._rows(sa.select(t.alerts).order_by(t.alerts.c.id)) if alert.unsent]

    def find(self, integration: str, subject: str, kind: str) -> StoredAlert | None:
        """The open alert of this problem, if there is one."""
        a = t.alerts.c
        query = sa.select(t.alerts).where(a.integration == integration, a.subject == subject, a.kind == kind)
        found = self._rows(query.where(a.resolved_at.is_(None)))
        return found[0] if found else None

    def raise_(
        self, integration: str, subject: str, kind: str, message: Mapping[str, Any], mark: int | None,
        sinks: Sequence[str],
    ) -> StoredAlert:  # fmt: skip
        """Open a problem, or tell of it again (newer dead letters): its opening notice due to every sink."""
        unsent = [[OPENED, sink] for sink in sinks]
        existing = self.find(integration, subject, kind)
        with self.engine.begin() as connection:
            if existing is None:
                connection.execute(
                    sa.insert(t.alerts).values(integration=integration, subject=subject, kind=kind,
                                               message=dict(message), mark=mark, opened_at=now(), unsent=unsent)
                )  # fmt: skip
            else:
                kept = [list(pair) for pair in existing.unsent if pair[0] != OPENED]
                connection.execute(
                    sa.update(t.alerts).where(t.alerts.c.id == existing.id)
                    .values(message=dict(message), mark=mark, unsent=kept + unsent)
                )  # fmt: skip
        found = self.find(integration, subject, kind)
        assert found is not None
        return found

    def resolve(self, alert: StoredAlert, sinks: Sequence[str]) -> StoredAlert:
        """Close a problem: its resolved notice due to each sink that took the opening one (a sink
        never told of the problem is not told it cleared)."""
        never_told = {sink for notice, sink in alert.unsent if notice == OPENED}
        unsent = [[RESOLVED, sink] for sink in sinks if sink not in never_told]
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.alerts).where(t.alerts.c.id == alert.id).values(resolved_at=now(), unsent=unsent)
            )
        return self._rows(sa.select(t.alerts).where(t.alerts.c.id == alert.id))[0]

    def delivered(self, alert_id: int, unsent: Sequence[tuple[str, str]], error: str | None) -> None:
        """What is still to deliver after a try, and why the last delivery failed (None: it did not)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.alerts).where(t.alerts.c.id == alert_id)
                .values(unsent=[list(pair) for pair in unsent], last_error=error)
            )  # fmt: skip

    def _rows(self, query: sa.Select[Any]) -> builtins.list[StoredAlert]:
        with self.engine.connect() as connection:
            return [
                StoredAlert(row.id, row.integration, row.subject, row.kind, row.message, row.mark,
                            aware(row.opened_at), aware(row.resolved_at) if row.resolved_at else None,
                            tuple((notice, sink) for notice, sink in row.unsent), row.last_error)
                for row in connection.execute(query)
            ]  # fmt: skip
