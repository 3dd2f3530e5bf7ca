"""The blast-radius gate: limits a flow's spec sets on what an unattended run may change."""

from __future__ import annotations

from engine.plan.model import WRITES, Action, FlowPlan
from engine.spec.models import Gate


def gate_problems(plan: FlowPlan, gate: Gate, held: int = 0) -> list[str]:
    """Why `plan` must not be applied without a person looking at it; empty when it may. `held`: the
    records the flow holds in its target as last applied. A partial plan (of the records webhook
    events name) shows only records that changed in the source, so its share is taken of those
    together with the records held: a burst of new orders is not the flow's whole target changing."""
    problems = []
    if plan.source_count == 0 and not plan.partial and not gate.allow_empty_source:
        problems.append(f"{plan.source} returned no {plan.entity.value} records at all")
    writes = sum(1 for change in plan.changes if change.action in WRITES)
    records = max(len(plan.changes), held + plan.count(Action.create)) if plan.partial else len(plan.changes)
    share = writes / max(records, 1)
    if writes >= gate.min_changes and share > gate.max_change_share:
        problems.append(f"{writes} of {records} records would change ({share:.0%}, limit {gate.max_change_share:.0%})")
    removals = plan.count(Action.delete) + plan.count(Action.archive)
    if removals > gate.max_deletes:
        problems.append(f"{removals} records would be deleted or archived (limit {gate.max_deletes})")
    return problems
