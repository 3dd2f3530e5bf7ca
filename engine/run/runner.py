"""Running flows of an environment: plan, apply and retry, flow by flow.

The functions the CLI and the Dagster adapter share. Each opens the flow's systems, runs, and
closes them again; results are values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from engine.errors import TillsyncError
from engine.plan.model import FlowPlan
from engine.run.apply import ApplyResult, apply_flow
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.systems import open_systems
from engine.run.workspace import Deployment, Workspace
from engine.state import StateStore, default_url


@dataclass(frozen=True)
class Selected:
    deployment: Deployment
    flow: str

    @property
    def label(self) -> str:
        return f"{self.deployment.name}/{self.flow}"


def select(workspace: Workspace, flow: str | None = None) -> list[Selected]:
    """The enabled flows named by `flow` (`NAME` or `INTEGRATION/NAME`), or all of them."""
    every = [Selected(d, name) for d in workspace.deployments.values() for name in d.enabled_flows()]
    if flow is None:
        return every
    chosen = [s for s in every if flow in (s.flow, s.label)]
    if not chosen:
        known = ", ".join(s.label for s in every) or "none"
        raise TillsyncError(f"no enabled flow '{flow}' in environment {workspace.environment.name}; known: {known}")
    return chosen


@contextmanager
def state_store(workspace: Workspace) -> Iterator[StateStore]:
    store = StateStore(workspace.state_url or default_url(workspace.root, workspace.environment.name))
    try:
        yield store
    finally:
        store.close()


def plan(workspace: Workspace, store: StateStore, flows: list[Selected]) -> list[FlowPlan]:
    plans = []
    for item in flows:
        setup = FlowSetup.of(item.deployment, item.flow)
        with open_systems(workspace, item.deployment) as systems:
            plans.append(plan_flow(workspace, setup, systems, store))
    return plans


def apply(
    workspace: Workspace,
    store: StateStore,
    flows: list[Selected],
    saved: Mapping[str, FlowPlan] | None = None,
) -> list[ApplyResult]:
    results = []
    for item in flows:
        setup = FlowSetup.of(item.deployment, item.flow)
        with open_systems(workspace, item.deployment) as systems:
            given = saved.get(item.label) if saved is not None else None
            if saved is not None and given is None:
                continue
            results.append(apply_flow(workspace, setup, systems, store, given))
    return results


def retry(workspace: Workspace, store: StateStore, flows: list[Selected]) -> list[ApplyResult]:
    """Replay only the records in dead letters, each through a fresh plan of its key."""
    results = []
    for item in flows:
        letters = store.dead_letters(item.deployment.name, item.flow)
        if not letters:
            continue
        setup = FlowSetup.of(item.deployment, item.flow)
        with open_systems(workspace, item.deployment) as systems:
            keys = {letter.key for letter in letters}
            results.append(apply_flow(workspace, setup, systems, store, only=keys, kind="retry"))
    return results
