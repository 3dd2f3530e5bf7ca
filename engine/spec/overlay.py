"""The one place where precedence lives.

An environment overrides parts of a spec: the shop domain of the test store, the location ids of
production, a flow switched off, a schedule. Precedence, lowest first:

    spec  <  environments/<env>.yaml  <  environment variables

What may be overridden is a system's `settings` and `credentials`, and a flow's `enabled`,
`trigger` and `settings`. Maps merge key by key; any other value replaces the one below it.
Environment variables are named after the path they override, upper-cased, with `__` between
parts: `TILLSYNC__SYSTEMS__SHOP__SETTINGS__SHOP_DOMAIN`, `TILLSYNC__FLOWS__STOCK__ENABLED`,
`TILLSYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE`. Their values are read as YAML scalars, so `250` is
a number and `true` a boolean. They apply to every integration of the environment that has a
system or flow of that name; named after one integration as well, with its name after the prefix
(`TILLSYNC__ERP_SHOPIFY__SYSTEMS__SHOP__SETTINGS__URL`), a variable applies to that integration only
and wins over the unscoped one of the same path.

`overlay` lays the layers over a spec's data and remembers where each overridden value came from,
so a problem in the result is reported in the file (or variable) that set it. The state store's
URL follows the same order: `state_url` below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import Diagnostic, TillsyncError
from engine.spec.environment import Environment
from engine.spec.yamlsource import DocPath, Locator, YamlLoadError, dotted, parse_yaml

ENV_PREFIX = "TILLSYNC__"
STATE_URL_VARIABLE = "TILLSYNC_STATE_URL"
# The parts of a spec an environment may override: section → fields of each entry there.
OVERRIDABLE: dict[str, tuple[str, ...]] = {
    "systems": ("settings", "credentials"),
    "flows": ("enabled", "trigger", "settings"),
}


@dataclass(frozen=True)
class Overlaid:
    """A spec's data with every layer applied, and where each overridden value came from."""

    data: dict[str, Any]
    from_environment: frozenset[DocPath]  # paths the environment file set
    from_variables: Mapping[DocPath, str]  # paths an environment variable set → its name

    @property
    def variables(self) -> set[str]:
        """The environment variables that set something here."""
        return set(self.from_variables.values())

    def locator(self, spec: Locator, environment: Locator, integration: str) -> Locator:
        """Where each part of the result stands: in the variable, environment file or spec that set it."""
        return _Layered(self, spec, environment, ("integrations", integration))


def overlay(spec: Mapping[str, Any], environment: Mapping[str, Any], environ: Mapping[str, str]) -> Overlaid:
    """`spec` (a spec file's data) with `environment` (an environment's entry for it: its `systems`
    and `flows`) and then the `TILLSYNC__` variables of `environ` laid over it. Inputs are left as
    they are."""
    given = {section: environment[section] for section in OVERRIDABLE if environment.get(section)}
    data = _merge(spec, given)
    from_environment = frozenset(_paths(given))
    from_variables: dict[DocPath, str] = {}
    found = [(scoped, name, path) for name in environ for scoped, path in [_variable_path(name, spec)] if path]
    for _, name, path in sorted(found):  # unscoped first: a variable scoped to this integration wins
        _put(data, path, environ[name] if path[2] == "credentials" else _scalar(environ[name]))
        from_variables[path] = name
    return Overlaid(data, from_environment, from_variables)


def overriding_variables(environ: Mapping[str, str]) -> list[str]:
    """The variables of `environ` named as overrides (`TILLSYNC__…`)."""
    return sorted(name for name in environ if name.startswith(ENV_PREFIX))


def state_url(environment: Environment, environ: Mapping[str, str]) -> str | None:
    """The state store's URL: `TILLSYNC_STATE_URL`, else the environment's `state_url` reference
    resolved, else None (a SQLite file under `.tillsync/`)."""
    if environ.get(STATE_URL_VARIABLE):
        return environ[STATE_URL_VARIABLE]
    if environment.state_url is None:
        return None
    variable = environment.state_url.removeprefix("env:")
    if not environ.get(variable):
        raise TillsyncError(f"environment {environment.name}: state_url refers to {variable}, which is not set")
    return environ[variable]


