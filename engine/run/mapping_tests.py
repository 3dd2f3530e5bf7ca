"""Unit tests for mappings: fixtures of source records with the target records and plan expected.

`specs/tests/<integration>.yaml` holds cases for one integration:

    integration: erp-webshop
    cases:
      - name: a paid order keeps its payment method, mapped
        flow: orders
        source: [{number: W1, currency: EUR, financial_status: paid, payment_method: ideal}]
        expect: [{number: W1, payment_method: IDEAL}]      # the fields named must match
        target: []                                          # what the target holds (optional)
        applied: []                                         # what Tillsync last applied there (optional)
        plan: {create: [W1]}                                # actions by key (optional)

No system is called: the spec's mappings, rules and diff run on the records given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from engine.catalogue import choices
from engine.connector import Registry
from engine.errors import Diagnostic, SpecError
from engine.mapping.desired import desired_records
from engine.plan.diff import diff, project
from engine.plan.model import Action, Change
from engine.records import MODELS, Record
from engine.run.flow import FlowSetup
from engine.run.workspace import Deployment, ResolvedSystem, spec_digest
from engine.spec.models import Model
from engine.spec.yamlsource import YamlLoadError, load_yaml
from engine.validate.files import load_spec


class Case(Model):
    name: str
    flow: str
    source: list[dict[str, Any]] = Field(min_length=1)
    expect: list[dict[str, Any]] | None = None
    target: list[dict[str, Any]] = Field(default_factory=list)
    applied: list[dict[str, Any]] = Field(
        default_factory=list, description="what Tillsync last applied to the target: the third side of the diff"
    )
    plan: dict[str, list[str]] | None = None


class Suite(Model):
    integration: str
    spec: str | None = Field(default=None, description="the spec file, if not specs/<integration>.yaml")
    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class Failure:
    where: Diagnostic
    case: str

    def __str__(self) -> str:
        return f"{self.where}  [{self.case}]"


def run_suites(paths: Iterable[Path], root: Path, connectors: Registry) -> tuple[int, list[Failure]]:
    """(cases run, failures) for every suite file."""
    count, failures = 0, []
    for path in paths:
        ran, failed = _run_suite(path, root, connectors)
        count += ran
        failures += failed
    return count, failures


def _run_suite(path: Path, root: Path, connectors: Registry) -> tuple[int, list[Failure]]:
    try:
        document = load_yaml(path, str(path.relative_to(root)) if path.is_relative_to(root) else str(path))
    except YamlLoadError as exc:
        return 0, [Failure(exc.diagnostic, "suite")]
    try:
        suite = Suite.model_validate(document.data)
    except ValidationError as exc:
        return 0, [Failure(document.source.diagnostic(e["loc"], e["msg"]), "suite") for e in exc.errors()]
    spec_path = root / (suite.spec or f"specs/{suite.integration}.yaml")
    try:
        loaded = load_spec(spec_path, connectors)
    except SpecError as exc:
        return 0, [Failure(d, "spec") for d in exc.diagnostics]
    integration = loaded.integration
    systems = {
        name: ResolvedSystem(name, connectors[s.connector], s.settings, {}) for name, s in integration.systems.items()
    }
    deployment = Deployment(integration.name, str(spec_path), spec_digest(spec_path), integration, systems)
    failures = []
    for index, case in enumerate(suite.cases):
        for where, message in _run_case(deployment, case):
            line, column = document.source.position(("cases", index, *where))
            failures.append(Failure(Diagnostic(document.source.file, line, column, message), case.name))
    return len(suite.cases), failures


Problem = tuple[tuple[str | int, ...], str]  # where in the case (the case itself: ()), and what


def _run_case(deployment: Deployment, case: Case) -> list[Problem]:
    if case.flow not in deployment.integration.flows:
        return [(("flow",), f"no flow '{case.flow}' in {deployment.name}")]
    setup = FlowSetup.of(deployment, case.flow)
    model = MODELS[setup.policy.entity]
    records: dict[str, list[Record]] = {}
    invalid: list[Problem] = []
    for side in ("source", "target", "applied"):
        records[side] = []
        for index, data in enumerate(getattr(case, side)):
            try:
                records[side].append(model.model_validate(data))
            except ValidationError as exc:
                invalid += [((side, index), f"{side}[{index}]: not a valid {setup.policy.entity.value}: "
                             f"{_located(error)}") for error in exc.errors()]  # fmt: skip
    if invalid:
        return invalid
    source, target, applied = records["source"], records["target"], records["applied"]
    desired, filtered, _ = desired_records(setup.matching, setup.as_read(source))
    problems: list[Problem] = []
    if case.expect is not None:
        got = [item.record for item in desired if item.record is not None]
        errors = [f"{'/'.join(item.key)}: {item.error}" for item in desired if item.error]
        if len(got) != len(case.expect):
            problems.append(((), f"expected {len(case.expect)} target records, mapped {len(got)}"
                                 + (f" (errors: {'; '.join(errors)})" if errors else "")))  # fmt: skip
        for index, (expected, record) in enumerate(zip(case.expect, got, strict=False)):
            try:
                problems += [((), message) for message in _mismatches(expected, record)]
            except ValidationError as exc:  # what is expected is no valid record itself
                problems += [(("expect", index), f"expect[{index}]: not a valid {setup.policy.entity.value}: "
                              f"{_located(error)}") for error in exc.errors()]  # fmt: skip
    if case.plan is not None:
        # a target that keeps nothing readable holds what was last applied there (`FlowSetup.target_reads`)
        actual = {setup.key_of(record): record for record in (target if setup.target_reads else applied)}
        base = {setup.key_of(record): project(record, setup.policy.fields) for record in applied}
        problems += _plan_problems(case.plan, diff(setup.policy, desired, filtered, actual, base))
    return problems


def _plan_problems(plan: Mapping[str, list[str]], changes: Sequence[Change]) -> list[Problem]:
    unknown = sorted(set(plan) - {action.value for action in Action})
    if unknown:
        known = choices(unknown[0], [action.value for action in Action])
        return [(("plan",), f"plan: unknown action {', '.join(map(repr, unknown))}; {known}")]
    planned: dict[str, list[str]] = {}
    for change in changes:
        planned.setdefault(change.action.value, []).append("/".join(change.key))
    wanted = {action: sorted(keys) for action, keys in plan.items() if keys}
    if planned == wanted:
        return []
    # Each record planned otherwise, with the reason the plan gives: why it is planned so.
    why = [f"{'/'.join(c.key)}: {c.action.value}: {c.reason}" for c in changes
           if "/".join(c.key) not in wanted.get(c.action.value, ())]  # fmt: skip
    return [((), f"expected plan {dict(plan)}, got {planned}" + (f" ({'; '.join(why)})" if why else ""))]


def _located(error: ErrorDetails) -> str:
    """A pydantic error as `field.sub: message`, or the message alone for the whole record."""
    where = ".".join(map(str, error["loc"]))
    return f"{where}: {error['msg']}" if where else error["msg"]


def _mismatches(expected: Mapping[str, Any], record: Record) -> list[str]:
    got = project(record, list(expected))
    want = project(type(record).model_validate({**record.model_dump(), **expected}), list(expected))
    return [f"{name}: expected {want[name]!r}, mapped {got[name]!r}" for name in expected if got[name] != want[name]]
