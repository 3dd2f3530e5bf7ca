"""Flow locks: two applies of one flow never write at once.

PostgreSQL has advisory locks, held by the session and let go when it ends, however the process
died. SQLite has none; a row in `locks` names the holder (host and process), and a lock whose
process on this host is gone is taken over.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from engine.errors import FlowLockedError
from engine.state import tables as t
from engine.state.database import now


class LockStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @contextmanager
    def hold(self, integration: str, flow: str) -> Iterator[None]:
        """Hold the flow's lock for the block; `FlowLockedError` if another process holds it."""
        name = f"{integration}/{flow}"
        if self.engine.dialect.name == "postgresql":
            with self._advisory(name):
                yield
            return
        owner = f"{socket.gethostname()}:{os.getpid()}"
        self._take_row(name, owner)
        try:
            yield
        finally:
            with self.engine.begin() as connection:
                connection.execute(sa.delete(t.locks).where(t.locks.c.name == name, t.locks.c.owner == owner))

    @contextmanager
    def _advisory(self, name: str) -> Iterator[None]:
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

    def _take_row(self, name: str, owner: str) -> None:
        try:
            with self.engine.begin() as connection:
                held = connection.execute(sa.select(t.locks.c.owner).where(t.locks.c.name == name)).scalar()
                if held is not None and _alive(held):
                    raise FlowLockedError(f"flow {name} is being applied by {held}; try again later")
                if held is not None:  # its process died without letting go; only its row goes, not a new holder's
                    connection.execute(sa.delete(t.locks).where(t.locks.c.name == name, t.locks.c.owner == held))
                connection.execute(sa.insert(t.locks).values(name=name, owner=owner, acquired_at=now()))
        except sa.exc.IntegrityError:
            # SQLite reads outside the write transaction: another process took it between the look and the insert
            with self.engine.connect() as connection:
                held = connection.execute(sa.select(t.locks.c.owner).where(t.locks.c.name == name)).scalar()
            holder = held or "another process"
            raise FlowLockedError(f"flow {name} is being applied by {holder}; try again later") from None


def _alive(owner: str) -> bool:
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
