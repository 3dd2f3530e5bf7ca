"""Visma's OpenAPI description of the ERP API, as a validator of request and response bodies.

`erp-api-subset-2025-04-24.openapi.json` beside this module is a mechanical extract of the OpenAPI
3.0.4 document Visma publishes for the Visma.net ERP service API (served at
`https://finance.visma.net/swaggerui/api/vismanet.erp.service.api-apim`, kept verbatim in the public
repository `angoyd/Visma.Net.Swagger`, `swagger.json`, commit cc958cd64d44): the 75 paths a Shopify
integration uses and every schema they reference, content unchanged. The document is Visma's.

The sandbox validates every request body it is sent and every answer it gives against it, and the
tests validate what the connector sends. Validation is stricter than the document in one way: an
object with declared properties takes no others (see `protocol`), so a read name
sent where the write name belongs (`customerClass` for `customerClassId`) is refused, not ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

DOCUMENT = Path(__file__).with_name("erp-api-subset-2025-04-24.openapi.json")
REF = "#/components/schemas/"
JSON = "application/json"


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document, read once."""
    return dict(json.loads(DOCUMENT.read_text(encoding="utf-8")))


@cache
def _components() -> dict[str, Any]:
    schemas = {name: _strict(schema) for name, schema in document()["components"]["schemas"].items()}
    return {"schemas": schemas}


def _strict(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable` as a null type, and objects with
    declared properties closed to others."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _strict(value) for key, value in schema.items() if key not in ("nullable", "example", "xml")}
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if schema.get("nullable") and "$ref" in out:
        out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


@dataclass(frozen=True)
class Operation:
    """One operation of the document: its path template, method and declarations."""

    path: str
    method: str
    spec: Mapping[str, Any]

    def request_schema(self) -> dict[str, Any] | None:
        content = (self.spec.get("requestBody") or {}).get("content") or {}
        return _schema_of(content)

    def response_schema(self, status: int) -> dict[str, Any] | None:
        response = (self.spec.get("responses") or {}).get(str(status))
        if response is None:
            return None
        return _schema_of(response.get("content") or {})

    def statuses(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.spec.get("responses") or {} if s.isdigit())

    def headers(self) -> tuple[str, ...]:
        """The request headers the operation declares, lower-cased."""
        return tuple(p["name"].lower() for p in self.spec.get("parameters") or [] if p.get("in") == "header")


def _schema_of(content: Mapping[str, Any]) -> dict[str, Any] | None:
    media = content.get(JSON) or next(iter(content.values()), None)
    if not media or not media.get("schema"):
        return None
    return dict(media["schema"])


@cache
def _templates() -> list[tuple[str, re.Pattern[str], int]]:
    """Every path template, its pattern (literal segments case-insensitive) and how many literal
    segments it has: where two match (`/v1/customer/customerClass`, `/v1/customer/{customerCd}`), the
    one with more literal segments wins."""
    found = []
    for path in document()["paths"]:
        parts = path.strip("/").split("/")
        pattern = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        literal = sum(not p.startswith("{") for p in parts)
        found.append((path, re.compile(f"^/{pattern}/?$", re.IGNORECASE), literal))
    return sorted(found, key=lambda item: -item[2])


def operation(method: str, path: str) -> Operation | None:
    """The operation a request for `path` (no query) with `method` is, or None when the document has none."""
    for template, pattern, _ in _templates():
        if pattern.match(path):
            spec = document()["paths"][template].get(method.lower())
            if spec is not None:
                return Operation(template, method.upper(), spec)
    return None


def path_parameters(op: Operation, path: str) -> dict[str, str]:
    """The values of a path's template parameters: `{customerCd}` → `C001`."""
    names = op.path.strip("/").split("/")
    values = path.strip("/").split("/")
    return {n[1:-1]: v for n, v in zip(names, values, strict=True) if n.startswith("{")}


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    schema = {**json.loads(schema_json), "components": _components()}
    return Draft202012Validator(schema)


def problems(schema: Mapping[str, Any], body: Any) -> list[str]:
    """What is wrong with `body` against `schema` (a schema of the document, `$ref`s into it
    allowed), one line each, with where: `mainContact.value.email: 'x' is not of type 'object'`."""
    validator = _validator(json.dumps(_strict(dict(schema)), sort_keys=True))
    found = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(str(p) for p in error.absolute_path) or "body"
        found.append(f"{where}: {error.message}")
    return found


def schema(name: str) -> dict[str, Any]:
    """The schema of a component by name: `schema("CustomerUpdateDto")`."""
    if name not in document()["components"]["schemas"]:
        raise KeyError(f"the OpenAPI description has no schema {name}")
    return {"$ref": REF + name}


def list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": schema(name)}
