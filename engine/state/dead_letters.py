"""Dead letters: records that did not make it, with the reason, until a later run writes them or
finds them in step. `tillsync retry` replays exactly these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.keys import Key, decode_key, encode_key
from engine.state import tables as t
from engine.state.database import chunks, now, to_json


@dataclass(frozen=True)
class DeadLetter:
    id: int
    integration: str
    flow: str
    key: Key
    action: str
    document: Mapping[str, Any] | None
    reason: str
    attempts: int
    created_at: datetime


class DeadLetterStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def open(self, integration: str | None = None, flow: str | None = None) -> list[DeadLetter]:
        """The dead letters not yet resolved, oldest first."""
        dl = t.dead_letters.c
        query = sa.select(t.dead_letters).where(dl.resolved_at.is_(None)).order_by(dl.id)
        if integration:
            query = query.where(dl.integration == integration)
        if flow:
            query = query.where(dl.flow == flow)
        with self.engine.connect() as connection:
            return [
                DeadLetter(row.id, row.integration, row.flow, decode_key(row.key), row.action, row.document,
                           row.reason, row.attempts, row.created_at)
                for row in connection.execute(query)
            ]  # fmt: skip

    def resolve(self, integration: str, flow: str, keys: Sequence[Key]) -> int:
        """Close the open dead letters of these records (in step now, or gone from the source)."""
        if not keys:
            return 0
        with self.engine.begin() as connection:
            return resolve_letters(connection, integration, flow, [encode_key(key) for key in keys], now())


def resolve_letters(
    connection: sa.Connection, integration: str, flow: str, keys: Sequence[str], stamp: datetime
) -> int:
    """Inside a transaction: close the open dead letters of these (encoded) keys; returns how many."""
    dl = t.dead_letters.c
    closed = 0
    for chunk in chunks(keys):
        result = connection.execute(
            sa.update(t.dead_letters)
            .where(dl.integration == integration, dl.flow == flow, dl.resolved_at.is_(None), dl.key.in_(chunk))
            .values(resolved_at=stamp)
        )
        closed += result.rowcount or 0
    return closed


def record_letter(
    connection: sa.Connection,
    run_id: str,
    integration: str,
    flow: str,
    key: Key,
    action: str,
    document: Any,
    reason: str,
    stamp: datetime,
) -> None:
    """Inside a batch's transaction: a record that failed, as a new dead letter or another attempt
    of its open one."""
    dl = t.dead_letters.c
    encoded = encode_key(key)
    open_letter = connection.execute(
        sa.select(dl.id)
        .where(dl.integration == integration, dl.flow == flow, dl.key == encoded)
        .where(dl.resolved_at.is_(None))
    ).scalar()
    if open_letter is None:
        connection.execute(
            sa.insert(t.dead_letters).values(
                integration=integration, flow=flow, key=encoded, action=action, document=to_json(document),
                reason=reason, run_id=run_id, attempts=1, created_at=stamp,
            )
        )  # fmt: skip
    else:
        connection.execute(
            sa.update(t.dead_letters)
            .where(dl.id == open_letter)
            .values(attempts=dl.attempts + 1, reason=reason, run_id=run_id, action=action, document=to_json(document))
        )
