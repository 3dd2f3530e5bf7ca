"""Validation of spec and environment files, every problem at once, each located.

Layer 1 is structure (JSON Schema, then the pydantic models, which must agree); layer 2 is
semantics (connectors, catalogues, JMESPath, cross-references). A file whose structure is broken
gets no semantic check: its meaning is not yet known.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from engine.connector import Registry
from engine.errors import Diagnostic, SpecError
from engine.spec.envfile import with_env_file
from engine.spec.environment import Environment, EnvironmentIntegration
from engine.spec.models import FlowSettings, Integration
from engine.spec.overlay import layered
from engine.spec.yamlsource import Document, YamlLoadError, load_yaml
from engine.validate.semantics import check_integration, settings_problems
from engine.validate.structure import model_diagnostics, schema_diagnostics

SPEC_SUFFIXES = (".yaml", ".yml")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedSpec:
    document: Document
    integration: Integration


@dataclass(frozen=True)
class LoadedEnvironment:
    document: Document
    environment: Environment


@dataclass
class Report:
    """The outcome of validating a set of files."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def display_name(path: Path) -> str:
    """A path as people should see it: relative to the working directory where possible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _load_model(path: Path, model: type[M]) -> tuple[Document, M]:
    """Load a YAML file and validate its structure; raises `SpecError` with every problem."""
    try:
        document = load_yaml(path, display_name(path))
    except YamlLoadError as exc:
        raise SpecError([exc.diagnostic]) from None
    source = document.source
    if not isinstance(document.data, dict):
        what = "empty" if document.data is None else "not a map of keys"
        raise SpecError([Diagnostic(source.file, 1, 1, f"the file is {what}; expected a {model.__name__.lower()}")])
    problems = schema_diagnostics(document.data, model, source)
    try:
        value = model.model_validate(document.data)
    except ValidationError as exc:
        problems += [d for d in model_diagnostics(exc, model, source) if d not in problems]
        raise SpecError(_unique(problems)) from None
    if problems:
        raise SpecError(_unique(problems))
    return document, value


def load_spec(path: Path, connectors: Registry) -> LoadedSpec:
    """Load and fully validate one spec file."""
    document, integration = _load_model(path, Integration)
    problems = check_integration(integration, document.source, connectors)
    if problems:
        raise SpecError(problems)
    return LoadedSpec(document, integration)


def load_environment(path: Path) -> LoadedEnvironment:
    document, environment = _load_model(path, Environment)
    return LoadedEnvironment(document, environment)


def check_environment(
    loaded: LoadedEnvironment,
    root: Path,
    environ: Mapping[str, str],
    connectors: Registry,
) -> tuple[list[Diagnostic], dict[str, LoadedSpec]]:
    """Check an environment and the specs it runs, with its overlays and variables applied."""
    problems: list[Diagnostic] = []
    specs: dict[str, LoadedSpec] = {}
    source = loaded.document.source
    for name, entry in loaded.environment.integrations.items():
        where = ("integrations", name)
        spec_path = root / entry.spec
        if not spec_path.is_file():
            problems.append(source.diagnostic((*where, "spec"), f"no spec file at '{entry.spec}'", False))
            continue
        try:
            spec = load_spec(spec_path, connectors)
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        if spec.integration.name != name:
            problems.append(
                source.diagnostic(where, f"'{entry.spec}' holds integration '{spec.integration.name}', not '{name}'")
            )
            continue
        specs[name] = spec
        problems.extend(_overlay_problems(loaded, name, entry, spec, environ, connectors))
    return problems, specs


def _overlay_problems(
    loaded: LoadedEnvironment,
    name: str,
    entry: EnvironmentIntegration,
    spec: LoadedSpec,
    environ: Mapping[str, str],
    connectors: Registry,
) -> Iterable[Diagnostic]:
    source, integration = loaded.document.source, spec.integration
    where = ("integrations", name)
    for kind, overlays, defined in (
        ("systems", entry.systems, integration.systems),
        ("flows", entry.flows, integration.flows),
    ):
        for key in overlays:
            if key not in defined:
                yield source.diagnostic(
                    (*where, kind, key),
                    f"integration '{name}' has no {kind[:-1]} '{key}'; defined: {', '.join(defined)}",
                )
    for system_name, system in integration.systems.items():
        connector = connectors[system.connector]
        overlay = entry.systems.get(system_name)
        scope = ("systems", system_name, "settings")
        values, from_environ = layered(system.settings, overlay.settings if overlay else {}, environ, scope)
        for loc, message in settings_problems(connector, values, partial=False):
            key = str(loc[0]) if loc else ""
            if key in from_environ:
                yield Diagnostic(f"${from_environ[key]}", 1, 1, message, ".".join(map(str, loc)))
            elif overlay is not None and key in overlay.settings:
                yield source.diagnostic((*where, "systems", system_name, "settings", *loc), message)
            elif key in system.settings:
                yield spec.document.source.diagnostic((*scope, *loc), message)
            else:
                overlay_path = ".".join(map(str, (*where, "systems", system_name, "settings")))
                hint = f"{message}; set it in the spec or under {overlay_path}"
                yield source.diagnostic(
                    (*where, "systems", system_name) if overlay else where, f"settings.{key}: {hint}"
                )
        for credential in connector.credentials:
            given = {**system.credentials, **(overlay.credentials if overlay else {})}
            if credential not in given:
                yield source.diagnostic(
                    where,
                    f"system '{system_name}' ({connector.name}) needs credential '{credential}' as env:NAME",
                )
    for flow_name, flow_overlay in entry.flows.items():
        if flow_name not in integration.flows:
            continue
        merged = {
            **integration.flows[flow_name].settings.model_dump(exclude_unset=True),
            **flow_overlay.settings,
        }
        try:
            FlowSettings.model_validate(merged)
        except ValidationError as exc:
            base = (*where, "flows", flow_name, "settings")
            for err in exc.errors():
                yield source.diagnostic((*base, *err["loc"]), str(err["msg"]))


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    # Schema and models often see the same problem; say it once per place.
    seen: dict[tuple[str, int, int, str], Diagnostic] = {}
    for d in diagnostics:
        seen.setdefault((d.file, d.line, d.column, d.path), d)
    return list(seen.values())


def is_environment_file(path: Path) -> bool:
    return path.parent.name == "environments"


def collect(paths: Iterable[Path]) -> list[Path]:
    """The YAML files named by `paths` (files as given, folders searched recursively)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():  # mapping tests live in a `tests` folder beside the specs; they are not specs
            found = (p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            files.extend(sorted(p for p in found if "tests" not in p.relative_to(path).parts[:-1]))
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def validate_files(
    paths: Iterable[Path],
    *,
    root: Path,
    connectors: Registry,
    environment: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Report:
    """Validate spec and environment files; with `environment`, also that overlay and its specs."""
    environ = os.environ if environ is None else environ
    report = Report()
    files = collect(paths)
    if environment is not None:
        files.append(root / "environments" / f"{environment}.yaml")
    for path in dict.fromkeys(files):
        report.files.append(display_name(path))
        try:
            if is_environment_file(path):
                loaded = load_environment(path)
                variables = with_env_file(root, loaded.environment.env_file, environ)
                problems, _ = check_environment(loaded, root, variables, connectors)
                report.diagnostics.extend(problems)
            else:
                load_spec(path, connectors)
        except SpecError as exc:
            report.diagnostics.extend(exc.diagnostics)
    report.diagnostics = sorted(set(report.diagnostics))
    return report
