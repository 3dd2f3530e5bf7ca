"""The write journal: every write is journaled as an intent before it is sent and closed after.

An intent without its outcome means the process died mid-write; the next run of the flow looks in
the target to learn whether the write landed (`engine.run.recovery`), so a crash or a rerun never
doubles a record and never loses one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.keys import Key, decode_key, encode_key
from engine.state import tables as t
from engine.state.database import now


@dataclass(frozen=True)
class JournalEntry:
    id: int
    run_id: str
    key: Key
    action: str
    document: Mapping[str, Any] | None
    note: Mapping[str, Any] | None = None  # the client's, made before sending (`engine.connector.WriteAhead`)


class JournalStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def intend(
        self,
        run_id: str,
        integration: str,
        flow: str,
        writes: Sequence[tuple[Key, str, Any]],
        notes: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> list[int]:
        """Journal the intent to write (key, action, document) before the write, each with the
        client's note when it makes them; returns entry ids."""
        if not writes:
            return []
        stamp = now()
        rows = [
            {"run_id": run_id, "integration": integration, "flow": flow, "key": encode_key(key),
             "action": action, "document": document, "status": "intent", "created_at": stamp,
             "note": notes[index] if notes is not None else None}
            for index, (key, action, document) in enumerate(writes)
        ]  # fmt: skip
        with self.engine.begin() as connection:
            result = connection.execute(sa.insert(t.journal).returning(t.journal.c.id), rows)
            return [row.id for row in result]

    def open_intents(self, integration: str, flow: str) -> list[JournalEntry]:
        """Writes begun but never recorded as done: a run died between intent and outcome."""
        query = (
            sa.select(t.journal)
            .where(t.journal.c.integration == integration, t.journal.c.flow == flow)
            .where(t.journal.c.status == "intent")
            .order_by(t.journal.c.id)
        )
        with self.engine.connect() as connection:
            return [
                JournalEntry(row.id, row.run_id, decode_key(row.key), row.action, row.document, row.note)
                for row in connection.execute(query)
            ]

    def held(self, integration: str, flow: str) -> set[Key]:
        """Records whose interrupted write could not be settled: none is written until a person
        has looked (`release`)."""
        c = t.journal.c
        query = sa.select(c.key).where(c.integration == integration, c.flow == flow, c.status == "held")
        with self.engine.connect() as connection:
            return {decode_key(key) for key in connection.execute(query).scalars()}

    def release(self, integration: str, flow: str, keys: Sequence[Key]) -> int:
        """A person has made the target right for these held records: the next plan may write them."""
        if not keys:
            return 0
        c = t.journal.c
        with self.engine.begin() as connection:
            result = connection.execute(
                sa.update(t.journal)
                .where(c.integration == integration, c.flow == flow, c.status == "held")
                .where(c.key.in_([encode_key(key) for key in keys]))
                .values(status="abandoned", finished_at=now())
            )
            return result.rowcount or 0


def close_intents(connection: sa.Connection, ids: Sequence[int], status: str, stamp: datetime) -> None:
    """Inside a batch's transaction: these intents ended as `status` (done or abandoned)."""
    if ids:
        connection.execute(
            sa.update(t.journal).where(t.journal.c.id.in_(list(ids))).values(status=status, finished_at=stamp)
        )
