"""The store's identity: an id, and the secret that signs the plans saved against it.

The secret lives in the store, not in a file of its own: a plan is made and applied against one
store, which on PostgreSQL is shared by every machine that plans or applies (a plan made in CI is
applied elsewhere), and a store made again — its last-applied state gone — is another store whose
plans are other plans. Anyone who may write the state store may sign; the signature is there so
that a plan file, which travels (a CI artefact, a pull request), cannot be edited and still applied.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from engine.plan.planfile import PlanKey
from engine.state import tables as t
from engine.state.database import now

STORE_ID, PLAN_SECRET = "store-id", "plan-secret"


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
