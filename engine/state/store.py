"""The state store: what Tillsync remembers between runs, on SQLAlchemy Core.

A SQLite file under `.tillsync/` by default, PostgreSQL by URL for production and for several
workers at once. It holds the last-applied document per record (the third side of every diff),
the id map, cursors, the write journal, dead letters, runs and the activity log. Records are
addressed by (integration, flow, key); a key is the tuple of match-key values, stored as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from engine.errors import FlowLockedError, StateError
from engine.keys import Key, decode_key, encode_key, fingerprint
from engine.plan.model import InStep
from engine.state import tables as t

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


def default_url(root: Path, environment: str) -> str:
    folder = root / ".tillsync" / environment
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'state.db'}"


@dataclass(frozen=True)
class JournalEntry:
    id: int
    run_id: str
    key: Key
    action: str
    document: Mapping[str, Any] | None


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


@dataclass(frozen=True)
class Activity:
    id: int
    run_id: str
    integration: str
    flow: str
    key: Key
    action: str
    outcome: str
    source: Any
    sent: Any
    response: Any
    at: datetime


@dataclass(frozen=True)
class StoredEvent:
    id: int
    integration: str
    system: str
    topic: str
    entity: str | None
    flows: list[str]
    keys: list[list[str]]
    received_at: datetime


@dataclass(frozen=True)
class Written:
    """One record the target accepted, to be recorded as applied."""

    key: Key
    action: str
    document: Mapping[str, Any] | None  # what the target now holds for the flow's fields
    target_id: str | None
    source: Any = None
    sent: Any = None
    response: Any = None


@dataclass(frozen=True)
class Remembered:
    """A flow's last-applied keys, and those of its records last found in step (by source key)
    whose last-applied document has not changed since."""

    applied: set[Key]
    in_step: dict[Key, InStep]


@dataclass(frozen=True)
class Failed:
    """One record that did not make it, to go to dead letters."""

    key: Key
    action: str
    reason: str
    document: Mapping[str, Any] | None = None
    source: Any = None
    sent: Any = None
    response: Any = None


class StateStore:
    def __init__(self, url: str) -> None:
        self.url = url
        is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"connect_args": {"timeout": 30}} if is_sqlite else {"pool_pre_ping": True}
        self.engine = sa.create_engine(url, **options)
        self.dialect = self.engine.dialect.name
        if is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            with self.engine.begin() as connection:
                if self.dialect == "postgresql":  # two processes starting at once migrate one at a time
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(7446215)"))
                t.migrate(connection)
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            raise StateError(f"cannot open the state store: {_safe(exc)}") from None
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- locks -----------------------------------------------------------------------------

    @contextmanager
    def lock(self, integration: str, flow: str) -> Iterator[None]:
        """Hold the flow's lock for the block; `FlowLockedError` if another process holds it."""
        name = f"{integration}/{flow}"
        if self.dialect == "postgresql":
            with self._advisory_lock(name):
                yield
            return
        owner = f"{socket.gethostname()}:{os.getpid()}"
        self._take_row_lock(name, owner)
        try:
            yield
        finally:
            with self.engine.begin() as connection:
                connection.execute(sa.delete(t.locks).where(t.locks.c.name == name, t.locks.c.owner == owner))

    @contextmanager
    def _advisory_lock(self, name: str) -> Iterator[None]:
        number = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with self.engine.connect() as connection:
            taken = connection.execute(sa.text("SELECT pg_try_advisory_lock(:n)"), {"n": number}).scalar()
            connection.commit()
            if not taken:
                raise FlowLockedError(f"flow {name} is being applied by another process; try again later")
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:n)"), {"n": number})
                connection.commit()

    def _take_row_lock(self, name: str, owner: str) -> None:
        with self.engine.begin() as connection:
            held = connection.execute(sa.select(t.locks.c.owner).where(t.locks.c.name == name)).scalar()
            if held is not None and _owner_alive(held):
                raise FlowLockedError(f"flow {name} is being applied by {held}; try again later")
            if held is not None:  # its process died without letting go
                connection.execute(sa.delete(t.locks).where(t.locks.c.name == name))
            connection.execute(sa.insert(t.locks).values(name=name, owner=owner, acquired_at=now()))

    # ---- runs ------------------------------------------------------------------------------

    def start_run(self, integration: str, flow: str, kind: str, spec_digest: str | None = None) -> str:
        run_id = str(uuid.uuid4())
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(t.runs).values(
                    id=run_id, integration=integration, flow=flow, kind=kind, status="running",
                    started_at=now(), summary={}, spec_digest=spec_digest,
                )
            )  # fmt: skip
        return run_id

    def finish_run(self, run_id: str, status: str, summary: Mapping[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(status=status, finished_at=now(), summary=dict(summary))
            )

    def runs(self, integration: str | None = None, flow: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(t.runs).order_by(t.runs.c.started_at)
        if integration:
            query = query.where(t.runs.c.integration == integration)
        if flow:
            query = query.where(t.runs.c.flow == flow)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # ---- last applied, id map, cursors -----------------------------------------------------

    def applied(self, integration: str, flow: str, keys: Sequence[Key] | None = None) -> dict[Key, dict[str, Any]]:
        """Last-applied documents of a flow: all of them, or those of these keys."""
        query = sa.select(t.applied.c.key, t.applied.c.document).where(
            t.applied.c.integration == integration, t.applied.c.flow == flow
        )
        with self.engine.connect() as connection:
            if keys is None:
                return {decode_key(row.key): row.document for row in connection.execute(query)}
            found = {}
            for chunk in _chunks([encode_key(key) for key in keys], KEYS_PER_STATEMENT):
                rows = connection.execute(query.where(t.applied.c.key.in_(chunk)))
                found.update({decode_key(row.key): row.document for row in rows})
            return found

    def remembered(self, integration: str, flow: str) -> Remembered:
        applied, in_step = t.applied.c, t.in_step.c
        joined = t.applied.outerjoin(
            t.in_step,
            sa.and_(in_step.integration == applied.integration, in_step.flow == applied.flow,
                    in_step.key == applied.key, in_step.document == applied.fingerprint),
        )  # fmt: skip
        query = (
            sa.select(applied.key, applied.fingerprint, in_step.source_key, in_step.source, in_step.target)
            .select_from(joined)
            .where(applied.integration == integration, applied.flow == flow)
        )
        keys: set[Key] = set()
        found: dict[Key, InStep] = {}
        with self.engine.connect() as connection:
            for key_text, document, source_key, source, target in connection.execute(query):
                key = decode_key(key_text)
                keys.add(key)
                if source_key is not None:
                    source_key = key if source_key == key_text else decode_key(source_key)
                    found[source_key] = InStep(key, source_key, source, target, document)
        return Remembered(keys, found)

    def remember(self, integration: str, flow: str, records: Sequence[InStep]) -> None:
        """Record these records as found in step (see `InStep`)."""
        stamp = now()
        scope = {"integration": integration, "flow": flow}
        with self.engine.begin() as connection:
            for chunk in _chunks(records, KEYS_PER_STATEMENT):
                _delete_keys(connection, t.in_step, scope, [encode_key(item.key) for item in chunk])
                connection.execute(
                    sa.insert(t.in_step),
                    [{**scope, "key": encode_key(item.key), "source_key": encode_key(item.source_key),
                      "source": item.source, "target": item.target, "document": item.document,
                      "recorded_at": stamp} for item in chunk],
                )  # fmt: skip

    def target_ids(self, integration: str, flow: str) -> dict[Key, str]:
        query = sa.select(t.id_map.c.key, t.id_map.c.target_id).where(
            t.id_map.c.integration == integration, t.id_map.c.flow == flow
        )
        with self.engine.connect() as connection:
            return {decode_key(row.key): row.target_id for row in connection.execute(query)}

    def cursor(self, integration: str, flow: str) -> str | None:
        query = sa.select(t.cursors.c.value).where(t.cursors.c.integration == integration, t.cursors.c.flow == flow)
        with self.engine.connect() as connection:
            value: str | None = connection.execute(query).scalar()
            return value

    def set_cursor(self, integration: str, flow: str, value: str) -> None:
        with self.engine.begin() as connection:
            where = (t.cursors.c.integration == integration, t.cursors.c.flow == flow)
            connection.execute(sa.delete(t.cursors).where(*where))
            connection.execute(
                sa.insert(t.cursors).values(integration=integration, flow=flow, value=value, updated_at=now())
            )

    # ---- journal ---------------------------------------------------------------------------

    def intend(self, run_id: str, integration: str, flow: str, writes: Sequence[tuple[Key, str, Any]]) -> list[int]:
        """Journal the intent to write (key, action, document) before the write; returns entry ids."""
        stamp = now()
        rows = [
            {"run_id": run_id, "integration": integration, "flow": flow, "key": encode_key(key),
             "action": action, "document": document, "status": "intent", "created_at": stamp}
            for key, action, document in writes
        ]  # fmt: skip
        with self.engine.begin() as connection:
            if not rows:
                return []
            result = connection.execute(sa.insert(t.journal).returning(t.journal.c.id), rows)
            return [row.id for row in result]

    def open_intents(self, integration: str, flow: str) -> list[JournalEntry]:
        """Writes begun but never recorded as done: a run died between intent and done."""
        query = (
            sa.select(t.journal)
            .where(t.journal.c.integration == integration, t.journal.c.flow == flow)
            .where(t.journal.c.status == "intent")
            .order_by(t.journal.c.id)
        )
        with self.engine.connect() as connection:
            return [
                JournalEntry(row.id, row.run_id, decode_key(row.key), row.action, row.document)
                for row in connection.execute(query)
            ]

    def settle(
        self,
        run_id: str,
        integration: str,
        flow: str,
        journal_ids: Sequence[int],
        written: Sequence[Written],
        failed: Sequence[Failed],
        abandoned: Sequence[int] = (),
    ) -> None:
        """Record the outcome of one batch in one transaction: journal done, last applied, id map,
        activity, dead letters. Either all of it is recorded or none of it."""
        stamp = now()
        scope = {"integration": integration, "flow": flow}
        with self.engine.begin() as connection:
            if journal_ids:
                connection.execute(
                    sa.update(t.journal).where(t.journal.c.id.in_(journal_ids)).values(status="done", finished_at=stamp)
                )
            if abandoned:
                connection.execute(
                    sa.update(t.journal)
                    .where(t.journal.c.id.in_(abandoned))
                    .values(status="abandoned", finished_at=stamp)
                )
            for chunk in _chunks(written, KEYS_PER_STATEMENT):
                self._record_written(connection, run_id, scope, chunk, stamp)
            for problem in failed:
                self._record_failed(connection, run_id, scope, problem, stamp)

    def _record_written(
        self, connection: sa.Connection, run_id: str, scope: dict[str, str], items: Sequence[Written], stamp: datetime
    ) -> None:
        """Last applied, id map, dead letters resolved and activity of written records: a few statements
        for all of them."""
        latest = list({item.key: item for item in items}.values())
        keys = [encode_key(item.key) for item in latest]
        dl = t.dead_letters.c
        _delete_keys(connection, t.applied, scope, keys)
        documents = [
            {**scope, "key": encode_key(item.key), "document": dict(item.document),
             "fingerprint": fingerprint(item.document), "run_id": run_id, "applied_at": stamp}
            for item in latest
            if item.document is not None
        ]  # fmt: skip
        if documents:
            connection.execute(sa.insert(t.applied), documents)
        _delete_keys(connection, t.in_step, scope, keys)  # written: what was in step is no longer
        _delete_keys(connection, t.id_map, scope, keys)
        mapped = [
            {**scope, "key": encode_key(item.key), "target_id": item.target_id, "updated_at": stamp}
            for item in latest
            if item.target_id is not None and item.document is not None
        ]
        if mapped:
            connection.execute(sa.insert(t.id_map), mapped)
        connection.execute(
            sa.update(t.dead_letters)
            .where(dl.integration == scope["integration"], dl.flow == scope["flow"], dl.key.in_(keys))
            .where(dl.resolved_at.is_(None))
            .values(resolved_at=stamp)
        )
        connection.execute(
            sa.insert(t.activity),
            [_activity(run_id, scope, item.key, item.action, "done", item, stamp) for item in items],
        )

    def _record_failed(
        self, connection: sa.Connection, run_id: str, scope: dict[str, str], item: Failed, stamp: datetime
    ) -> None:
        key = encode_key(item.key)
        dl = t.dead_letters.c
        open_letter = connection.execute(
            sa.select(dl.id)
            .where(dl.integration == scope["integration"], dl.flow == scope["flow"], dl.key == key)
            .where(dl.resolved_at.is_(None))
        ).scalar()
        if open_letter is None:
            connection.execute(
                sa.insert(t.dead_letters).values(
                    **scope, key=key, action=item.action, document=_json(item.document), reason=item.reason,
                    run_id=run_id, attempts=1, created_at=stamp,
                )
            )  # fmt: skip
        else:
            connection.execute(
                sa.update(t.dead_letters)
                .where(dl.id == open_letter)
                .values(
                    attempts=dl.attempts + 1, reason=item.reason, run_id=run_id, action=item.action,
                    document=_json(item.document),
                )
            )  # fmt: skip
        connection.execute(
            sa.insert(t.activity), [_activity(run_id, scope, item.key, item.action, "failed", item, stamp)]
        )

    # ---- dead letters ----------------------------------------------------------------------

    def dead_letters(self, integration: str | None = None, flow: str | None = None) -> list[DeadLetter]:
        dl = t.dead_letters.c
        query = sa.select(t.dead_letters).where(dl.resolved_at.is_(None)).order_by(dl.id)
        if integration:
            query = query.where(dl.integration == integration)
        if flow:
            query = query.where(dl.flow == flow)
        with self.engine.connect() as connection:
            return [
                DeadLetter(
                    row.id,
                    row.integration,
                    row.flow,
                    decode_key(row.key),
                    row.action,
                    row.document,
                    row.reason,
                    row.attempts,
                    row.created_at,
                )
                for row in connection.execute(query)
            ]

    def resolve_dead_letters(self, integration: str, flow: str, keys: Sequence[Key]) -> int:
        """Close the open dead letters of records that are now in sync without a write."""
        if not keys:
            return 0
        dl = t.dead_letters.c
        with self.engine.begin() as connection:
            result = connection.execute(
                sa.update(t.dead_letters)
                .where(dl.integration == integration, dl.flow == flow, dl.resolved_at.is_(None))
                .where(dl.key.in_([encode_key(key) for key in keys]))
                .values(resolved_at=now())
            )
            return result.rowcount or 0

    # ---- webhook events --------------------------------------------------------------------

    def record_event(
        self,
        integration: str,
        system: str,
        webhook_id: str,
        topic: str,
        entity: str | None,
        flows: Sequence[str],
        keys: Sequence[Sequence[str]],
        payload: Any,
    ) -> bool:
        """Store a delivery once; False when this webhook id was stored before (a redelivery)."""
        row = {
            "integration": integration, "system": system, "webhook_id": webhook_id, "topic": topic,
            "entity": entity, "flows": list(flows), "keys": [list(k) for k in keys], "payload": _json(payload),
            "status": "pending" if flows else "ignored", "received_at": now(),
        }  # fmt: skip
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(t.events).values(**row))
        except sa.exc.IntegrityError:
            return False
        return True

    def pending_events(self, integration: str | None = None) -> list[StoredEvent]:
        e = t.events.c
        query = sa.select(t.events).where(e.status == "pending").order_by(e.id)
        if integration:
            query = query.where(e.integration == integration)
        with self.engine.connect() as connection:
            return [
                StoredEvent(
                    row.id,
                    row.integration,
                    row.system,
                    row.topic,
                    row.entity,
                    row.flows,
                    row.keys,
                    _aware(row.received_at),
                )
                for row in connection.execute(query)
            ]

    def finish_events(self, ids: Sequence[int]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.events).where(t.events.c.id.in_(list(ids))).values(status="done", processed_at=now())
            )

    # ---- activity log ----------------------------------------------------------------------

    def activity(
        self,
        integration: str | None = None,
        flow: str | None = None,
        key: Key | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Activity]:
        a = t.activity.c
        query = sa.select(t.activity).order_by(a.id)
        if integration:
            query = query.where(a.integration == integration)
        if flow:
            query = query.where(a.flow == flow)
        if key is not None:
            query = query.where(a.key == encode_key(key))
        if since is not None:
            query = query.where(a.at >= since)
        if limit is not None:
            query = query.order_by(None).order_by(a.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            rows = [
                Activity(
                    row.id,
                    row.run_id,
                    row.integration,
                    row.flow,
                    decode_key(row.key),
                    row.action,
                    row.outcome,
                    row.source,
                    row.sent,
                    row.response,
                    _aware(row.at),
                )
                for row in connection.execute(query)
            ]
        return sorted(rows, key=lambda entry: entry.id)

    def purge_activity(self, before: datetime) -> int:
        """Delete activity older than `before`; returns how many entries went."""
        with self.engine.begin() as connection:
            result = connection.execute(sa.delete(t.activity).where(t.activity.c.at < before))
            return result.rowcount or 0


def _json(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, default=str))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: only it can say it is gone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _safe(exc: Exception) -> str:
    """An error about the database without the URL, which may carry a password."""
    return str(getattr(exc, "orig", exc)).splitlines()[0]


KEYS_PER_STATEMENT = 500  # keys in one `IN (…)`, well inside every database's limit on parameters


def _delete_keys(connection: sa.Connection, table: sa.Table, scope: dict[str, str], keys: Sequence[str]) -> None:
    """Delete a flow's rows of `table` with these (encoded) keys."""
    columns = table.c
    connection.execute(
        sa.delete(table).where(
            columns.integration == scope["integration"], columns.flow == scope["flow"], columns.key.in_(keys)
        )
    )


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _activity(
    run_id: str, scope: dict[str, str], key: Key, action: str, outcome: str, item: Written | Failed, stamp: datetime
) -> dict[str, Any]:
    return {
        "run_id": run_id, **scope, "key": encode_key(key), "action": action, "outcome": outcome,
        "source": _json(item.source), "sent": _json(item.sent), "response": _json(item.response), "at": stamp,
    }  # fmt: skip
