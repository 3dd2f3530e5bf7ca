"""Validation of spec and environment files, every problem at once, each located.

Layer 1 is structure (JSON Schema, then the pydantic models, which must agree); layer 2 is
semantics (connectors, catalogues, JMESPath, cross-references). A file whose structure is broken
gets no semantic check: its meaning is not yet known.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.connector import Registry
from engine.errors import Diagnostic, SpecError
from engine.spec.envfile import with_env_file
from engine.spec.environment import Environment, EnvironmentIntegration
from engine.spec.models import Integration
from engine.spec.overlay import overlay
from engine.spec.yamlsource import Document, SourceMap, YamlLoadError, load_yaml
from engine.validate.semantics import check_integration
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
        noun = model.__name__.lower()
        article = "an" if noun[0] in "aeiou" else "a"
        raise SpecError([Diagnostic(source.file, 1, 1, f"the file is {what}; expected {article} {noun}")])
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


@dataclass(frozen=True)
class EnvironmentSpec:
    """A spec as one environment runs it: the file as loaded, and its integration with the
    environment's values and variables laid over it."""

    loaded: LoadedSpec
    integration: Integration


class SpecLoader:
    """`load_spec` with each file loaded once: the environments of a repository name the same specs,
    and `validate` checks those specs on their own too. Its results hold only as long as the files
    do not change, so one lives for one validation."""

    def __init__(self, connectors: Registry) -> None:
        self.connectors = connectors
        self._loaded: dict[str, LoadedSpec | SpecError] = {}

    def __call__(self, path: Path) -> LoadedSpec:
        key = os.path.abspath(path)  # what `display_name` is made from: one file, one name
        if key not in self._loaded:
            try:
                self._loaded[key] = load_spec(path, self.connectors)
            except SpecError as exc:
                self._loaded[key] = exc
        found = self._loaded[key]
        if isinstance(found, SpecError):
            raise SpecError(found.diagnostics)
        return found


def check_environment(
    loaded: LoadedEnvironment,
    root: Path,
    environ: Mapping[str, str],
    connectors: Registry,
    load: Callable[[Path], LoadedSpec] | None = None,
) -> tuple[list[Diagnostic], dict[str, EnvironmentSpec]]:
    """Check an environment and the specs it runs, each on its own and then with the environment's
    values and variables laid over it (`engine.spec.overlay`), with the same semantic checks.
    `load` loads a spec file (`load_spec` by default; a `SpecLoader` to load each only once)."""
    load = load or SpecLoader(connectors)
    problems: list[Diagnostic] = []
    specs: dict[str, EnvironmentSpec] = {}
    source = loaded.document.source
    for name, entry in loaded.environment.integrations.items():
        where = ("integrations", name)
        spec_path = root / entry.spec
        if not spec_path.is_file():
            problems.append(source.diagnostic((*where, "spec"), f"no spec file at '{entry.spec}'", False))
            continue
        try:
            spec = load(spec_path)
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue
        if spec.integration.name != name:
            problems.append(
                source.diagnostic(where, f"'{entry.spec}' holds integration '{spec.integration.name}', not '{name}'")
            )
            continue
        unknown = list(_unknown_overrides(source, name, entry, spec.integration))
        if unknown:
            problems.extend(unknown)
            continue
        overlaid = overlay(spec.document.data, entry.model_dump(by_alias=True, exclude_unset=True), environ)
        locator = overlaid.locator(spec.document.source, source, name)
        try:
            integration = Integration.model_validate(overlaid.data)
        except ValidationError as exc:
            problems.extend(model_diagnostics(exc, Integration, locator))
            continue
        found = check_integration(integration, locator, connectors, complete=True)
        problems.extend(found)
        if not found:
            specs[name] = EnvironmentSpec(spec, integration)
    return problems, specs


def _environment_problems(
    path: Path, root: Path, environ: Mapping[str, str], connectors: Registry, load: SpecLoader
) -> list[Diagnostic]:
    """Every problem of an environment file. A value its structure refuses (a literal secret, a
    wrong type) is left out for the checks of the rest, so one problem does not hide the others."""
    try:
        loaded = load_environment(path)
        structure: list[Diagnostic] = []
    except SpecError as exc:
        structure = exc.diagnostics
        pruned = _without(path, [d.path for d in structure])
        if pruned is None:
            raise
        loaded = pruned
    variables = with_env_file(root, loaded.environment.env_file, environ)
    problems, _ = check_environment(loaded, root, variables, connectors, load)
    return structure + [d for d in problems if d not in structure]


def _without(path: Path, refused: list[str]) -> LoadedEnvironment | None:
    """The environment file with the values at `refused` (dotted paths) left out; None when what is
    left is still no environment, or a path cannot be found."""
    document = load_yaml(path, display_name(path))
    data = copy.deepcopy(document.data)
    for dotted_path in refused:
        parts: list[Any] = [int(p) if p.isdigit() else p for p in re.split(r"\.|\[(\d+)\]", dotted_path) if p]
        parent: Any = data
        for part in parts[:-1]:
            parent = parent[part] if isinstance(parent, (dict, list)) and _has(parent, part) else None
        if not parts or parent is None or not _has(parent, parts[-1]):
            return None
        del parent[parts[-1]]
    try:
        return LoadedEnvironment(replace(document, data=data), Environment.model_validate(data))
    except ValidationError:
        return None


def _has(container: dict[str, Any] | list[Any], part: str | int) -> bool:
    if isinstance(container, dict):
        return part in container
    return isinstance(part, int) and 0 <= part < len(container)


def _unknown_overrides(
    source: SourceMap, name: str, entry: EnvironmentIntegration, integration: Integration
) -> Iterable[Diagnostic]:
    for kind, overrides, defined in (
        ("systems", entry.systems, integration.systems),
        ("flows", entry.flows, integration.flows),
    ):
        for key in overrides:
            if key not in defined:
                yield source.diagnostic(
                    ("integrations", name, kind, key),
                    f"integration '{name}' has no {kind[:-1]} '{key}'; defined: {', '.join(defined)}",
                )


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
    load = SpecLoader(connectors)
    files = collect(paths)
    if environment is not None:
        files.append(root / "environments" / f"{environment}.yaml")
    for path in dict.fromkeys(files):
        report.files.append(display_name(path))
        try:
            if is_environment_file(path):
                report.diagnostics.extend(_environment_problems(path, root, environ, connectors, load))
            else:
                load(path)
        except SpecError as exc:
            report.diagnostics.extend(exc.diagnostics)
    report.diagnostics = sorted(set(report.diagnostics))
    return report
