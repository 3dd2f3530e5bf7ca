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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from engine.connector import Registry
from engine.errors import Diagnostic, SpecError
from engine.mapping.desired import desired_records
from engine.plan.diff import diff, project
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
        suite = Suite.model_validate(document.data)
    except YamlLoadError as exc:
        return 0, [Failure(exc.diagnostic, "suite")]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = Diagnostic(str(path), 1, 1, f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
        return 0, [Failure(where, "suite")]
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
        problems = _run_case(deployment, case)
        for message in problems:
            line, column = document.source.position(("cases", index))
            failures.append(Failure(Diagnostic(document.source.file, line, column, message), case.name))
    return len(suite.cases), failures


def _run_case(deployment: Deployment, case: Case) -> list[str]:
    if case.flow not in deployment.integration.flows:
        return [f"no flow '{case.flow}' in {deployment.name}"]
    setup = FlowSetup.of(deployment, case.flow)
    model = MODELS[setup.policy.entity]
    try:
        source = [model.model_validate(record) for record in case.source]
        target = [model.model_validate(record) for record in case.target]
        applied = [model.model_validate(record) for record in case.applied]
    except ValidationError as exc:
        return [f"a source, target or applied record is not a valid {setup.policy.entity.value}: "
                f"{exc.errors()[0]['msg']}"]  # fmt: skip
    desired, filtered, _ = desired_records(setup.matching, source)
    problems = []
    if case.expect is not None:
        got = [item.record for item in desired if item.record is not None]
        errors = [f"{'/'.join(item.key)}: {item.error}" for item in desired if item.error]
        if len(got) != len(case.expect):
            problems.append(f"expected {len(case.expect)} target records, mapped {len(got)}"
                            + (f" (errors: {'; '.join(errors)})" if errors else ""))  # fmt: skip
        for expected, record in zip(case.expect, got, strict=False):
            problems += _mismatches(expected, record)
    if case.plan is not None:
        actual = {setup.key_of(record): record for record in target}
        base = {setup.key_of(record): project(record, setup.policy.fields) for record in applied}
        changes = diff(setup.policy, desired, filtered, actual, base)
        planned: dict[str, list[str]] = {}
        for change in changes:
            planned.setdefault(change.action.value, []).append("/".join(change.key))
        if planned != {k: sorted(v) for k, v in case.plan.items()}:
            problems.append(f"expected plan {case.plan}, got {planned}")
    return problems


def _mismatches(expected: Mapping[str, Any], record: Record) -> list[str]:
    got = project(record, list(expected))
    want = project(type(record).model_validate({**record.model_dump(), **expected}), list(expected))
    return [f"{name}: expected {want[name]!r}, mapped {got[name]!r}" for name in expected if got[name] != want[name]]
