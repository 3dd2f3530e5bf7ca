"""What a failure of the state store's database means, said as one sentence: what is wrong and what
to do about it.

`open_database` registers `handle_error` on every engine it makes, so each error the database driver
raises, at open or in use, by any store, reaches the caller as a `StateError` — the stores use the
database plainly and never catch. Two kinds pass through untouched: an `IntegrityError`, which
stores use on purpose (a webhook delivered twice, a lock taken at the same moment), and a
programming error, which is a bug in Tillsync and should be reported as one.

A message names the store by its file, or by PostgreSQL host, port and database: never by its URL,
whose user part, password or query may carry a secret; and a driver's message is cut to its first
line, with the password taken out should the driver have echoed it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from engine.errors import StateError

URL_HELP = "(set TILLSYNC_STATE_URL or the environment's state_url)"
SHAPES = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"

# SQLite's primary result codes (https://sqlite.org/rescode.html) that a person can do something about.
SQLITE_ERROR, SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 1, 3, 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for any other URL, or one that is not a URL."""
    try:
        return sqlite_path(sa.engine.make_url(url))
    except (sa.exc.ArgumentError, ValueError):
        return None


def sqlite_path(url: sa.URL) -> Path | None:
    """The file a SQLite URL names; None for an in-memory database or a `file:` URI."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def where(url: sa.URL) -> str:
    """The store as a message names it: never with the user, password or query of its URL."""
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        shown = url.database.split("?")[0].removeprefix("file:") if url.database else "in memory"
        return f"the state store {path if path is not None else shown}"
    port = f":{url.port}" if url.port else ""
    return f"the PostgreSQL state store at {url.host or 'localhost'}{port}/{url.database or ''}"


def detail(exc: BaseException, url: sa.URL | None = None) -> str:
    """A driver's message: its first line, without the URL's password should it be in there."""
    original = getattr(exc, "orig", None) or exc
    text = (str(original).strip().splitlines() or [type(original).__name__])[0]
    for secret in (url.password if url is not None else None, *(url.query.values() if url is not None else ())):
        if isinstance(secret, str) and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def explain(exc: sa.exc.DBAPIError, url: sa.URL, busy_timeout: float) -> StateError | None:
    """The `StateError` a database error means; None for one to let through (see the module)."""
    if isinstance(exc, sa.exc.IntegrityError):
        return None
    original = exc.orig
    said = detail(exc, url)
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", SQLITE_ERROR) & 0xFF
        if isinstance(exc, sa.exc.ProgrammingError) or code == SQLITE_ERROR:  # a statement SQLite cannot run: a bug
            return None
        return _sqlite(where(url), said, code, busy_timeout)
    state = str(getattr(original, "sqlstate", None) or "")
    if isinstance(exc, sa.exc.ProgrammingError) and state != "42501":  # but for a right this user lacks
        return None
    return _postgres(where(url), said, state, exc)


def _sqlite(store: str, said: str, code: int, busy_timeout: float) -> StateError:
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StateError(
            f"{store} is locked by another process (waited {busy_timeout:g} s): a long write, or a "
            "process stuck holding it; nothing of this step was recorded: try again when it is done"
        )
    if code in (SQLITE_READONLY, SQLITE_PERM):
        return read_only(store, said)
    if code == SQLITE_FULL:
        return full(store, said)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StateError(
            f"{store} is damaged ({said}); restore it from a backup, or move it aside to start a new "
            "one (the next plan then reconciles against what the targets hold)"
        )
    if code == SQLITE_CANTOPEN:
        return StateError(f"cannot open {store} ({said}); check that its folder exists and this user may write there")
    if code == SQLITE_IOERR:
        return StateError(f"{store} could not be read or written ({said}); check the disk it is on")
    return StateError(f"{store} failed ({said})")


def _postgres(store: str, said: str, state: str, exc: sa.exc.DBAPIError) -> StateError:
    if state == "53100" or state.startswith("53"):
        return full(store, said)
    if state in ("42501", "25006"):
        return StateError(f"{store} refused this user ({said}); grant it the right to create and write tables in "
                          "the state store's schema")  # fmt: skip
    if state in ("55P03", "40001", "40P01"):
        return StateError(f"{store} was busy with another process ({said}); nothing of this step was recorded: "
                          "run again")  # fmt: skip
    if (
        exc.connection_invalidated
        or state.startswith(("08", "57P"))
        or (not state and isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError))
    ):
        return StateError(f"cannot reach {store} ({said}); nothing of this step was recorded: check that PostgreSQL "
                          f"runs there and the state URL {URL_HELP}, then run again")  # fmt: skip
    return StateError(f"{store} failed ({said})")


def read_only(store: str, said: str) -> StateError:
    return StateError(
        f"{store} is read-only for this user ({said}); Tillsync writes to it on every run: give this "
        "user write access to the file and to its folder, where SQLite keeps its -wal and -shm files"
    )


def full(store: str, said: str) -> StateError:
    return StateError(
        f"the disk holding {store} is full ({said}); nothing of this step was recorded: free space, "
        "then run again (the next run settles any write left in doubt)"
    )


def unusable_url(url: str) -> StateError | None:
    """Why `url` names no store Tillsync can use, before anything is opened; None when it may."""
    try:
        parsed = sa.engine.make_url(url)  # a port that is no number is a ValueError
    except (sa.exc.ArgumentError, ValueError):
        return StateError(f"the state URL is not a database URL {URL_HELP}; give {SHAPES}")
    backend = parsed.get_backend_name()
    if backend == "postgres":
        return StateError(f"the state URL {URL_HELP} begins postgres://, which SQLAlchemy does not read: write "
                          "postgresql+psycopg://USER@HOST/DATABASE")  # fmt: skip
    if backend not in ("sqlite", "postgresql"):
        return StateError(f"Tillsync keeps its state in SQLite or PostgreSQL, not {backend}: the state URL "
                          f"{URL_HELP} must be {SHAPES}")  # fmt: skip
    path = sqlite_path(parsed)
    if path is None:
        return None
    folder = path.parent
    if not folder.is_dir():
        return StateError(f"{where(parsed)}: the folder {folder} does not exist: create it, or correct the state URL "
                          f"{URL_HELP}")  # fmt: skip
    if path.is_dir():
        return StateError(f"{where(parsed)} is a folder, not a file: correct the state URL {URL_HELP}")
    for what in (path, folder) if path.exists() else (folder,):
        if not os.access(what, os.R_OK | os.W_OK | (os.X_OK if what == folder else 0)):
            return read_only(where(parsed), f"{what} is not writable")
    return None
