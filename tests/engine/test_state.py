"""The state store, the same suite on SQLite and on PostgreSQL; and on SQLite, a store that was lost
is said out loud.

What can be known of a lost store: a state file that exists but is empty (SQLite never leaves one
once it has set the file up), and, beside each SQLite state file, `<file>.id` naming the store made
there, so a state file deleted from under it is noticed too. A new PostgreSQL schema looks like any
new store. The store's identity (its id, and the key that signs its saved plans) is made once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.errors import FlowLockedError, StateError
from engine.keys import decode_key, encode_key, fingerprint
from engine.plan.model import Fingerprints
from engine.records import Entity
from engine.state import Failed, Remembered, StateStore, Written
from engine.state import tables as t
from tests.engine.conftest import Repo
from tests.engine.test_apply import CATALOGUE


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[StateStore]:
    with StateStore(url) as opened:
        yield opened


def test_migrations_run_once_and_are_recorded(url: str) -> None:
    StateStore(url).close()
    with StateStore(url) as store, store.engine.connect() as connection:
        versions = connection.execute(sa.select(t.schema_version.c.version)).scalars().all()
    assert versions == sorted(t.MIGRATIONS)


def test_a_newer_schema_with_a_step_this_version_lacks_is_still_migrated_in_order(tmp_path: Path) -> None:
    """Steps are recorded one by one; a store that reached a later step before an earlier one was
    known (two changes made side by side) gets the earlier one when it is known."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    StateStore(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.delete(t.schema_version).where(t.schema_version.c.version == 3))
        connection.execute(sa.text("DROP TABLE in_step"))
    engine.dispose()
    with StateStore(url) as store, store.engine.connect() as connection:
        versions = connection.execute(sa.select(t.schema_version.c.version)).scalars().all()
        assert sorted(versions) == sorted(t.MIGRATIONS) and sa.inspect(connection).has_table("in_step")


def test_a_newer_schema_is_refused(url: str) -> None:
    with StateStore(url) as store, store.engine.begin() as connection:
        connection.execute(sa.insert(t.schema_version).values(version=t.LATEST + 1))
    with pytest.raises(StateError, match="newer than this Tillsync"):
        StateStore(url)


def test_a_batch_records_journal_applied_activity_and_dead_letters_together(store: StateStore) -> None:
    run = store.runs.start("shop", "products", "apply")
    ids = store.journal.intend(run, "shop", "products", [(("1",), "create", {"sku": "1"}), (("2/a",), "create", None)])
    assert [e.key for e in store.journal.open_intents("shop", "products")] == [("1",), ("2/a",)]
    store.record_batch(
        run, "shop", "products", done=ids,
        written=[Written(("1",), "create", {"title": "Shirt"}, {"in": 1}, {"out": 1}, {"id": 1})],
        failed=[Failed(("2/a",), "create", "SKU '2/a' is not numeric", {"sku": "2/a"})],
    )  # fmt: skip
    assert store.journal.open_intents("shop", "products") == []
    assert store.applied.documents("shop", "products") == {("1",): {"title": "Shirt"}}
    [letter] = store.dead_letters.open("shop")
    assert (letter.key, letter.reason, letter.attempts) == (("2/a",), "SKU '2/a' is not numeric", 1)
    logged = store.activity.list(integration="shop")
    assert [(a.key, a.outcome, a.sent) for a in logged] == [(("1",), "done", {"out": 1}), (("2/a",), "failed", None)]

    store.record_batch(run, "shop", "products", failed=[Failed(("2/a",), "create", "still not numeric")])
    assert store.dead_letters.open()[0].attempts == 2 and len(store.dead_letters.open()) == 1
    store.record_batch(run, "shop", "products", written=[Written(("2/a",), "create", {"t": 1})])
    assert store.dead_letters.open() == []
    store.runs.finish(run, "succeeded", {"create": 2})
    assert store.runs.list("shop")[0]["summary"] == {"create": 2}


@pytest.mark.parametrize("key", [("1",), ("a", "b"), ('x", "y',), ("é", ""), ("",), ("back\\slash", "line\nbreak")])
def test_keys_are_stored_as_json_and_read_back_whole(key: tuple[str, ...]) -> None:
    assert json.loads(encode_key(key)) == list(key) and decode_key(encode_key(key)) == key


def test_fingerprints_of_unchanged_records_are_remembered_while_the_applied_document_holds(store: StateStore) -> None:
    run = store.runs.start("shop", "products", "apply")
    documents = {"1": {"title": "Shirt"}, "2": {"title": "Mug"}}
    store.record_batch(run, "shop", "products", written=[Written((k,), "create", d) for k, d in documents.items()])
    store.applied.remember_unchanged("shop", "products", [
        Fingerprints(("1",), ("A-1",), "s1", "t1", fingerprint(documents["1"])),
        Fingerprints(("2",), ("A-2",), "s2", "t2", fingerprint({"title": "Mug, as another plan saw it"})),
    ])  # fmt: skip
    remembered = store.applied.keys("shop", "products")
    assert remembered.keys == {("1",), ("2",)}
    assert remembered.unchanged == {("A-1",): Remembered(("1",), "s1", "t1")}
    store.record_batch(run, "shop", "products", written=[Written(("1",), "update", {"title": "Shirt"})])
    assert store.applied.keys("shop", "products").unchanged == {}, "a record written since is forgotten"
    assert store.applied.documents("shop", "products", [("2",), ("3",)]) == {("2",): {"title": "Mug"}}


