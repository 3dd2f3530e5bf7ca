"""Plans for people and tools: Terraform-like text, markdown for a pull request, JSON to save."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from engine.plan import planfile
from engine.plan.model import SHOWN, Action, Change, FlowPlan, Plan

SYMBOLS = {
    Action.create: "+",
    Action.update: "~",
    Action.conflict: "!",
    Action.archive: "-",
    Action.delete: "-",
    Action.adopt: "=",
    Action.error: "x",
}
COLUMNS = (Action.create, Action.update, Action.conflict, Action.archive, Action.delete, Action.adopt, Action.error)
QUIET = (Action.unchanged, Action.record, Action.skip)  # counted, not listed
WIDTH = 100


def render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return planfile.dumps(plan)
    if fmt == "markdown":
        return markdown(plan)
    return text(plan)


def text(plan: Plan) -> str:
    lines: list[str] = []
    for flow in plan.flows:
        lines.append(
            f"{flow.label}: {flow.source} → {flow.target} "
            f"({flow.entity.value} by {', '.join(flow.match)}; {flow.source_count} read"
            + (f", {flow.filtered_count} filtered out" if flow.filtered_count else "")
            + ")"
        )
        for change in flow.changes:
            if change.action in SHOWN:
                lines.extend(_change_lines(change, "  "))
        lines.extend(f"  · {line}" for line in _quiet(flow))
        lines.append("  " + _counts_text(flow.counts()))
        lines.append("")
    totals = plan.counts()
    if plan.has_changes:
        lines.append(f"Plan: {_counts_text(totals)}.")
    else:
        lines.append("No changes. The targets match the sources.")
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, indent: str) -> list[str]:
    key = "/".join(change.key)
    head = f"{indent}{SYMBOLS[change.action]} {change.action.value} {key}"
    if change.action is Action.error:
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
    return lines


def value_text(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return shown if len(shown) <= WIDTH else shown[: WIDTH - 1] + "…"


def _quiet(flow: FlowPlan) -> list[str]:
    """The changes a plan counts rather than lists: unchanged, recorded, skipped (by reason)."""
    lines = []
    unchanged = flow.count(Action.unchanged)
    if unchanged:
        lines.append(f"{unchanged} unchanged")
    for action, label in ((Action.record, "to record as applied"), (Action.skip, "skipped")):
        reasons = Counter(change.reason for change in flow.changes if change.action is action)
        lines.extend(f"{count} {label}: {reason}" for reason, count in reasons.items())
    return lines


def _counts_text(counts: dict[str, int]) -> str:
    quiet = sum(counts[action.value] for action in QUIET)
    parts = [
        f"{counts['create']} to create",
        f"{counts['update']} to update",
        f"{counts['archive']} to archive",
        f"{counts['delete']} to delete",
        f"{counts['conflict']} conflict{'s' * (counts['conflict'] != 1)}",
        *([f"{counts['adopt']} to adopt"] if counts["adopt"] else []),
        f"{counts['error']} error{'s' * (counts['error'] != 1)}",
        f"{quiet} unchanged or skipped",
    ]
    return ", ".join(parts)


def markdown(plan: Plan) -> str:
    lines = [f"### Tillsync plan for `{plan.environment}`", ""]
    lines.append("| flow | " + " | ".join(a.value for a in COLUMNS) + " | unchanged |")
    lines.append("|---" * (len(COLUMNS) + 2) + "|")
    for flow in plan.flows:
        counts = flow.counts()
        cells = [str(counts[action.value]) for action in COLUMNS]
        quiet = sum(counts[action.value] for action in QUIET)
        lines.append(f"| `{flow.label}` | " + " | ".join(cells) + f" | {quiet} |")
    lines.append("")
    for flow in plan.flows:
        shown = [change for change in flow.changes if change.action in SHOWN]
        if not shown:
            continue
        lines.append(f"<details><summary><code>{flow.label}</code>: "
                     f"{len(shown)} change{'s' * (len(shown) != 1)}</summary>")  # fmt: skip
        lines += ["", "```diff"]
        for change in shown:
            lines.extend(_change_lines(change, ""))
        lines += ["```", "", "</details>", ""]
    if not plan.has_changes:
        lines.append("No changes. The targets match the sources.")
    return "\n".join(lines).rstrip("\n") + "\n"
