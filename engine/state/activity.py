"""The activity log: per record and run, what came from the source, what was sent and what came
back. Kept for the environment's retention period, then purged: Tillsync stores logs, not the
merchant's data."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.keys import Key, decode_key, encode_key
from engine.state import tables as t
from engine.state.database import aware, to_json


@dataclass(frozen=True)
class Activity:
    id: int
    run_id: str
    integration: str
    flow: str
    key: Key
    action: str
    outcome: str  # done | failed
    source: Any
    sent: Any
    response: Any
    at: datetime
    # what an undo needs (None in entries logged before they were kept): the target's values of the
    # fields written, before the write ({} for a create), and the flow's fields as the write left them
    before: Any = None
    applied: Any = None


@dataclass(frozen=True)
class Entry:
    """One line of the log to write."""

    key: Key
    action: str
    outcome: str
    source: Any = None
    sent: Any = None
    response: Any = None
    before: Any = None
    applied: Any = None


class ActivityStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def list(
        self,
        integration: str | None = None,
        flow: str | None = None,
        key: Key | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Activity]:
        """Entries, oldest first; with `limit`, the most recent that many."""
        a = t.activity.c
        query = _where(sa.select(t.activity).order_by(a.id), integration, flow, key, since)
        if limit is not None:
            query = query.order_by(None).order_by(a.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            rows = [
                Activity(row.id, row.run_id, row.integration, row.flow, decode_key(row.key), row.action,
                         row.outcome, row.source, row.sent, row.response, aware(row.at), row.before, row.applied)
                for row in connection.execute(query)
            ]  # fmt: skip
        return sorted(rows, key=lambda entry: entry.id)

    def of_run(self, run_id: str) -> builtins.list[Activity]:
        """A run's entries, oldest first."""
        a = t.activity.c
        query = sa.select(t.activity).where(a.run_id == run_id).order_by(a.id)
        with self.engine.connect() as connection:
            return [
                Activity(row.id, row.run_id, row.integration, row.flow, decode_key(row.key), row.action,
                         row.outcome, row.source, row.sent, row.response, aware(row.at), row.before, row.applied)
                for row in connection.execute(query)
            ]  # fmt: skip

    def count(
        self,
        integration: str | None = None,
        flow: str | None = None,
        key: Key | None = None,
        since: datetime | None = None,
    ) -> int:
        """How many entries `list` would return without a limit."""
        query = _where(sa.select(sa.func.count()).select_from(t.activity), integration, flow, key, since)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def purge(self, before: datetime) -> int:
        """Delete entries older than `before`; returns how many went."""
        with self.engine.begin() as connection:
            result = connection.execute(sa.delete(t.activity).where(t.activity.c.at < before))
            return result.rowcount or 0


def _where(
    query: sa.Select[Any], integration: str | None, flow: str | None, key: Key | None, since: datetime | None
) -> sa.Select[Any]:
    a = t.activity.c
    if integration:
        query = query.where(a.integration == integration)
    if flow:
        query = query.where(a.flow == flow)
    if key is not None:
        query = query.where(a.key == encode_key(key))
    if since is not None:
        query = query.where(a.at >= since)
    return query


def log(
    connection: sa.Connection, run_id: str, integration: str, flow: str, entries: Sequence[Entry], stamp: datetime
) -> None:
    """Inside a batch's transaction: these lines of the log."""
    if entries:
        connection.execute(
            sa.insert(t.activity),
            [{"run_id": run_id, "integration": integration, "flow": flow, "key": encode_key(e.key),
              "action": e.action, "outcome": e.outcome, "source": to_json(e.source), "sent": to_json(e.sent),
              "response": to_json(e.response), "before": to_json(e.before), "applied": to_json(e.applied),
              "at": stamp} for e in entries],
        )  # fmt: skip
