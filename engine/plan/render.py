"""Plans for people and tools: Terraform-like text, markdown for a pull request, JSON to save."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from engine.plan import planfile, tally
from engine.plan.model import SHOWN, Action, Change, FlowPlan, Plan

SYMBOLS = {
    Action.create: "+",
    Action.update: "~",
    Action.conflict: "!",
    Action.archive: "-",
    Action.delete: "-",
    Action.adopt: "=",
    Action.blocked: "#",
    Action.held: "?",
    Action.error: "x",
}
COLUMNS = (Action.create, Action.update, Action.conflict, Action.archive, Action.delete, Action.adopt,
           Action.blocked, Action.held, Action.error)  # fmt: skip
QUIET = (Action.unchanged, Action.record, Action.skip)  # counted, not listed
WIDTH = 100


def render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return planfile.dumps(plan)
    if fmt == "markdown":
        return markdown(plan)
    return text(plan)


def text(plan: Plan) -> str:
    """Each flow with something to show as a block (its changes one by one, what it counts, the
    counts in `tally`'s words); a flow with nothing to do as one line; then the plan's total."""
    lines: list[str] = []
    for flow in plan.flows:
        counts = tally.count(flow.changes)
        if not listed(flow):
            lines.append(
                f"{flow.label}: no changes" + (f" ({said})" if (said := tally.phrase(counts, "planned")) else "")
            )
            continue
        if lines and lines[-1]:
            lines.append("")
        lines.append(
            f"{flow.label}: undo of run {flow.undoes} in {flow.target} ({flow.entity.value} by {', '.join(flow.match)})"
            if flow.undoes
            else f"{flow.label}: {flow.source} → {flow.target} "
            f"({flow.entity.value} by {', '.join(flow.match)}; {flow.source_count} read"
            + (f", {flow.filtered_count} filtered out" if flow.filtered_count else "")
            + ")"
        )
        for change in _listed_first(flow):
            lines.extend(_change_lines(change, "  "))
        lines.extend(f"  · {line}" for line in _quiet(flow))
        lines.append("  " + tally.phrase(counts, "planned"))
        lines.append("")
    if lines and lines[-1]:
        lines.append("")
    if plan.has_changes:
        totals = tally.total(tally.count(flow.changes) for flow in plan.flows)
        lines.append(f"Plan: {tally.phrase(totals, 'planned', tally.CHANGES)}.")
    else:
        lines.append("No changes. The targets match the sources.")
    return "\n".join(lines) + "\n"


def listed(flow: FlowPlan) -> bool:
    """Whether a flow's plan lists changes one by one: it has changes, or create-only fields left alone."""
    return flow.has_changes or any(change.left_alone for change in flow.changes)


def _listed_first(flow: FlowPlan) -> list[Change]:
    """The changes that write or fail first, then those that only say what they leave alone."""
    return sorted(flow.changes, key=lambda change: change.action not in SHOWN)


def _change_lines(change: Change, indent: str) -> list[str]:
    key = "/".join(change.key)
    if change.action not in SHOWN:  # unchanged, or already there: only create-only fields left alone are said
        return [f"{indent}· {key}: {_left_alone(change)}"] if change.left_alone else []
    head = f"{indent}{SYMBOLS[change.action]} {change.action.value} {key}"
    if change.action in (Action.error, Action.blocked, Action.held):
        return [f"{head}: {change.reason}"]
    lines = [f"{head}  ({change.reason})"]
    for item in change.fields:
        if change.action is Action.create:
            lines.append(f"{indent}    {item.field}: {value_text(item.after)}")
        else:
            note = f"  ({item.reason})" if item.reason and change.action is Action.conflict else ""
            lines.append(f"{indent}    {item.field}: {value_text(item.before)} → {value_text(item.after)}{note}")
    for item in change.kept:
        lines.append(f"{indent}    {item.field}: keeps {value_text(item.after)}, not {value_text(item.before)} "
                     f"({item.reason})")  # fmt: skip
    if change.left_alone:
        lines.append(f"{indent}    {_left_alone(change)}")
    return lines


def _left_alone(change: Change) -> str:
    names = ", ".join(item.field for item in change.left_alone)
    return f"{names} {change.left_alone[0].reason}"


def value_text(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return shown if len(shown) <= WIDTH else shown[: WIDTH - 1] + "…"


def _quiet(flow: FlowPlan) -> list[str]:
    """Why records are already there or skipped, by reason: a plan counts them rather than lists them."""
    lines: list[str] = []
    for action in (Action.record, Action.skip):
        reasons = Counter(change.reason for change in flow.changes if change.action is action)
        label = tally.TERMS[action.value][0]
        lines.extend(f"{count} {label}: {reason}" for reason, count in reasons.items())
    return lines


def markdown(plan: Plan) -> str:
    lines = [f"### Tillsync plan for `{plan.environment}`", ""]
    lines.append("| flow | " + " | ".join(a.value for a in COLUMNS) + " | unchanged |")
    lines.append("|---" * (len(COLUMNS) + 2) + "|")
    for flow in plan.flows:
        counts = tally.count(flow.changes)
        cells = [str(counts[action.value]) for action in COLUMNS]
        quiet = sum(counts[action.value] for action in QUIET)
        lines.append(f"| `{flow.label}` | " + " | ".join(cells) + f" | {quiet} |")
    lines.append("")
    for flow in plan.flows:
        if not listed(flow):
            continue
        shown = sum(1 for change in flow.changes if change.action in SHOWN)
        lines.append(f"<details><summary><code>{flow.label}</code>: "
                     f"{shown} change{'s' * (shown != 1)}</summary>")  # fmt: skip
        lines += ["", "```diff"]
        for change in _listed_first(flow):
            lines.extend(_change_lines(change, ""))
        lines += ["```", "", "</details>", ""]
    if not plan.has_changes:
        lines.append("No changes. The targets match the sources.")
    return "\n".join(lines).rstrip("\n") + "\n"
