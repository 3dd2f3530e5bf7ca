"""Runs: one row per plan-and-apply of a flow (or a check), with its outcome and the spec version."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from engine.state import tables as t
from engine.state.database import now

RUN_STATUSES = ("running", "succeeded", "failed", "stopped")  # stopped: at the gate, nothing written


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
        assert status in RUN_STATUSES[1:], status
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(status=status, finished_at=now(), summary=dict(summary))
            )

    def list(self, integration: str | None = None, flow: str | None = None) -> list[dict[str, Any]]:
        """Runs, oldest first, as rows (id, integration, flow, kind, status, started_at, summary, …)."""
        query = sa.select(t.runs).order_by(t.runs.c.started_at)
        if integration:
            query = query.where(t.runs.c.integration == integration)
        if flow:
            query = query.where(t.runs.c.flow == flow)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
