"""Plan and apply the environment named `test` in the working directory, as the end-to-end tests do."""

from __future__ import annotations

from pathlib import Path

from connectors import CONNECTORS
from engine.plan.model import FlowPlan
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace


def plan(environ: dict[str, str], flow: str | None = None) -> dict[str, FlowPlan]:
    """Every selected flow's plan (all, or those `flow` names), by flow name."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        return {p.flow: p for p in runner.plan(workspace, store, runner.select(workspace, flow)).flows}


def apply(environ: dict[str, str], flow: str | None = None) -> dict[str, ApplyResult]:
    """What each selected flow applied, by flow name."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        outcomes = runner.sync(workspace, store, runner.select(workspace, flow))
    return {o.plan.flow: o.result for o in outcomes if o.result}
