"""The store's identity: an id, and the secret that signs the plans saved against it; and, beside a
SQLite state file, `<file>.id`, which remembers that id so that a state file emptied or deleted is
noticed rather than silently made again.

The secret lives in the store, not in a file of its own: a plan is made and applied against one
store, which on PostgreSQL is shared by every machine that plans or applies (a plan made in CI is
applied elsewhere), and a store made again — its last-applied state gone — is another store whose
plans are other plans. Anyone who may write the state store may sign; the signature is there so
that a plan file, which travels (a CI artefact, a pull request), cannot be edited and still applied.

What can be known of a lost store: a SQLite file that exists but is empty (SQLite writes its header
the moment the file is set up, so a used store never is), or a missing file whose `.id` is still
there. A PostgreSQL schema made again looks like any new store: nothing outside it remembers it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa

from engine.plan.planfile import PlanKey
from engine.state import tables as t
from engine.state.database import now

STORE_ID, PLAN_SECRET = "store-id", "plan-secret"
GONE = (
    "the last-applied state is gone. Tillsync starts a new state store: the next plan reconciles against what the "
    "targets hold (records already there are matched by their keys, not created again), but records since deleted "
    "from a source are no longer archived or deleted in the targets, as nothing says Tillsync wrote them; plans "
    "saved before are refused"
)


class IdentityStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._key: PlanKey | None = None

    def plan_key(self) -> PlanKey:
        """The store's id and the secret that signs its plans, made the first time they are asked for."""
        if self._key is None:
            self._key = self._read() or self._make()
        return self._key

    def _read(self) -> PlanKey | None:
        with self.engine.connect() as connection:
            found = dict(connection.execute(sa.select(t.store_keys.c.name, t.store_keys.c.value)).all())
        if STORE_ID not in found or PLAN_SECRET not in found:
            return None
        return PlanKey(found[STORE_ID], bytes.fromhex(found[PLAN_SECRET]))

    def _make(self) -> PlanKey:
        rows = [{"name": STORE_ID, "value": secrets.token_hex(8), "created_at": now()},
                {"name": PLAN_SECRET, "value": secrets.token_hex(32), "created_at": now()}]  # fmt: skip
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(t.store_keys), rows)
        except sa.exc.IntegrityError:
            pass  # another process made them at the same moment: theirs are the store's
        made = self._read()
        assert made is not None, "the store's keys were just written"
        return made


def id_file(path: Path) -> Path:
    return path.with_name(path.name + ".id")


def lost(path: Path) -> str | None:
    """Before a SQLite state file is opened (opening makes an empty file a new store): why the state
    it held is gone, or None when nothing says so."""
    marker = id_file(path)
    if path.is_file() and path.stat().st_size == 0:
        return f"the state store {path} is empty (0 bytes): {GONE}"
    if not path.exists() and marker.is_file():
        return f"the state store {path} is gone, though {marker.name} beside it shows one was kept there: {GONE}"
    return None


def remember(path: Path, store: str) -> None:
    """Keep the id of the store in `path` beside it (see the module)."""
    marker = id_file(path)
    text = (f"{store}\n# The id of the Tillsync state store in {path.name}. While this file is here, {path.name} "
            "missing or empty means its last-applied state was lost.\n")  # fmt: skip
    try:
        if not marker.is_file() or marker.read_text(encoding="utf-8") != text:
            marker.write_text(text, encoding="utf-8")
    except OSError:
        pass  # evidence only: a folder this user cannot write to fails louder at the store's first write
