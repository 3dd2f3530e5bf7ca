"""The state store's database: SQLite by default, PostgreSQL by URL, migrated on open.

Also the few helpers every store shares: the time, JSON that survives a database, and statements
over a flow's rows by key, in chunks small enough for any database's limit on parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from engine.errors import StateError
from engine.state import tables as t

T = TypeVar("T")
KEYS_PER_STATEMENT = 500  # keys in one `IN (…)`, well inside every database's limit on parameters


def default_url(root: Path, environment: str) -> str:
    folder = root / ".tillsync" / environment
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'state.db'}"


def open_database(url: str) -> sa.Engine:
    """An engine on `url` with the schema migrated to this version; `StateError` when it cannot be used."""
    is_sqlite = url.startswith("sqlite")
    options: dict[str, Any] = {"connect_args": {"timeout": 30}} if is_sqlite else {"pool_pre_ping": True}
    try:
        engine = sa.create_engine(url, **options)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StateError(f"cannot open the state store: not a database URL sqlalchemy knows ({exc})") from None
    if is_sqlite:
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # two processes starting at once migrate one at a time
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(7446215)"))
            t.migrate(connection)
    except sa.exc.DatabaseError as exc:
        engine.dispose()
        raise StateError(f"cannot open the state store: {safe_error(exc)}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def to_json(value: Any) -> Any:
    """A value as the JSON a database column keeps (decimals and dates as text)."""
    return None if value is None else json.loads(json.dumps(value, default=str))


def safe_error(exc: Exception) -> str:
    """An error about the database without the URL, which may carry a password."""
    return str(getattr(exc, "orig", exc)).splitlines()[0]


def chunks(items: Sequence[T], size: int = KEYS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def delete_keys(connection: sa.Connection, table: sa.Table, integration: str, flow: str, keys: Sequence[str]) -> None:
    """Delete a flow's rows of `table` with these (encoded) keys."""
    columns = table.c
    connection.execute(
        sa.delete(table).where(columns.integration == integration, columns.flow == flow, columns.key.in_(keys))
    )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
