"""Plan and apply the environment named `test` in the working directory, as the end-to-end tests do."""

from __future__ import annotations

from pathlib import Path

from connectors import CONNECTORS
from engine.plan.model import FlowPlan
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace


def plan(environ: dict[str, str]) -> dict[str, FlowPlan]:
    """Every flow's plan, by flow name."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        return {p.flow: p for p in runner.plan(workspace, store, runner.select(workspace)).flows}


def apply(environ: dict[str, str]) -> list[ApplyResult]:
    """What each flow applied."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        return [o.result for o in runner.sync(workspace, store, runner.select(workspace)) if o.result]
