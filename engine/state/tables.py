"""The state store's tables and their migrations.

Each migration is a step from one schema version to the next; `migrate` applies the pending ones
in order, inside one transaction, and records the version reached. Never edit a released step:
add the next one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from engine.errors import StateError

metadata = sa.MetaData()


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _record(*, primary: bool) -> list[sa.Column[object]]:
    """The columns that address one record: its integration, flow and match key (JSON)."""
    return [
        sa.Column("integration", sa.String(100), primary_key=primary, nullable=False),
        sa.Column("flow", sa.String(100), primary_key=primary, nullable=False),
        sa.Column("key", sa.String(500), primary_key=primary, nullable=False),
    ]


schema_version = sa.Table("schema_version", metadata, sa.Column("version", sa.Integer, nullable=False))

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("integration", sa.String(100), nullable=False),
    sa.Column("flow", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # apply | retry | event | check
    sa.Column("status", sa.String(20), nullable=False),  # running | succeeded | failed | stopped | interrupted
    _when("started_at"),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("summary", sa.JSON, nullable=False, default=dict),
    sa.Column("spec_digest", sa.String(80)),
)

applied = sa.Table(  # the third side of the diff: what Tillsync last wrote, per record
    "applied",
    metadata,
    *_record(primary=True),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(36), nullable=False),
    _when("applied_at"),
)

id_map = sa.Table(
    "id_map",
    metadata,
    *_record(primary=True),
    sa.Column("target_id", sa.String(200), nullable=False),
    _when("updated_at"),
)

cursors = sa.Table(
    "cursors",
    metadata,
    sa.Column("integration", sa.String(100), primary_key=True),
    sa.Column("flow", sa.String(100), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
    _when("updated_at"),
)

journal = sa.Table(
    "journal",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), nullable=False),
    *_record(primary=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("document", sa.JSON),
    # intent | done | abandoned | held (could not be settled: a person decides, `tillsync retry` sends it again)
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("note", sa.JSON),  # what the client noted before sending, to settle it by (`WriteAhead`)
    _when("created_at"),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Index("journal_open", "integration", "flow", "status"),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *_record(primary=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("document", sa.JSON),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("run_id", sa.String(36), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    _when("created_at"),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Index("dead_letters_open", "integration", "flow", "resolved_at"),
)

activity = sa.Table(
    "activity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(36), nullable=False),
    *_record(primary=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),  # done | failed | skipped
    sa.Column("source", sa.JSON),  # what came from the source
    sa.Column("sent", sa.JSON),  # what was sent to the target
    sa.Column("response", sa.JSON),  # what came back
    _when("at"),
    sa.Index("activity_lookup", "integration", "flow", "key"),
    sa.Index("activity_at", "at"),
    # version 11, what an undo of the run needs: the target's values of the fields written, before the
    # write ({} for a create), and what the target held of the flow's fields once written
    sa.Column("before", sa.JSON),
    sa.Column("applied", sa.JSON),
)

locks = sa.Table(  # flow locks where the database has no advisory locks (SQLite)
    "locks",
    metadata,
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    _when("acquired_at"),
)

VERSION_1 = (runs, applied, id_map, cursors, journal, dead_letters, activity, locks)

events = sa.Table(  # webhook deliveries, deduplicated, waiting for the flows they affect to run
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration", sa.String(100), nullable=False),
    sa.Column("system", sa.String(100), nullable=False),
    # Shopify's webhook and event ids are UUIDs (36 characters), its longest topic 57 characters (API
    # 2026-10): longer values are refused before they reach these columns (engine.state.events), never cut
    sa.Column("webhook_id", sa.String(200), nullable=False),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("entity", sa.String(20)),
    sa.Column("flows", sa.JSON, nullable=False),
    sa.Column("keys", sa.JSON, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # pending | done | ignored
    _when("received_at"),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("integration", "system", "webhook_id", name="events_once"),
    sa.Index("events_pending", "status", "integration"),
    sa.Column("event_id", sa.String(200)),  # version 5: the change a delivery tells of (None: not named)
    # one change delivered to several subscriptions of a topic is stored once; NULLs never clash
    sa.Index("events_change_once", "integration", "system", "topic", "event_id", unique=True),
    sa.Column("refs", sa.JSON),  # version 12: the system's ids of records it names by no key (None: none)
)


in_step = sa.Table(  # records a plan found in step, with what told it so: the next plan need not build them
    "in_step",
    metadata,
    *_record(primary=True),
    sa.Column("source_key", sa.String(500), nullable=False),  # the source record's own key (JSON)
    sa.Column("source", sa.String(200), nullable=False),  # fingerprint of the source record as read
    sa.Column("target", sa.String(200), nullable=False),  # and of the target's record
    sa.Column("document", sa.String(64), nullable=False),  # the last-applied document's fingerprint
    _when("recorded_at"),
)


event_flows = sa.Table(  # the flows each pending event affects, and when each of them ran for it
    "event_flows",
    metadata,
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), primary_key=True),
    sa.Column("flow", sa.String(100), primary_key=True),
    sa.Column("done_at", sa.DateTime(timezone=True)),
    sa.Index("event_flows_pending", "done_at"),
)


store_keys = sa.Table(  # the store's id, and the secret that signs its saved plans: made on first use
    "store_keys",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
    _when("created_at"),
)

reconciled = sa.Table(  # when each flow's target was last read whole by a run that applied
    "reconciled",
    metadata,
    sa.Column("integration", sa.String(100), primary_key=True),
    sa.Column("flow", sa.String(100), primary_key=True),
    _when("reconciled_at"),
)

rate_budgets = sa.Table(  # each system's bucket of rate-limit points, drawn from by every process calling it
    "rate_budgets",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),  # e.g. shopify:https://shop.myshopify.com
    sa.Column("level", sa.Float, nullable=False),  # points left at `stamp`, less what callers drew ahead
    sa.Column("stamp", sa.Float, nullable=False),  # seconds since the epoch
    sa.Column("capacity", sa.Float, nullable=False),
    sa.Column("restore_rate", sa.Float, nullable=False),  # points per second
    sa.Column("in_flight", sa.Float, nullable=False, server_default="0"),  # drawn by requests not settled yet
    sa.Column("turn", sa.Integer, nullable=False, server_default="0"),  # draws and settlements so far
)

alerts = sa.Table(  # problems alerted once each, until they clear; notices not yet delivered to every sink
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),  # the flow, or the system (credentials, webhooks)
    sa.Column("kind", sa.String(30), nullable=False),  # run_failed | dead_letters | parity | blast_radius | …
    sa.Column("message", sa.JSON, nullable=False),  # the problem as last alerted: title, details, commands
    sa.Column("mark", sa.Integer),  # dead letters: the newest one alerted; a newer one is a new problem
    _when("opened_at"),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("unsent", sa.JSON, nullable=False),  # [[notice, sink], …] still to deliver: opened | resolved
    sa.Column("last_error", sa.Text),  # why the last delivery failed, without the sink's URL
    sa.Index("alerts_open", "integration", "subject", "kind", "resolved_at"),
)

runs_by_flow = sa.Index("runs_by_flow", runs.c.integration, runs.c.flow, runs.c.status)


def _version_1(connection: sa.Connection) -> None:
    metadata.create_all(connection, tables=list(VERSION_1))


def _version_2(connection: sa.Connection) -> None:
    metadata.create_all(connection, tables=[events])


def _version_3(connection: sa.Connection) -> None:
    metadata.create_all(connection, tables=[in_step])


def _version_4(connection: sa.Connection) -> None:
    """Events are done per flow (the worker and Dagster's sensor run flows apart); the id map, which
    nothing read, goes."""
    metadata.create_all(connection, tables=[event_flows])
    pending = connection.execute(sa.select(events.c.id, events.c.flows).where(events.c.status == "pending"))
    rows = [{"event_id": event_id, "flow": flow} for event_id, flows in pending for flow in dict.fromkeys(flows)]
    if rows:
        connection.execute(sa.insert(event_flows), rows)
    id_map.drop(connection, checkfirst=True)


def _version_5(connection: sa.Connection) -> None:
    """Deliveries are stored once per change too (the system's event id), not only per delivery.
    Version 2 builds `events` from today's table, so on a database made since, both are there."""
    inspector = sa.inspect(connection)
    if "event_id" not in {column["name"] for column in inspector.get_columns("events")}:
        kind = events.c.event_id.type.compile(dialect=connection.dialect)
        connection.execute(sa.text(f"ALTER TABLE events ADD COLUMN event_id {kind}"))
    if "events_change_once" not in {index["name"] for index in inspector.get_indexes("events")}:
        next(index for index in events.indexes if index.name == "events_change_once").create(connection)


def _version_6(connection: sa.Connection) -> None:
    """The store's keys (a plan is signed by the store it was made against); runs found by flow, as
    a flow's runs left running by a process that died are, whenever its lock is taken."""
    metadata.create_all(connection, tables=[store_keys])
    runs_by_flow.create(connection, checkfirst=True)  # a store made from this version has it from step 1


def _version_7(connection: sa.Connection) -> None:
    """When each flow last read its whole target: between such reads a plan reads only what changed."""
    metadata.create_all(connection, tables=[reconciled])


def _version_8(connection: sa.Connection) -> None:
    """A journal intent carries the note its client made before sending, to settle a write that
    leaves nothing to read back. Version 1 builds `journal` from today's table, so it may be there."""
    if "note" not in {column["name"] for column in sa.inspect(connection).get_columns("journal")}:
        kind = journal.c.note.type.compile(dialect=connection.dialect)
        connection.execute(sa.text(f"ALTER TABLE journal ADD COLUMN note {kind}"))


def _version_9(connection: sa.Connection) -> None:
    """A system's rate budget, shared by the processes calling it."""
    metadata.create_all(connection, tables=[rate_budgets])


def _version_10(connection: sa.Connection) -> None:
    """Alerts: each problem alerted once, and its notices kept until every sink took them."""
    metadata.create_all(connection, tables=[alerts])


def _version_11(connection: sa.Connection) -> None:
    """The activity log keeps, per record written, the target's values before the write and the flow's
    fields after it, so a run can be undone three-way (`tillsync undo`). Version 1 builds `activity`
    from today's table, so they may be there; entries logged before have neither, and are said to be
    beyond undoing."""
    present = {column["name"] for column in sa.inspect(connection).get_columns("activity")}
    for name in ("before", "applied"):
        if name not in present:
            kind = activity.c[name].type.compile(dialect=connection.dialect)
            connection.execute(sa.text(f"ALTER TABLE activity ADD COLUMN {name} {kind}"))


def _version_12(connection: sa.Connection) -> None:
    """An event keeps the system's own ids of records it names by no key (Shopify's inventory item and
    location), for the flow whose target sent it to look up. Version 2 builds `events` from today's
    table, so it may be there."""
    if "refs" not in {column["name"] for column in sa.inspect(connection).get_columns("events")}:
        kind = events.c.refs.type.compile(dialect=connection.dialect)
        connection.execute(sa.text(f"ALTER TABLE events ADD COLUMN refs {kind}"))


# Steps by the version they reach. A store records each step it took, so a step numbered below
# one it already took (5 and 6 were made side by side) is still taken.
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {
    1: _version_1, 2: _version_2, 3: _version_3, 4: _version_4, 5: _version_5, 6: _version_6, 7: _version_7,
    8: _version_8, 9: _version_9, 10: _version_10, 11: _version_11, 12: _version_12,
}  # fmt: skip
LATEST = max(MIGRATIONS)


def migrate(connection: sa.Connection) -> int:
    """Take every step the schema has not taken yet, in order; returns the version it was at before."""
    metadata.create_all(connection, tables=[schema_version])
    taken = set(connection.execute(sa.select(schema_version.c.version)).scalars())
    current = max(taken, default=0)
    if current > LATEST:
        raise StateError(
            f"the state store is at schema version {current}, newer than this Tillsync ({LATEST}); upgrade"
        )
    for version in sorted(set(MIGRATIONS) - taken):
        MIGRATIONS[version](connection)
        connection.execute(sa.insert(schema_version).values(version=version))
    return current
