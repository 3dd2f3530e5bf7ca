"""JSON Schema (Draft 2020-12) for specs and environments, generated from the pydantic models.

The files in `schemas/` are what editors use (`# yaml-language-server: $schema=...`) and what the
first validation layer checks documents against. `tillsync schema` rewrites them; a test fails
when the checked-in files differ from what the models generate.
"""

from __future__ import annotations

import json
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


def render(model: type[BaseModel]) -> str:
    return json.dumps(schema_for(model), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory`; returns the files that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, model in SCHEMAS.items():
        target = directory / name
        text = render(model)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def stale_schemas(directory: Path) -> list[str]:
    """Names of schema files in `directory` that are missing or differ from the models."""
    return [
        name
        for name, model in SCHEMAS.items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != render(model)
    ]
