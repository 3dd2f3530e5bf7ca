"""Every way the state store fails, at open and in use, reaches the caller as one `StateError`
sentence: what is wrong and what to do, without the URL's password, and nothing half-written.

The failures are real ones, made the way they happen: a file that is not a database, a database cut
short, a write lock held by another process past the busy timeout, a store SQLite may only read, a
database that cannot grow (SQLite's `max_page_count` makes SQLite itself report SQLITE_FULL; on
PostgreSQL a trigger raises `disk_full`, the error PostgreSQL gives when it cannot extend a file).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.errors import StateError
from engine.state import Failed, StateStore, Written, database
from engine.state import tables as t


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A state file of a store that has been used: a run with a batch recorded."""
    path = tmp_path / "state.db"
    with StateStore(sqlite_url(path)) as store:
        run = store.runs.start("shop", "products", "apply")
        store.record_batch(run, "shop", "products", written=[Written((str(n),), "create", {"n": n}) for n in range(50)])
        store.runs.finish(run, "succeeded", {})
    return path


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://tillsync:hunter2@db.example/state", "Tillsync keeps its state in SQLite or PostgreSQL, not mysql"),
        ("mssql+pyodbc://tillsync:hunter2@db.example/state", "not mssql"),
        ("postgres://tillsync:hunter2@db.example/state", "begins postgres://, which SQLAlchemy does not read: write "
                                                         "postgresql+psycopg://USER@HOST/DATABASE"),
        ("postgresql+pg8000://tillsync:hunter2@db.example/state", "its driver pg8000 is not installed"),
        ("nonsense", "the state URL is not a database URL"),
        ("postgresql://tillsync:hunter2@db.example:notaport/state", "the state URL is not a database URL"),
        ("postgresql+psycopg://tillsync:hunter2@127.0.0.1:1/state",
         "cannot reach the PostgreSQL state store at 127.0.0.1:1/state"),
        ("postgresql+psycopg://tillsync:hunter2@127.0.0.1:1/state?password=hunter2", "cannot reach"),
    ],
)  # fmt: skip
def test_a_url_that_names_no_usable_store_is_refused_with_a_sentence_without_its_password(url: str, words: str) -> None:
    with pytest.raises(StateError) as raised:
        StateStore(url)
    said = str(raised.value)
    assert words in said and ("postgresql+psycopg://USER@HOST/DATABASE" in said or "check that" in said), said
    assert "hunter2" not in said and "\n" not in said, said


def test_a_sqlite_file_in_a_folder_that_does_not_exist_is_refused_and_no_folder_is_made(tmp_path: Path) -> None:
    folder = tmp_path / "no" / "such"
    with pytest.raises(StateError, match=r"the folder .*no/such does not exist: create it, or correct the state URL"):
        StateStore(sqlite_url(folder / "state.db"))
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("damage", ["not a database", "cut short"])
def test_a_damaged_state_file_is_refused_and_left_as_it_was(made: Path, damage: str) -> None:
    if damage == "not a database":
        made.write_bytes(b"this is not SQLite " * 200)
    else:
        made.write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    before = digest(made)
    with pytest.raises(StateError, match=r"state\.db is damaged \(.*\); restore it from a backup, or move it aside"):
        StateStore(sqlite_url(made))
    assert digest(made) == before and not list(made.parent.glob("state.db-*")), "not written, no journal begun"


LOCKER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def locked(made: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`made`, with another process holding its write lock until the test ends."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.3)
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, str(made)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        yield made
    finally:
        holder.communicate("", timeout=30)


def test_a_store_another_process_keeps_locked_past_the_timeout_says_so(locked: Path) -> None:
    with StateStore(sqlite_url(locked)) as store:
        started = time.monotonic()
        with pytest.raises(StateError, match=r"state\.db is locked by another process \(waited 0\.3 s\)"):
            store.runs.start("shop", "products", "apply")
        assert time.monotonic() - started < 10
        assert len(store.runs.list()) == 1


def test_a_store_sqlite_may_only_read_says_so_when_written(made: Path) -> None:
    """SQLite opened read-only (as it is for a file this user may not write): every write is refused
    by SQLite itself with SQLITE_READONLY."""
    with StateStore(f"sqlite:///file:{made}?mode=ro&uri=true") as store:
        assert len(store.runs.list()) == 1, "reading works"
        with pytest.raises(StateError, match=r"state\.db is read-only for this user .*give this user write access"):
            store.runs.start("shop", "products", "apply")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "state.db")
    return str(request.getfixturevalue("postgres_url"))


