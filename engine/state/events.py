"""Webhook events: each delivery stored once, with the flows it affects.

A delivery is stored once by its webhook id (a retry is not stored again), and once per change by
its event id where the system names one (one change sent to two subscriptions of a topic is one
event). An event is pending for each flow it affects until a run of that flow for its records
succeeded; it is done when no flow is left. The event worker and Dagster's sensor both work from
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.state import tables as t
from engine.state.database import aware, now, to_json


@dataclass(frozen=True)
class StoredEvent:
    id: int
    integration: str
    system: str
    topic: str
    entity: str | None
    flows: list[str]  # the flows it affects that have not yet run for it
    keys: list[list[str]]
    received_at: datetime
    refs: list[list[str]] = field(default_factory=list)  # the system's ids of records it names by no key


class TooLong(ValueError):
    """A webhook id, event id or topic longer than its column: refused, never cut (a cut id could
    match another delivery's and lose it as a duplicate)."""


def _check_lengths(**values: str | None) -> None:
    for name, value in values.items():
        length = t.events.c[name].type.length  # type: ignore[attr-defined]
        if value is not None and len(value) > length:
            raise TooLong(f"the {name.replace('_', ' ')} is {len(value)} characters long; at most {length} are kept")


class EventStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record(
        self,
        integration: str,
        system: str,
        webhook_id: str,
        topic: str,
        entity: str | None,
        flows: Sequence[str],
        keys: Sequence[Sequence[str]],
        payload: Any,
        *,
        event_id: str | None = None,
        refs: Sequence[Sequence[str]] = (),
    ) -> bool:
        """Store a delivery once; False when this webhook id, or this topic's `event_id`, was stored
        before (a redelivery, or the same change sent to another subscription). `TooLong` when an id
        or the topic is longer than the state store keeps."""
        _check_lengths(webhook_id=webhook_id, topic=topic, event_id=event_id)
        row = {
            "integration": integration, "system": system, "webhook_id": webhook_id, "event_id": event_id,
            "topic": topic, "entity": entity, "flows": list(flows), "keys": [list(k) for k in keys],
            "refs": [list(r) for r in refs] or None,
            "payload": to_json(payload), "status": "pending" if flows else "ignored", "received_at": now(),
        }  # fmt: skip
        try:
            with self.engine.begin() as connection:
                event_id = connection.execute(sa.insert(t.events).values(**row).returning(t.events.c.id)).scalar_one()
                rows = [{"event_id": event_id, "flow": flow} for flow in dict.fromkeys(flows)]
                if rows:
                    connection.execute(sa.insert(t.event_flows), rows)
        except sa.exc.IntegrityError:
            return False
        return True

    def pending(self, integration: str | None = None, flow: str | None = None) -> list[StoredEvent]:
        """Events with flows still to run, oldest first, each naming only those flows."""
        e, f = t.events.c, t.event_flows.c
        query = (
            sa.select(t.events, f.flow.label("pending_flow"))
            .join(t.event_flows, f.event_id == e.id)
            .where(f.done_at.is_(None))
            .order_by(e.id, f.flow)
        )
        if integration:
            query = query.where(e.integration == integration)
        if flow:
            query = query.where(f.flow == flow)
        found: dict[int, StoredEvent] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                event = found.get(row.id)
                if event is None:
                    event = found[row.id] = StoredEvent(row.id, row.integration, row.system, row.topic, row.entity,
                                                        [], row.keys, aware(row.received_at),
                                                        row.refs or [])  # fmt: skip
                event.flows.append(row.pending_flow)
        return list(found.values())

    def finish_flow(self, ids: Sequence[int], flow: str) -> None:
        """`flow` ran for these events; an event with no flow left is done."""
        if not ids:
            return
        e, f = t.events.c, t.event_flows.c
        stamp = now()
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.event_flows).where(f.event_id.in_(list(ids)), f.flow == flow).values(done_at=stamp)
            )
            still = sa.select(f.event_id).where(f.event_id == e.id, f.done_at.is_(None))
            connection.execute(
                sa.update(t.events)
                .where(e.id.in_(list(ids)), e.status == "pending", ~sa.exists(still))
                .values(status="done", processed_at=stamp)
            )
