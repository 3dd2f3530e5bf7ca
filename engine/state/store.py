"""The state store: one facade over one store per concern, on SQLAlchemy Core.

A SQLite file under `.tillsync/` by default, PostgreSQL by URL for production and for several
workers at once. Records are addressed by (integration, flow, key); a key is the tuple of
match-key values, stored as JSON text. Each concern has its store:

- `locks`: a flow is applied by one process at a time;
- `runs`: every plan-and-apply or check, its outcome and the spec version;
- `applied`: the last-applied document per record (the third side of every diff), the
  fingerprints of records found unchanged, and the cursors of incremental reads;
- `journal`: every write, intent before outcome;
- `dead_letters`: records that did not make it, until they do;
- `events`: webhook deliveries, pending per flow until it ran for them;
- `activity`: what came from the source, what was sent and what came back;
- `budgets`: each system's rate budget, shared by every process calling it.
- `alerts`: problems alerted, once each until they clear, and notices not yet delivered.

The outcome of one batch of writes touches several of them in one transaction (`record_batch`).
The store's identity (`identity`) holds its id and the key that signs plans saved against it.

Every failure of the database, at open or in use, is a `StateError` saying what is wrong and what to
do (`failures`). A store found lost when opened — a SQLite file emptied, or deleted while the id
kept beside it says it was there — is said on stderr and kept in `notices`, since every face
(command line, Dagster, the webhook worker) opens it and the person running it must hear of it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.errors import FlowLockedError
from engine.keys import Key, encode_key
from engine.plan.planfile import PlanKey
from engine.state import activity, applied, dead_letters, identity, journal
from engine.state import tables as t
from engine.state.activity import ActivityStore, Entry
from engine.state.alerts import AlertStore
from engine.state.applied import AppliedStore
from engine.state.budgets import BudgetStore
from engine.state.database import chunks, now, open_database
from engine.state.dead_letters import DeadLetterStore
from engine.state.events import EventStore
from engine.state.failures import sqlite_file
from engine.state.journal import JournalStore
from engine.state.locks import LockStore
from engine.state.runs import RunStore


@dataclass(frozen=True)
class Written:
    """One record the target accepted (or the target already held), to be recorded as applied."""

    key: Key
    action: str
    document: Mapping[str, Any] | None  # what the target now holds for the flow's fields
    source: Any = None
    sent: Any = None
    response: Any = None
    before: Mapping[str, Any] | None = None  # the target's values of the fields written, before ({} for a create)


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
        path = sqlite_file(url)
        lost = identity.lost(path) if path is not None else None  # before opening, which fills an empty file
        self.engine = open_database(url)
        self.identity = identity.IdentityStore(self.engine)
        self.locks = LockStore(self.engine)
        self.runs = RunStore(self.engine)
        self.applied = AppliedStore(self.engine)
        self.journal = JournalStore(self.engine)
        self.dead_letters = DeadLetterStore(self.engine)
        self.events = EventStore(self.engine)
        self.activity = ActivityStore(self.engine)
        self.budgets = BudgetStore(self.engine)
        self.alerts = AlertStore(self.engine)
        self.notices = [lost] if lost else []
        try:
            if path is not None:
                identity.remember(path, self.plan_key().store)
        except BaseException:
            self.close()
            raise
        for notice in self.notices:
            sys.stderr.write(f"tillsync: warning: {notice}\n")

    def plan_key(self) -> PlanKey:
        """The key that signs plans saved against this store, and checks them before they are applied."""
        return self.identity.plan_key()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def lock(self, integration: str, flow: str) -> Iterator[None]:
        """Hold the flow's lock for the block; `FlowLockedError` if another process holds it. The
        flow's runs still `running` are then known to be dead, and marked interrupted."""
        with self.locks.hold(integration, flow):
            self.runs.interrupt(integration, flow)
            yield

    def settle(self, integration: str, flow: str) -> bool:
        """Mark the flow's runs left running by a process that died, by taking its lock a moment;
        False, marking nothing, when another process holds it (its run is alive)."""
        try:
            with self.lock(integration, flow):
                return True
        except FlowLockedError:
            return False

    def forget(self, integration: str, flow: str) -> int:
        """Forget what a flow applied, for a target started afresh (a sandbox): its last-applied
        documents and fingerprints, its cursor, when it last read its target whole, its open intents
        (abandoned) and dead letters (closed), in one transaction. Its runs and activity stay, as
        history. Returns how many last-applied records were forgotten."""
        stamp = now()
        with self.engine.begin() as connection:
            forgotten = 0
            for table in (t.applied, t.in_step, t.cursors, t.reconciled):
                done = connection.execute(sa.delete(table).where(table.c.integration == integration,
                                                                 table.c.flow == flow))  # fmt: skip
                forgotten += done.rowcount if table is t.applied else 0
            intents, letters = t.journal.c, t.dead_letters.c
            connection.execute(
                sa.update(t.journal)
                .where(intents.integration == integration, intents.flow == flow, intents.status == "intent")
                .values(status="abandoned", finished_at=stamp)
            )
            connection.execute(
                sa.update(t.dead_letters)
                .where(letters.integration == integration, letters.flow == flow, letters.resolved_at.is_(None))
                .values(resolved_at=stamp)
            )
        return forgotten

    def record_batch(
        self,
        run_id: str,
        integration: str,
        flow: str,
        *,
        done: Sequence[int] = (),
        abandoned: Sequence[int] = (),
        held: Sequence[int] = (),
        written: Sequence[Written] = (),
        failed: Sequence[Failed] = (),
    ) -> None:
        """The outcome of one batch in one transaction: journal entries closed (done, abandoned by a
        run that died, or held for a person), written records recorded as applied with their dead
        letters resolved, failed ones in dead letters, and every one in the activity log. Either all
        of it is recorded or none."""
        stamp = now()
        with self.engine.begin() as connection:
            journal.close_intents(connection, done, "done", stamp)
            journal.close_intents(connection, abandoned, "abandoned", stamp)
            journal.close_intents(connection, held, "held", stamp)
            for chunk in chunks(written):
                latest = {item.key: item.document for item in chunk}
                applied.record_applied(connection, run_id, integration, flow, latest, stamp)
                dead_letters.resolve_letters(connection, integration, flow, [encode_key(k) for k in latest], stamp)
            for item in failed:
                dead_letters.record_letter(connection, run_id, integration, flow, item.key, item.action,
                                           item.document, item.reason, stamp)  # fmt: skip
            entries = [Entry(w.key, w.action, "done", w.source, w.sent, w.response, w.before, w.document)
                       for w in written]  # fmt: skip
            entries += [Entry(f.key, f.action, "failed", f.source, f.sent, _with_reason(f)) for f in failed]
            activity.log(connection, run_id, integration, flow, entries, stamp)


def _with_reason(failed: Failed) -> dict[str, Any]:
    """A failed record's response in the activity log, led by why it failed: the target's own words,
    the reason its record could not be made, or the error that stopped its batch."""
    if failed.response is None or isinstance(failed.response, Mapping):
        return {"error": failed.reason, **(failed.response or {})}
    return {"error": failed.reason, "response": failed.response}