def test_fingerprints_are_loaded_for_their_versions_without_them(store: StateStore) -> None:
    run = store.runs.start("shop", "products", "apply")
    documents = {str(n): {"title": f"Article {n}"} for n in range(1, 5)}
    store.record_batch(run, "shop", "products", written=[Written((k,), "create", d) for k, d in documents.items()])
    store.applied.remember_unchanged("shop", "products", [
        Fingerprints(("1",), ("A-1",), "v1:s1", "w1:t1", fingerprint(documents["1"])),
        Fingerprints(("2",), ("A-2",), "v2:s2", "w1:t2", fingerprint(documents["2"])),  # the spec changed since
        Fingerprints(("3",), ("3",), "v1:s3", "", fingerprint(documents["3"])),  # settled: the target not read
        Fingerprints(("4",), ("4",), "v2:s4", "w2:t4", fingerprint(documents["4"])),  # the diff policy changed too
    ])  # fmt: skip
    remembered = store.applied.keys("shop", "products", "v1:", "w1:")
    assert remembered.keys == {("1",), ("2",), ("3",), ("4",)}, "every key, whatever was remembered of it"
    assert remembered.unchanged == {
        ("A-1",): Remembered(("1",), "s1", "t1"),
        ("A-2",): Remembered(("2",), None, "t2"),
        ("3",): Remembered(("3",), "s3", None),
    }


