"""Rate budgets shared by every process that calls a system: a leaky bucket per key, in the store.

Shopify gives each app one bucket of cost points per shop. Two runs writing to one shop from two
workers (or two machines) must draw from that one bucket, or each believes it has it whole and both
get THROTTLED. So the bucket's model lives here, beside the flows' state, on the database every
worker already shares (PostgreSQL in a deployment of several workers; SQLite on one machine).

A caller draws a request's points before sending: one UPDATE refills the bucket for the time
passed, takes the points and returns the level left. The level may go below zero: that is the
callers queued ahead, and a caller waits until the restore rate has covered its place in that
queue. Each draw is one statement, so draws from many processes are serialised by the database,
in the order they came. A draw stays in flight until its caller settles it. After the answer, the
caller gives back what the system did not charge and lowers the level to what the system reported
less what is still in flight: other callers' requests may not have reached the system yet, and a
report never raises the model. (A report taken before the model knew the bucket's size, from a
first answer, would otherwise lift it past what the others' requests will take.) Times are
seconds since the epoch, from the caller's clock (workers' clocks are kept by NTP; a clock behind
the bucket's adds nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.connector import Drawn
from engine.state import tables as t

IN_FLIGHT_FORGOTTEN_AFTER = 300.0  # seconds: beyond any request's time-outs and retries


class BudgetStore:
    """The `RateBudget` the engine hands to clients of systems with a shared budget."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def draw(self, key: str, points: float, capacity: float, restore_rate: float) -> Drawn:
        now = self.clock()
        table = t.rate_budgets
        with self.engine.begin() as connection:
            self._create(connection, key, capacity, restore_rate, now)
            level = connection.execute(
                sa.update(table)
                .where(table.c.key == key)
                .values(
                    level=self._refilled(now) - points,
                    stamp=self._greatest(table.c.stamp, now),
                    in_flight=self._in_flight(now) + points,
                    turn=table.c.turn + 1,
                )
                .returning(table.c.level, table.c.restore_rate, table.c.turn)
            ).one()
        return Drawn(float(max(-level.level, 0.0) / max(level.restore_rate, 1e-9)), int(level.turn))

    def settle(
        self,
        key: str,
        drawn: Drawn,
        points: float,
        spent: float,
        reported: float | None,
        capacity: float,
        restore_rate: float,
    ) -> None:
        now = self.clock()
        table = t.rate_budgets
        in_flight = self._greatest(self._in_flight(now) - points, sa.cast(0.0, sa.Float))  # the others' draws
        level: Any = self._least(self._refilled(now) + max(points - spent, 0.0), sa.cast(capacity, sa.Float))
        if reported is not None:
            told = self._least(sa.cast(reported, sa.Float) - in_flight, sa.cast(capacity, sa.Float))
            # Nobody drew or settled since this draw: the report holds everything the bucket took, and
            # may raise the model (after an attempt whose answer was lost, taken as charged in full).
            alone = table.c.turn == drawn.turn
            level = sa.case((alone, told), else_=self._least(level, told))
        with self.engine.begin() as connection:
            self._create(connection, key, capacity, restore_rate, now)
            connection.execute(
                sa.update(table)
                .where(table.c.key == key)
                .values(level=level, stamp=self._greatest(table.c.stamp, now), capacity=capacity,
                        restore_rate=restore_rate, in_flight=in_flight, turn=table.c.turn + 1)
            )  # fmt: skip

    def level(self, key: str) -> float | None:
        """The bucket's level now, less what callers drew ahead; None for a bucket never drawn from."""
        table = t.rate_budgets
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.key == key)).one_or_none()
        if row is None:
            return None
        return float(min(row.capacity, row.level + max(self.clock() - row.stamp, 0.0) * row.restore_rate))

    def _create(self, connection: sa.Connection, key: str, capacity: float, restore_rate: float, now: float) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        row = {"key": key, "level": capacity, "stamp": now, "capacity": capacity, "restore_rate": restore_rate}
        connection.execute(dialect.insert(t.rate_budgets).values(**row).on_conflict_do_nothing())

    def _refilled(self, now: float) -> Any:
        """The level once the time since the bucket's stamp has refilled it, up to its capacity."""
        table = t.rate_budgets
        elapsed = self._greatest(sa.cast(now, sa.Float) - table.c.stamp, sa.cast(0.0, sa.Float))
        return self._least(table.c.level + elapsed * table.c.restore_rate, table.c.capacity)

    def _in_flight(self, now: float) -> Any:
        """What is drawn and not settled; forgotten once the bucket has been left alone for longer than
        any request takes (a caller that died between drawing and settling never settles)."""
        table = t.rate_budgets
        idle = sa.cast(now, sa.Float) - table.c.stamp > IN_FLIGHT_FORGOTTEN_AFTER
        return sa.case((idle, sa.cast(0.0, sa.Float)), else_=table.c.in_flight)

    def _least(self, a: Any, b: Any) -> Any:
        # PostgreSQL names the two-argument minimum LEAST; SQLite's scalar MIN takes two arguments
        return sa.func.least(a, b) if self.engine.dialect.name == "postgresql" else sa.func.min(a, b)

    def _greatest(self, a: Any, b: Any) -> Any:
        return sa.func.greatest(a, b) if self.engine.dialect.name == "postgresql" else sa.func.max(a, b)
