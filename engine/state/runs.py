"""Runs: every plan-and-apply (or a check), with its outcome and the spec version.

A run whose process died mid-way stays `running` until its flow's lock is next taken: whoever holds
the lock knows that no live process runs that flow, so its runs still `running` are marked
`interrupted`, finished when that was found (`interrupt`, called by `StateStore.lock`).
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.state import tables as t
from engine.state.database import aware, now

# stopped: at the gate, nothing written; interrupted: its process died, found when its flow's lock was next taken
RUN_STATUSES = ("running", "succeeded", "failed", "stopped", "interrupted")
LOCKED_KINDS = ("apply", "retry", "event", "undo")  # runs made under their flow's lock (a check is not)
INTERRUPTED = "its process ended mid-run; found when the flow's lock was next taken"


class RunStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def start(self, integration: str, flow: str, kind: str, spec_digest: str | None = None) -> str:
        """Record a run beginning; `kind` is apply, retry, event or check. Returns its id."""
        run_id = str(uuid.uuid4())
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(t.runs).values(
                    id=run_id, integration=integration, flow=flow, kind=kind, status="running",
                    started_at=now(), summary={}, spec_digest=spec_digest,
                )
            )  # fmt: skip
        return run_id

    def finish(self, run_id: str, status: str, summary: Mapping[str, Any]) -> None:
        assert status in RUN_STATUSES[1:4], status
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(status=status, finished_at=now(), summary=dict(summary))
            )

    def interrupt(self, integration: str, flow: str) -> int:
        """With the flow's lock just taken: mark its runs still `running` as interrupted, now."""
        r = t.runs.c
        with self.engine.begin() as connection:
            result = connection.execute(
                sa.update(t.runs)
                .where(r.integration == integration, r.flow == flow, r.status == "running", r.kind.in_(LOCKED_KINDS))
                .values(status="interrupted", finished_at=now(), summary={"interrupted": INTERRUPTED})
            )
            return result.rowcount or 0

    def list(self, integration: str | None = None, flow: str | None = None) -> list[dict[str, Any]]:
        """Runs, oldest first, as rows (id, integration, flow, kind, status, started_at, summary, …)."""
        query = sa.select(t.runs).order_by(t.runs.c.started_at)
        if integration:
            query = query.where(t.runs.c.integration == integration)
        if flow:
            query = query.where(t.runs.c.flow == flow)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def starting_with(self, prefix: str) -> builtins.list[dict[str, Any]]:
        """The runs whose id starts with `prefix` (a run is named by the first characters of its id)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = sa.select(t.runs).where(t.runs.c.id.like(f"{escaped}%", escape="\\")).order_by(t.runs.c.started_at)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def interrupted(
        self, integration: str | None = None, flow: str | None = None, since: datetime | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The interrupted runs, oldest first, as `list` gives them; with `since`, those started since."""
        return [
            run for run in self.list(integration, flow)
            if run["status"] == "interrupted" and (since is None or aware(run["started_at"]) >= since)
        ]  # fmt: skip