def test_activity_is_filtered_and_purged_by_age(store: StateStore) -> None:
    run = store.runs.start("shop", "orders", "apply")
    store.record_batch(run, "shop", "orders", written=[Written(("W1",), "create", {}), Written(("W2",), "create", {})])
    assert [a.key for a in store.activity.list(flow="orders", key=("W2",))] == [("W2",)]
    assert store.activity.list(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert store.activity.purge(datetime.now(UTC) - timedelta(days=1)) == 0
    assert store.activity.purge(datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert store.activity.list() == []


def test_cursors_are_kept_per_flow(store: StateStore) -> None:
    assert store.applied.cursor("shop", "orders") is None
    store.applied.set_cursor("shop", "orders", "2026-11-20T10:00:00Z")
    store.applied.set_cursor("shop", "orders", "2026-11-21T10:00:00Z")
    assert store.applied.cursor("shop", "orders") == "2026-11-21T10:00:00Z"
    assert store.applied.cursor("shop", "stock") is None


def test_one_lock_per_flow(store: StateStore, url: str) -> None:
    other = StateStore(url)
    try:
        with store.lock("shop", "stock"):
            with pytest.raises(FlowLockedError), other.lock("shop", "stock"):
                pass
            with other.lock("shop", "orders"):
                pass  # another flow is free
        with other.lock("shop", "stock"):
            pass  # released
    finally:
        other.close()


@pytest.mark.postgres
def test_concurrent_applies_on_postgres_never_both_write(repo: Repo, postgres_url: str) -> None:
    """Two processes apply the same flow at once: the one holding the flow is mid-write when the
    other starts; exactly one writes, the other is refused."""
    repo.seed(Entity.product, CATALOGUE)
    code = (
        "import sys, time, engine.run.apply\n"
        "from pathlib import Path\n"
        "from engine.cli import main\n"
        "def hold(step):\n"
        "    if step == 'intent':\n"
        "        Path('holding').touch()\n"
        "        deadline = time.monotonic() + 20\n"
        "        while not Path('released').exists() and time.monotonic() < deadline:\n"
        "            time.sleep(0.05)\n"
        "engine.run.apply.checkpoint = hold\n"
        "sys.exit(main(['apply', '--env', 'test', '--yes']))\n"
    )
    env = {"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin", "TILLSYNC_STATE_URL": postgres_url}

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-c", code], cwd=repo.root, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip

    first = start()
    deadline = time.monotonic() + 60
    while not (repo.root / "holding").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = start()
    second_out, second_err = second.communicate(timeout=120)
    (repo.root / "released").touch()
    first_out, first_err = first.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 1), (first_out, first_err, second_out, second_err)
    assert "being applied by another process" in second_out + second_err
    with StateStore(postgres_url) as store:
        assert [r["status"] for r in store.runs.list()] == ["succeeded"]
        assert len(store.activity.list()) == 5


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def made(tmp_path: Path) -> Path:
    path = tmp_path / ".tillsync" / "test" / "state.db"
    path.parent.mkdir(parents=True)
    with StateStore(_sqlite(path)) as store:
        run = store.runs.start("shop", "products", "apply")
        store.record_batch(run, "shop", "products", written=[Written(("1",), "create", {"title": "Shirt"})])
        store.runs.finish(run, "succeeded", {})
    return path


def test_the_plan_key_is_made_once_per_store(made: Path, tmp_path: Path) -> None:
    with StateStore(_sqlite(made)) as store:
        key = store.plan_key()
        assert store.plan_key() == key and len(key.secret) >= 32
    with StateStore(_sqlite(made)) as store:
        assert store.plan_key() == key
    with StateStore(_sqlite(tmp_path / "other.db")) as other:
        assert other.plan_key().store != key.store and other.plan_key().secret != key.secret
    made.write_bytes(b"")
    with StateStore(_sqlite(made)) as store:
        assert store.plan_key() != key, "a store made again is another store"


@pytest.mark.postgres
def test_the_plan_key_is_shared_by_every_process_on_one_postgresql_store(postgres_url: str) -> None:
    with StateStore(postgres_url) as first, StateStore(postgres_url) as second:
        assert first.plan_key() == second.plan_key()


GONE = "the last-applied state is gone"


def test_a_new_store_says_nothing_and_remembers_its_id_beside_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with StateStore(_sqlite(tmp_path / "state.db")) as store:
        assert store.notices == []
        key = store.plan_key()
    assert capsys.readouterr().err == ""
    assert (tmp_path / "state.db.id").read_text().split()[0] == key.store


def test_an_emptied_state_file_is_said_loudly_once_and_the_store_starts_again(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made.write_bytes(b"")
    with StateStore(_sqlite(made)) as store:
        assert store.applied.documents("shop", "products") == {}
        [notice] = store.notices
    err = capsys.readouterr().err
    assert err.startswith("tillsync: warning: ") and notice in err
    assert "state.db is empty (0 bytes)" in notice and GONE in notice
    assert "the next plan reconciles against what the targets hold" in notice
    with StateStore(_sqlite(made)) as store:
        assert store.notices == []
    assert capsys.readouterr().err == ""


def test_a_deleted_state_file_is_noticed_by_the_id_left_beside_it(
    made: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.remove(made)
    with StateStore(_sqlite(made)) as store:
        [notice] = store.notices
    assert "state.db is gone" in notice and GONE in notice and notice in capsys.readouterr().err


@pytest.mark.parametrize("holder", ["none", "a dead process"])
def test_two_processes_taking_a_sqlite_lock_at_the_same_moment_get_one_lock_and_one_refusal(
    tmp_path: Path, holder: str
) -> None:
    """Both found the lock free (no row, or the row of a dead process); the other's row lands between
    this one's look and its write: this one is refused as locked, and never takes the other's lock."""
    url = _sqlite(tmp_path / "state.db")
    with StateStore(url) as store, StateStore(url) as other:
        if holder != "none":
            dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
            owner = f"{socket.gethostname()}:{dead.stdout.decode().strip()}"
            with store.engine.begin() as connection:
                connection.execute(
                    t.locks.insert().values(name="shop/products", owner=owner, acquired_at=datetime.now(UTC))
                )
        first = "DELETE FROM locks" if holder != "none" else "INSERT INTO locks"

        def other_first(_connection: object, _cursor: object, statement: str, *_: object) -> None:
            if statement.startswith(first) and not other.runs.list():
                other.runs.start("shop", "products", "apply")  # the mark this runs once
                with other.engine.begin() as connection:
                    connection.execute(t.locks.delete())
                    connection.execute(t.locks.insert().values(name="shop/products", owner="elsewhere:1",
                                                               acquired_at=datetime.now(UTC)))  # fmt: skip

        sa.event.listen(store.engine, "before_cursor_execute", other_first)
        taking = pytest.raises(FlowLockedError, match="shop/products is being applied by elsewhere:1")
        with taking, store.lock("shop", "products"):
            pass
        with store.engine.connect() as connection:
            assert connection.execute(sa.select(t.locks.c.owner)).scalars().all() == ["elsewhere:1"]
        assert [r["status"] for r in store.runs.list()] == ["running"], "the other's run is its own"


def test_a_store_made_before_activity_kept_the_values_before_a_write_gains_them(tmp_path: Path) -> None:
    """Version 11 adds the columns an undo reads to an activity table made without them; entries logged
    before have neither."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    StateStore(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.delete(t.schema_version).where(t.schema_version.c.version == 11))
        connection.execute(sa.text("ALTER TABLE activity DROP COLUMN before"))
        connection.execute(sa.text("ALTER TABLE activity DROP COLUMN applied"))
    engine.dispose()
    with StateStore(url) as store:
        run = store.runs.start("shop", "products", "apply")
        store.record_batch(run, "shop", "products",
                           written=[Written(("1",), "update", {"title": "New"}, before={"title": "Old"})])  # fmt: skip
        [entry] = store.activity.of_run(run)
    assert (entry.before, entry.applied) == ({"title": "Old"}, {"title": "New"})
