"""Plans for people and tools: Terraform-like text, markdown for a pull request, JSON to save."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from engine.plan.model import Action, Change, FlowPlan

SYMBOLS = {
    Action.create: "+",
    Action.update: "~",
    Action.conflict: "!",
    Action.archive: "-",
    Action.delete: "-",
    Action.error: "x",
    Action.skip: "·",
}
COLUMNS = (Action.create, Action.update, Action.conflict, Action.archive, Action.delete, Action.error)
WIDTH = 100


def render(plans: Sequence[FlowPlan], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(plan_document(plans), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(plans)
    return text(plans)


def plan_document(plans: Sequence[FlowPlan]) -> dict[str, Any]:
    return {
        "format": "tillsync-plan/1",
        "environment": plans[0].environment if plans else None,
        "flows": [plan.to_json() for plan in plans],
        "summary": _totals(plans),
    }


def text(plans: Sequence[FlowPlan]) -> str:
    lines: list[str] = []
    for plan in plans:
        lines.append(
            f"{plan.integration}/{plan.flow}: {plan.source} → {plan.target} "
            f"({plan.entity.value} by {', '.join(plan.match)}; {plan.source_count} read"
            + (f", {plan.filtered_count} filtered out" if plan.filtered_count else "")
            + ")"
        )
        shown = [change for change in plan.changes if change.action is not Action.skip]
        for change in shown:
            lines.extend(_change_lines(change, "  "))
        lines.extend(f"  · {count} skipped: {rule}" for rule, count in _skips(plan).items())
        lines.append("  " + _counts_line(plan))
        lines.append("")
    totals = _totals(plans)
    changed = sum(totals[a.value] for a in COLUMNS if a is not Action.error)
    if changed or totals["error"]:
        lines.append(f"Plan: {_counts_text(totals)}.")
    else:
        lines.append("No changes. The targets match the sources.")
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, indent: str) -> list[str]:
    key = "/".join(change.key)
    head = f"{indent}{SYMBOLS[change.action]} {change.action.value} {key}"
    if change.action is Action.error:
        return [f"{head}: {change.rule}"]
    lines = [f"{head}  ({change.rule})"]
    for item in change.fields:
        if change.action is Action.create:
            lines.append(f"{indent}    {item.field}: {value_text(item.after)}")
        else:
            note = f"  ({item.rule})" if item.rule and change.action is Action.conflict else ""
            lines.append(f"{indent}    {item.field}: {value_text(item.before)} → {value_text(item.after)}{note}")
    return lines


def value_text(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return shown if len(shown) <= WIDTH else shown[: WIDTH - 1] + "…"


def _skips(plan: FlowPlan) -> Counter[str]:
    return Counter(change.rule for change in plan.changes if change.action is Action.skip)


def _totals(plans: Sequence[FlowPlan]) -> dict[str, int]:
    totals = {action.value: 0 for action in Action}
    for plan in plans:
        for change in plan.changes:
            totals[change.action.value] += 1
    return totals


def _counts_line(plan: FlowPlan) -> str:
    return _counts_text({action.value: plan.count(action) for action in Action})


def _counts_text(counts: dict[str, int]) -> str:
    parts = [
        f"{counts['create']} to create",
        f"{counts['update']} to update",
        f"{counts['archive']} to archive",
        f"{counts['delete']} to delete",
        f"{counts['conflict']} conflict{'s' * (counts['conflict'] != 1)}",
        f"{counts['error']} error{'s' * (counts['error'] != 1)}",
        f"{counts['skip']} unchanged or skipped",
    ]
    return ", ".join(parts)


def markdown(plans: Sequence[FlowPlan]) -> str:
    environment = plans[0].environment if plans else "?"
    totals = _totals(plans)
    lines = [f"### Tillsync plan for `{environment}`", ""]
    lines.append("| flow | " + " | ".join(a.value for a in COLUMNS) + " | unchanged |")
    lines.append("|---" * (len(COLUMNS) + 2) + "|")
    for plan in plans:
        cells = [str(plan.count(action)) for action in COLUMNS]
        lines.append(f"| `{plan.integration}/{plan.flow}` | " + " | ".join(cells) + f" | {plan.count(Action.skip)} |")
    lines.append("")
    for plan in plans:
        shown = [change for change in plan.changes if change.action is not Action.skip]
        if not shown:
            continue
        lines.append(f"<details><summary><code>{plan.integration}/{plan.flow}</code>: "
                     f"{len(shown)} change{'s' * (len(shown) != 1)}</summary>")  # fmt: skip
        lines += ["", "```diff"]
        for change in shown:
            lines.extend(_change_lines(change, ""))
        lines += ["```", "", "</details>", ""]
    if not any(totals[a.value] for a in COLUMNS):
        lines.append("No changes. The targets match the sources.")
    return "\n".join(lines).rstrip("\n") + "\n"