def _variable_path(name: str, spec: Mapping[str, Any]) -> tuple[bool, tuple[str, ...] | None]:
    """Whether a `TILLSYNC__` variable is scoped to `spec`'s integration, and the spec path it
    overrides when it names a system or flow of `spec` (None otherwise)."""
    if not name.startswith(ENV_PREFIX):
        return False, None
    parts = name[len(ENV_PREFIX) :].split("__")
    integration = spec.get("name")
    scoped = isinstance(integration, str) and len(parts) > 1 and parts[0] == _env_part(integration) and (
        parts[1].lower() in OVERRIDABLE)  # fmt: skip
    return scoped, _spec_path(parts[1:] if scoped else parts, spec)


def _spec_path(parts: Sequence[str], spec: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The spec path of a variable's parts after the prefix and scope (`SYSTEMS`, `SHOP`, `SETTINGS`, …)."""
    if len(parts) < 3 or not all(parts):
        return None
    section, entry, what, below = parts[0].lower(), parts[1], parts[2].lower(), [p.lower() for p in parts[3:]]
    if section not in OVERRIDABLE or what not in OVERRIDABLE[section]:
        return None
    entries = spec.get(section)
    names = list(entries) if isinstance(entries, Mapping) else []
    matched = next((n for n in names if isinstance(n, str) and _env_part(n) == entry), None)
    if matched is None:
        return None
    if (what == "enabled") == bool(below):  # `enabled` is a value; the others are maps, set key by key
        return None
    return (section, matched, what, *below)


def _merge(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(lower)
    for key, value in upper.items():
        below = out.get(key)
        out[key] = _merge(below, value) if isinstance(below, Mapping) and isinstance(value, Mapping) else value
    return out


def _paths(data: Mapping[str, Any], prefix: DocPath = ()) -> list[DocPath]:
    """Every path in `data` down to its leaves (a map's own path included)."""
    found: list[DocPath] = []
    for key, value in data.items():
        path = (*prefix, key)
        found.append(path)
        if isinstance(value, Mapping):
            found += _paths(value, path)
    return found


def _put(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    target = data
    for part in path[:-1]:
        existing = target.get(part)
        target[part] = dict(existing) if isinstance(existing, Mapping) else {}
        target = target[part]
    target[path[-1]] = value


def _env_part(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", part).upper()


def _scalar(text: str) -> Any:
    try:
        value = parse_yaml(text, "<environment>").data
    except YamlLoadError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


@dataclass(frozen=True)
class _Layered:
    """A `Locator` over the layers: a path is found in the variable, the environment file or the spec
    that last set it (its nearest enclosing path that one of them set)."""

    overlaid: Overlaid
    spec: Locator
    environment: Locator
    entry: DocPath  # the integration's entry in the environment file

    def _layer(self, path: DocPath) -> str:
        for end in range(len(path), 0, -1):
            prefix = path[:end]
            if prefix in self.overlaid.from_variables:
                return "variable:" + self.overlaid.from_variables[prefix]
            if prefix in self.overlaid.from_environment:
                return "environment"
        return "spec"

    def diagnostic(self, path: Sequence[str | int], message: str, prefer_key: bool = True) -> Diagnostic:
        layer = self._layer(tuple(path))
        if layer.startswith("variable:"):
            return Diagnostic("$" + layer.removeprefix("variable:"), 1, 1, message, dotted(path))
        if layer == "environment":
            return self.environment.diagnostic((*self.entry, *path), message, prefer_key)
        return self.spec.diagnostic(path, message, prefer_key)

    def value_diagnostic(self, path: Sequence[str | int], column: int, message: str) -> Diagnostic:
        layer = self._layer(tuple(path))
        if layer.startswith("variable:"):
            return Diagnostic("$" + layer.removeprefix("variable:"), 1, column, message, dotted(path))
        if layer == "environment":
            return self.environment.value_diagnostic((*self.entry, *path), column, message)
        return self.spec.value_diagnostic(path, column, message)
