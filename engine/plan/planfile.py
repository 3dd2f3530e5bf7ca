"""The plan file: a `Plan` written as JSON, and read back, in one place.

`tillsync plan --format json --out plan.json` writes one; `tillsync apply --plan plan.json` reads
it. A file that is not a plan, is damaged, or was written by a Tillsync whose plan format differs
is refused with a sentence that says what to do, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engine.errors import TillsyncError
from engine.plan.model import Action, Change, FieldChange, Fingerprints, FlowPlan, Plan
from engine.records import Entity

FORMAT = "tillsync-plan/2"
_AGAIN = "save a plan with: tillsync plan --env ENV --format json --out FILE"


class PlanFileError(TillsyncError):
    """A file is not a plan this Tillsync can apply."""


def document(plan: Plan) -> dict[str, Any]:
    """The plan as JSON data."""
    return {
        "format": FORMAT,
        "environment": plan.environment,
        "flows": [_flow_json(flow) for flow in plan.flows],
        "summary": plan.counts(),
    }


def dumps(plan: Plan) -> str:
    return json.dumps(document(plan), indent=2, ensure_ascii=False) + "\n"


def read(path: Path) -> Plan:
    """The plan saved in `path`; `PlanFileError` says why when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot read the plan ({exc.__class__.__name__}); {_AGAIN}") from None
    return loads(text, str(path))


def loads(text: str, where: str = "<plan>") -> Plan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{where}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}); {_AGAIN}") from None
    if not isinstance(data, dict) or "format" not in data:
        raise PlanFileError(f"{where}: not a saved plan; {_AGAIN}")
    if data["format"] != FORMAT:
        raise PlanFileError(f"{where}: a plan in format {data['format']!r}, but this Tillsync applies {FORMAT!r}; "
                            f"plan again and {_AGAIN.removeprefix('save a plan with: ')}")  # fmt: skip
    try:
        flows = tuple(_flow(flow) for flow in data["flows"])
        return Plan(str(data["environment"]), flows)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{where}: the plan is damaged ({exc.__class__.__name__}: {exc}); {_AGAIN}") from None


def _flow_json(flow: FlowPlan) -> dict[str, Any]:
    data = asdict(flow)
    data["changes"] = [_change_json(change) for change in flow.changes]
    return data


def _change_json(change: Change) -> dict[str, Any]:
    data = asdict(change)
    data["key"] = list(change.key)
    return {name: value for name, value in data.items() if value not in (None, [], ())}


def _flow(data: Mapping[str, Any]) -> FlowPlan:
    changes = tuple(
        Change(
            action=Action(c["action"]),
            key=tuple(c["key"]),
            reason=c["reason"],
            fields=tuple(FieldChange(**f) for f in c.get("fields", ())),
            kept=tuple(FieldChange(**f) for f in c.get("kept", ())),
            record=c.get("record"),
            applied=c.get("applied"),
            source=c.get("source"),
        )
        for c in data["changes"]
    )
    fingerprints = tuple(
        Fingerprints(**{**item, "key": tuple(item["key"]), "source_key": tuple(item["source_key"])})
        for item in data.get("fingerprints", ())
    )
    return FlowPlan(
        environment=data["environment"],
        integration=data["integration"],
        flow=data["flow"],
        entity=Entity(data["entity"]),
        source=data["source"],
        target=data["target"],
        match=tuple(data["match"]),
        changes=changes,
        spec_fingerprint=data["spec_fingerprint"],
        source_count=int(data.get("source_count", 0)),
        filtered_count=int(data.get("filtered_count", 0)),
        cursor=data.get("cursor"),
        fingerprints=fingerprints,
        partial=bool(data.get("partial", False)),
    )
