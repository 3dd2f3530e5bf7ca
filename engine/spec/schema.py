"""JSON Schema (Draft 2020-12) for specs and environments, generated from the pydantic models.

The files in `schemas/` are what editors use (`# yaml-language-server: $schema=...`) and what the
first validation layer checks documents against. `tillsync schema` rewrites them; a test fails
when the checked-in files differ from what the models generate.

The files also hold each connector's settings (a system's `settings` as its `connector` has them),
so an editor completes and checks them too; the engine names no connector, so the face that writes
the files passes their settings models in. Required settings are left optional there: a spec may
leave them to an environment. `validate` checks settings against the connector's model itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from engine.spec.environment import Environment
from engine.spec.models import Integration

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS: dict[str, type[BaseModel]] = {
    "integration.schema.json": Integration,
    "environment.schema.json": Environment,
}


@cache
def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of `model`, as written to `schemas/`."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    name = next(file for file, m in SCHEMAS.items() if m is model)
    return {"$schema": DRAFT, "$id": f"https://tillsync.dev/schemas/{name}", **schema}


Settings = Mapping[str, type[BaseModel]]  # connector name → its settings model


def editor_schema(model: type[BaseModel], settings: Settings) -> dict[str, Any]:
    """`schema_for(model)` with each connector's settings under a system that names it."""
    schema = json.loads(json.dumps(schema_for(model)))
    system = schema.get("$defs", {}).get("System")
    if system is None or not settings:
        return schema  # type: ignore[no-any-return]
    branches = []
    for connector, settings_model in sorted(settings.items()):
        name = settings_model.__name__
        branches.append(
            {
                "if": {"properties": {"connector": {"const": connector}}, "required": ["connector"]},
                "then": {"properties": {"settings": {"$ref": f"#/$defs/{name}"}}},
            }
        )
        _add_definitions(schema["$defs"], name, _optional(settings_model.model_json_schema(
            ref_template="#/$defs/{model}", mode="validation")))  # fmt: skip
    system["allOf"] = branches
    return schema  # type: ignore[no-any-return]


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    schema.pop("required", None)
    return schema


def _add_definitions(definitions: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    for inner, definition in schema.pop("$defs", {}).items():
        if definitions.setdefault(inner, definition) != definition:
            raise ValueError(f"two different JSON Schema definitions are named {inner}")
    if name in definitions:
        raise ValueError(f"connector settings model {name} has the name of a spec definition")
    definitions[name] = schema


def render(model: type[BaseModel], settings: Settings) -> str:
    return json.dumps(editor_schema(model, settings), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path, settings: Settings) -> list[Path]:
    """Write every schema into `directory`; returns the files that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, model in SCHEMAS.items():
        target = directory / name
        text = render(model, settings)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def stale_schemas(directory: Path, settings: Settings) -> list[str]:
    """Names of schema files in `directory` that are missing or differ from the models."""
    return [
        name
        for name, model in SCHEMAS.items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != render(model, settings)
    ]
