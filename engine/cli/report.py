"""What `apply` and `retry` say each flow did, and the total, in the plan's words (`engine.plan.tally`).

A flow that did something says it in the past tense of what its plan said (`3 created, 1 failed`);
a flow with nothing to do says `no changes`; the total is said once at the end, as Terraform's
`Apply complete!` line.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.plan import tally
from engine.plan.model import Action
from engine.run.apply import ApplyResult
from engine.run.runner import FlowOutcome


def outcome_lines(outcomes: Sequence[FlowOutcome]) -> list[str]:
    """What each flow did: what it applied, why the gate held it, or why it could not run."""
    lines = []
    for outcome in outcomes:
        if outcome.failed is not None:
            lines.append(f"{outcome.label}: could not run: {outcome.failed}")
        elif outcome.gated:
            lines.append(f"{outcome.label}: held at the gate, nothing written: {'; '.join(outcome.gated)}")
        if outcome.result is None:
            continue
        lines.append(result_line(outcome.label, outcome.result))
        lines.extend(f"  x {'/'.join(key)}: {reason}" for key, reason in outcome.result.failures)
        if outcome.result.plan is not None:  # held for a person: not sent, and what to do about it
            lines.extend(f"  ? {'/'.join(change.key)}: {change.reason}" for change in outcome.result.plan.changes
                         if change.action is Action.held)  # fmt: skip
        if outcome.result.stopped:
            lines.append(f"  stopped: {outcome.result.stopped}; what it did not reach stays planned")
    return lines


def result_line(label: str, result: ApplyResult) -> str:
    said = tally.phrase(result.counts, "done")
    cost = f"{result.api_calls} call{'s' * (result.api_calls != 1)}, {result.duration_s:.2f} s"
    recovered = f", {result.recovered} recovered from an interrupted run" if result.recovered else ""
    if tally.phrase(result.counts, "done", tally.CHANGES):
        return f"{label}: {said}{recovered} ({cost})"
    return f"{label}: no changes{recovered} ({said + '; ' if said else ''}{cost})"


def total_line(outcomes: Sequence[FlowOutcome]) -> str:
    """`Apply complete: 3 created, 1 updated.`, or what went wrong when something did."""
    totals = tally.total(outcome.result.counts for outcome in outcomes if outcome.result is not None)
    said = tally.phrase(totals, "done", tally.CHANGES) or "no changes"
    unrun = sum(1 for outcome in outcomes if outcome.result is None)
    stopped = sum(1 for outcome in outcomes if outcome.result is not None and outcome.result.stopped)
    troubles = [
        *([f"{unrun} flow{'s' * (unrun != 1)} not applied"] if unrun else []),
        *([f"{stopped} flow{'s' * (stopped != 1)} stopped"] if stopped else []),
    ]
    if totals[tally.FAILED] or totals[tally.NOT_REACHED] or troubles:
        return f"Apply finished with problems: {'; '.join([said, *troubles])}."
    return f"Apply complete: {said}."
