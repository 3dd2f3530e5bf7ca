"""The one place where precedence lives.

An environment overrides a spec's settings: the shop domain of the test store, the location ids
of production. Precedence, lowest first:

    spec  <  environments/<env>.yaml  <  environment variables

Environment variables are named after the path they override, upper-cased, with `__` between
parts: `TILLSYNC__SYSTEMS__SHOP__SETTINGS__SHOP_DOMAIN` or
`TILLSYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE`. Their values are read as YAML scalars, so
`250` is a number and `true` a boolean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.spec.yamlsource import YamlLoadError, parse_yaml

ENV_PREFIX = "TILLSYNC__"


def layered(
    spec: Mapping[str, Any],
    environment: Mapping[str, Any],
    environ: Mapping[str, str],
    scope: tuple[str, ...],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Settings at `scope` (e.g. `("systems", "shop", "settings")`) with every layer applied.

    Maps merge key by key; any other value replaces the one below it. Returns the settings and,
    for every key an environment variable set, that variable's name (so errors can say where a
    bad value came from).
    """
    merged = _merge(spec, environment)
    prefix = ENV_PREFIX + "__".join(_env_part(part) for part in scope) + "__"
    from_environ: dict[str, str] = {}
    for name, text in sorted(environ.items()):
        if not name.startswith(prefix) or len(name) == len(prefix):
            continue
        key_path = name[len(prefix) :].lower().split("__")
        target = merged
        for part in key_path[:-1]:
            existing = target.get(part)
            target[part] = dict(existing) if isinstance(existing, Mapping) else {}
            target = target[part]
        target[key_path[-1]] = _scalar(text)
        from_environ[".".join(key_path)] = name
    return merged, from_environ


def _merge(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(lower)
    for key, value in upper.items():
        below = out.get(key)
        out[key] = _merge(below, value) if isinstance(below, Mapping) and isinstance(value, Mapping) else value
    return out


def _env_part(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", part).upper()


def _scalar(text: str) -> Any:
    try:
        value = parse_yaml(text, "<environment>").data
    except YamlLoadError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text
