"""Drift: changes made in a target outside Tillsync since the last apply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.keys import Key
from engine.plan.diff import project
from engine.run.flow import FlowSetup
from engine.run.read import read_actual
from engine.run.runner import Selected
from engine.run.systems import Systems, open_systems
from engine.run.workspace import Workspace
from engine.state import StateStore


@dataclass(frozen=True)
class Drift:
    """A field changed in the target since Tillsync last applied it."""

    key: Key
    field: str
    applied: Any
    current: Any
    policy: str  # adopt | overwrite


def drift(workspace: Workspace, store: StateStore, flows: Sequence[Selected]) -> list[tuple[str, Drift]]:
    """Per flow (by label), the changes made in its target outside Tillsync since the last apply."""
    found = []
    for item in flows:
        with open_systems(workspace, item.deployment, store.budgets) as systems:
            setup = FlowSetup.of(item.deployment, item.flow)
            found += [(item.label, change) for change in drift_flow(setup, systems, store)]
    return found


def drift_flow(setup: FlowSetup, systems: Systems, store: StateStore) -> list[Drift]:
    """Changes made in the target outside Tillsync since the last apply; the source is not read."""
    applied = store.applied.documents(setup.deployment.name, setup.name)
    actual = read_actual(setup, systems.client(setup.policy.target), list(applied))
    policies = setup.deployment.flow(setup.name).drift
    found = []
    for key, base in sorted(applied.items()):
        record = actual.get(key)
        if record is None:
            found.append(Drift(key, "*", "present", "gone", "overwrite"))
            continue
        current = project(record, list(base))
        for name, value in base.items():
            now = _restrict_like(current.get(name), value)
            if now != value:
                found.append(Drift(key, name, value, now, policies.get(name, "overwrite")))
    return found


def _restrict_like(current: Any, base: Any) -> Any:
    if isinstance(current, dict) and isinstance(base, dict):
        return {k: v for k, v in current.items() if k in base}
    if isinstance(current, list) and isinstance(base, list) and len(current) == len(base):
        return [_restrict_like(c, b) for c, b in zip(current, base, strict=True)]
    return current
