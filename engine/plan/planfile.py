"""The plan file: a `Plan` written as JSON, and read back, in one place.

`tillsync plan --format json --out plan.json` writes one; `tillsync apply --plan plan.json` reads
it. A file that is not a plan, is damaged, or was written by a Tillsync whose plan format differs
is refused with a sentence that says what to do, never a traceback.

A plan to apply is signed: `signature` is an HMAC-SHA256 of the plan's content, keyed by a secret
kept in the state store the plan was made against (`PlanKey`), which `state_store` names. Apply
refuses a plan whose content does not match its signature — edited by hand or by a tool after it
was made — a plan without one, and a plan made against another state store. The content signed is
the JSON data in a canonical form (keys sorted, no spaces), so laying the file out again changes
nothing, while any value changed, added or removed does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import TillsyncError
from engine.plan.model import Action, Change, FieldChange, Fingerprints, FlowPlan, Plan
from engine.records import Entity

FORMAT = "tillsync-plan/4"
_AGAIN = "save a plan with: tillsync plan --env ENV --format json --out FILE"
_SCHEME = "hmac-sha256:"
_PLAN_AGAIN = "plan again: " + _AGAIN.removeprefix("save a plan with: ")


class PlanFileError(TillsyncError):
    """A file is not a plan this Tillsync can apply."""


@dataclass(frozen=True)
class PlanKey:
    """What signs a state store's saved plans: the store's id, which a plan names, and its secret."""

    store: str
    secret: bytes = field(repr=False)


def document(plan: Plan, key: PlanKey | None = None) -> dict[str, Any]:
    """The plan as JSON data; signed by `key` when given (a plan to save for apply always is)."""
    data = {
        "format": FORMAT,
        "environment": plan.environment,
        "flows": [_flow_json(flow) for flow in plan.flows],
        "summary": plan.counts(),
    }
    if key is None:
        return data
    signed: dict[str, Any] = json.loads(json.dumps(data))  # as it is read back: tuples are lists, and so on
    signed["state_store"] = key.store
    signed["signature"] = _signature(signed, key)
    return signed


def dumps(plan: Plan, key: PlanKey | None = None) -> str:
    """The plan file's text; without `key`, a plan to look at that apply refuses."""
    return json.dumps(document(plan, key), indent=2, ensure_ascii=False) + "\n"


def read(path: Path, key: PlanKey | None = None) -> Plan:
    """The plan saved in `path`; `PlanFileError` says why when it is not one. With `key`, only a
    plan signed with it is read (see the module); without, the plan is read to be looked at."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot read the plan ({exc.__class__.__name__}); {_AGAIN}") from None
    return loads(text, str(path), key)


def loads(text: str, where: str = "<plan>", key: PlanKey | None = None) -> Plan:
    """The plan in `text`, as `read` reads it; `where` names it in messages."""
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
        plan = Plan(str(data["environment"]), flows)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{where}: the plan is damaged ({exc.__class__.__name__}: {exc}); {_AGAIN}") from None
    if key is not None:
        _check(data, key, where)
    return plan


def _signature(data: Mapping[str, Any], key: PlanKey) -> str:
    content = {name: value for name, value in data.items() if name != "signature"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _SCHEME + hmac.new(key.secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _check(data: Mapping[str, Any], key: PlanKey, where: str) -> None:
    """Refuse a plan not signed with `key`; the store is compared first only to say which refusal."""
    signature, store = data.get("signature"), data.get("state_store")
    if not isinstance(signature, str) or store is None:
        raise PlanFileError(f"{where}: the plan is not signed, so nothing shows it is the plan Tillsync made; "
                            f"{_PLAN_AGAIN}")  # fmt: skip
    if store != key.store:
        raise PlanFileError(f"{where}: the plan was made against another state store ({str(store)[:16]!r}, not "
                            f"{key.store!r}: another environment, or a state store made again since); "
                            f"{_PLAN_AGAIN}")  # fmt: skip
    if not hmac.compare_digest(signature.encode("utf-8"), _signature(data, key).encode("utf-8")):
        raise PlanFileError(f"{where}: the plan was changed after it was made: its content does not match its "
                            f"signature. Tillsync applies a saved plan only as it wrote it; "
                            f"{_PLAN_AGAIN}")  # fmt: skip


def _flow_json(flow: FlowPlan) -> dict[str, Any]:
    data = asdict(flow)
    data["changes"] = [_change_json(change) for change in flow.changes]
    if flow.undoes is None:  # a sync's plan: its file as before undo plans were made
        del data["undoes"]
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
            left_alone=tuple(FieldChange(**f) for f in c.get("left_alone", ())),
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
        reconciled=bool(data.get("reconciled", True)),
        undoes=data.get("undoes"),
    )
