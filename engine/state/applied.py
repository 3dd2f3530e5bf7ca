"""What Tillsync last applied, per flow and record: the third side of every diff.

Per record its last-applied document (the flow's fields as the target holds them after the write)
and, for records a plan found unchanged, the fingerprints that told it so (`Fingerprints`); per
flow the cursor where the next incremental read starts, and when a run that applied last read the
whole target (`reconciled_at`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from engine.keys import Key, decode_key, encode_key, fingerprint
from engine.plan.model import Fingerprints
from engine.state import tables as t
from engine.state.database import aware, chunks, delete_keys, now

ROWS_AT_ONCE = 2_000  # rows fetched from the database at a time when a plan loads a flow's keys


class Remembered(NamedTuple):
    """What a plan needs of a record last found unchanged: its key, and the read fingerprints of its
    source and target records without the prefix of the version each was taken under (None: taken
    under another, or none taken; it can match no read). A steady-state plan holds one per record,
    so it keeps no more: the last-applied document's fingerprint was checked by the query that loaded
    it. A tuple: a hundred thousand are made at a time, several times faster than dataclasses."""

    key: Key
    source: str | None
    target: str | None


@dataclass(frozen=True)
class AppliedKeys:
    """A flow's last-applied keys, and what is remembered of its records last found unchanged (by the
    source record's own key) whose last-applied document has not changed since."""

    keys: set[Key]
    unchanged: dict[Key, Remembered]


class AppliedStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def documents(self, integration: str, flow: str, keys: Sequence[Key] | None = None) -> dict[Key, dict[str, Any]]:
        """Last-applied documents of a flow: all of them, or those of these keys."""
        return {key: document for key, (document, _) in self.fingerprinted(integration, flow, keys).items()}

    def fingerprinted(
        self, integration: str, flow: str, keys: Sequence[Key] | None = None
    ) -> dict[Key, tuple[dict[str, Any], str]]:
        """Last-applied documents of a flow (all, or those of these keys) with their fingerprints,
        taken when they were recorded."""
        applied = t.applied.c
        query = sa.select(applied.key, applied.document, applied.fingerprint).where(
            applied.integration == integration, applied.flow == flow
        )
        with self.engine.connect() as connection:
            if keys is None:
                return {decode_key(key): (document, known) for key, document, known in connection.execute(query)}
            found = {}
            for chunk in chunks([encode_key(key) for key in keys]):
                rows = connection.execute(query.where(applied.key.in_(chunk)))
                found.update({decode_key(key): (document, known) for key, document, known in rows})
            return found

    def count(self, integration: str, flow: str) -> int:
        """How many records the flow holds in its target as Tillsync last applied them."""
        applied = t.applied.c
        query = sa.select(sa.func.count()).where(applied.integration == integration, applied.flow == flow)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def keys(self, integration: str, flow: str, spec: str = "", target: str = "") -> AppliedKeys:
        """The flow's last-applied keys, with what is remembered of its records last found unchanged:
        their source records' fingerprints taken under the spec version `spec`, their target records'
        under the target version `target` (`engine.run.read`). Fingerprints taken under another version
        can never match a read under this one: they are not loaded (None), nor records with neither."""
        applied, known = t.applied.c, t.in_step.c

        def under(column: sa.ColumnElement[str], version: str) -> sa.ColumnElement[bool]:
            return sa.func.substr(column, 1, len(version)) == version

        def cut(column: sa.ColumnElement[str], version: str) -> sa.ColumnElement[str | None]:
            return sa.case((under(column, version), sa.func.substr(column, len(version) + 1)))  # by the database

        joined = t.applied.outerjoin(
            t.in_step,
            sa.and_(known.integration == applied.integration, known.flow == applied.flow,
                    known.key == applied.key, known.document == applied.fingerprint,
                    sa.or_(under(known.source, spec), under(known.target, target))),
        )  # fmt: skip
        query = (
            sa.select(applied.key, known.source_key, cut(known.source, spec), cut(known.target, target))
            .select_from(joined)
            .where(applied.integration == integration, applied.flow == flow)
        )
        keys: set[Key] = set()
        found: dict[Key, Remembered] = {}
        parts: dict[str, str] = {}
        with self.engine.connect() as connection:
            for key_text, source_key, source, target in connection.execute(query).yield_per(ROWS_AT_ONCE):
                key = decode_key(key_text)
                if len(key) > 1:  # a key of one part (a product's SKU) has no part another key of its kind shares
                    key = _sharing(key, parts)
                keys.add(key)
                if source_key is not None:
                    source_key = key if source_key == key_text else _sharing(decode_key(source_key), parts)
                    found[source_key] = Remembered(key, source, target)
        return AppliedKeys(keys, found)

    def remember_unchanged(self, integration: str, flow: str, records: Sequence[Fingerprints]) -> None:
        """Record these records as found unchanged, with their fingerprints (see `Fingerprints`)."""
        stamp = now()
        with self.engine.begin() as connection:
            for chunk in chunks(records):
                delete_keys(connection, t.in_step, integration, flow, [encode_key(item.key) for item in chunk])
                connection.execute(
                    sa.insert(t.in_step),
                    [{"integration": integration, "flow": flow, "key": encode_key(item.key),
                      "source_key": encode_key(item.source_key), "source": item.source, "target": item.target,
                      "document": item.applied, "recorded_at": stamp} for item in chunk],
                )  # fmt: skip

    def reconciled_at(self, integration: str, flow: str) -> datetime | None:
        """When a run of this flow that applied last read the whole target; None: never."""
        r = t.reconciled.c
        query = sa.select(r.reconciled_at).where(r.integration == integration, r.flow == flow)
        with self.engine.connect() as connection:
            found: datetime | None = connection.execute(query).scalar()
        return aware(found) if found is not None else None

    def set_reconciled(self, integration: str, flow: str, at: datetime | None = None) -> None:
        """A run of this flow read the whole target (at `at`, by default now) and applied what it found."""
        r = t.reconciled.c
        with self.engine.begin() as connection:
            connection.execute(sa.delete(t.reconciled).where(r.integration == integration, r.flow == flow))
            connection.execute(
                sa.insert(t.reconciled).values(integration=integration, flow=flow, reconciled_at=at or now())
            )

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


def _sharing(key: Key, parts: dict[str, str]) -> Key:
    """`key`, made of the equal parts already loaded where there are some (kept in `parts`): a stock
    flow's million keys share their SKUs and locations, and a source key its target key's SKU."""
    return tuple(map(parts.setdefault, key, key))


def record_applied(
    connection: sa.Connection,
    run_id: str,
    integration: str,
    flow: str,
    documents: Mapping[Key, Mapping[str, Any] | None],
    stamp: datetime,
) -> None:
    """Inside a batch's transaction: these records' last-applied documents (None: none to keep, as
    for a delete), and their fingerprints forgotten: what was unchanged is no longer."""
    keys = [encode_key(key) for key in documents]
    delete_keys(connection, t.applied, integration, flow, keys)
    rows = [
        {"integration": integration, "flow": flow, "key": encode_key(key), "document": dict(document),
         "fingerprint": fingerprint(document), "run_id": run_id, "applied_at": stamp}
        for key, document in documents.items()
        if document is not None
    ]  # fmt: skip
    if rows:
        connection.execute(sa.insert(t.applied), rows)
    delete_keys(connection, t.in_step, integration, flow, keys)
