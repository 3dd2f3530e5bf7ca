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
from engine.state.failures import SHAPES, URL_HELP, detail, explain, unusable_url, where

T = TypeVar("T")
KEYS_PER_STATEMENT = 500  # keys in one `IN (…)`, well inside every database's limit on parameters
BUSY_TIMEOUT_S = 30.0  # how long a SQLite write waits for another process's write lock before giving up


def default_url(root: Path, environment: str) -> str:
    """The SQLite file of an environment's state when no URL is given: `.tillsync/<env>/state.db`."""
    folder = root / ".tillsync" / environment
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(f"cannot make the folder {folder} for the state store ({exc.strerror}); give this user "
                         "write access there, or set TILLSYNC_STATE_URL") from None  # fmt: skip
    return f"sqlite:///{folder / 'state.db'}"


def open_database(url: str) -> sa.Engine:
    """An engine on `url` with the schema migrated to this version; `StateError` when it cannot be used.
    Every database error of the engine, now and later, is a `StateError` too (`failures`)."""
    problem = unusable_url(url)
    if problem is not None:
        raise problem
    parsed = sa.engine.make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    timeout = BUSY_TIMEOUT_S
    options: dict[str, Any] = {"connect_args": {"timeout": timeout}} if is_sqlite else {"pool_pre_ping": True}
    try:
        engine = sa.create_engine(parsed, **options)
    except ImportError as exc:
        raise StateError(f"cannot open {where(parsed)}: its driver {exc.name or parsed.drivername} is not installed; "
                         f"the state URL {URL_HELP} should be {SHAPES}") from None  # fmt: skip
    except sa.exc.ArgumentError as exc:
        raise StateError(f"cannot open {where(parsed)}: {detail(exc, parsed)}; the state URL {URL_HELP} should be "
                         f"{SHAPES}") from None  # fmt: skip

    def explained(context: sa.engine.ExceptionContext) -> None:
        error = context.sqlalchemy_exception
        if isinstance(error, sa.exc.DBAPIError):
            meant = explain(error, parsed, timeout)
            if meant is not None:
                raise meant from None

    sa.event.listen(engine, "handle_error", explained)
    if is_sqlite:
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # two processes starting at once migrate one at a time
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(7446215)"))
            t.migrate(connection)
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