def fill_up(store: StateStore) -> None:
    """Make the store's database unable to grow: from now on it reports a full disk."""
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as connection:
            pages = connection.execute(sa.text("PRAGMA page_count")).scalar_one()

        def cap(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 3}")

        sa.event.listen(store.engine, "connect", cap)
        store.engine.dispose()  # connections opened from now on are capped
        return
    with store.engine.begin() as connection:
        connection.execute(sa.text(
            "CREATE FUNCTION no_space() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$"
        ))  # fmt: skip
        connection.execute(sa.text("CREATE TRIGGER no_space BEFORE INSERT ON activity EXECUTE FUNCTION no_space()"))


def test_a_full_disk_mid_batch_records_none_of_the_batch(url: str) -> None:
    """The batch's journal entries, applied documents and dead letters are written before its
    activity lines, which do not fit: none of it is recorded, the intents stay open for the next run."""
    with StateStore(url) as store:
        run = store.runs.start("shop", "products", "apply")
        keys = [(str(n),) for n in range(6)]
        ids = store.journal.intend(run, "shop", "products", [(key, "create", {"sku": key[0]}) for key in keys])
        fill_up(store)
        big = "x" * 40_000  # what came from the source: the activity log is what no longer fits
        written: list[str] = []  # the tables the batch writes to, in order

        def seen(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            written.extend(re.findall(r"^(?:INSERT INTO|UPDATE|DELETE FROM) (\w+)", statement))

        sa.event.listen(store.engine, "before_cursor_execute", seen)
        with pytest.raises(StateError, match=r"the disk holding the .*state store.* is full .*free space, then run"):
            store.record_batch(
                run, "shop", "products", done=ids,
                written=[Written(key, "create", {"sku": key[0]}, source=big) for key in keys[:4]],
                failed=[Failed(key, "create", "refused", source=big) for key in keys[4:]],
            )  # fmt: skip
        assert written[0] == "journal" and {"applied", "dead_letters"} <= set(written) and written[-1] == "activity"
        assert [entry.id for entry in store.journal.open_intents("shop", "products")] == ids
        assert store.applied.documents("shop", "products") == {}
        assert store.dead_letters.open() == [] and store.activity.list() == []


@pytest.mark.postgres
def test_a_postgresql_connection_lost_mid_run_says_so_and_the_store_goes_on(postgres_url: str) -> None:
    """The server ends the session holding a flow's lock (a restart, a failover): letting go of the
    lock fails with a sentence; the next use of the store gets a fresh connection."""
    name = f"tillsync-test-{uuid.uuid4().hex[:12]}"  # only this test's sessions are ended
    with StateStore(f"{postgres_url}&application_name={name}") as store:
        lost = pytest.raises(StateError, match=r"cannot reach the PostgreSQL state store at .*check that PostgreSQL")
        with lost, store.lock("shop", "products"):
            other = sa.create_engine(postgres_url)
            with other.begin() as connection:
                ended = connection.execute(sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"
                ), {"n": name}).scalar_one()  # fmt: skip
            other.dispose()
            assert ended >= 1
        assert [run["status"] for run in store.runs.list()] == []
        with store.lock("shop", "products"):
            pass


def test_a_statement_the_database_cannot_run_is_left_a_bug_not_made_a_state_error(url: str) -> None:
    """Only failures a person can act on become sentences: SQL Tillsync got wrong stays an error of
    its own (the command line reports it as an internal error, a bug to report), and a duplicate
    key stays an `IntegrityError`, which stores catch on purpose."""
    with StateStore(url) as store:
        with pytest.raises(sa.exc.DBAPIError) as raised, store.engine.connect() as connection:
            connection.execute(sa.text("SELEC 1"))
        assert not isinstance(raised.value, StateError)
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
            connection.execute(
                t.store_keys.insert(), [{"name": "x", "value": "1", "created_at": datetime.now(UTC)}] * 2
            )
