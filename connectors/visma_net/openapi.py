"""Visma's OpenAPI descriptions of its two APIs, as validators of request and response bodies.

`ERP` is `erp-api-subset-2025-04-24.openapi.json` beside this module: a mechanical extract of the
OpenAPI 3.0.4 document Visma publishes for the Visma.net ERP service API (served at
`https://finance.visma.net/swaggerui/api/vismanet.erp.service.api-apim`, kept verbatim in the public
repository `angoyd/Visma.Net.Swagger`, `swagger.json`, commit cc958cd64d44): the 75 paths a Shopify
integration uses and every schema they reference, content unchanged.

`SALES_ORDERS` is `salesorders-v3-subset-1.1.0.1279.openapi.json`: a mechanical extract of the
OpenAPI 3.0.1 document Visma serves for the SalesOrders V3 API at
`https://salesorder.visma.net/swagger/v3/swagger.json`, version 1.1.0.1279, as kept verbatim inside
the NSwag generator settings of the public repository `ON-IT/Visma.Net`
(`Visma.Net.SalesOrderNG/Visma.net.SalesOrder.nswag`, commit 70d732d07adf): the three paths the
connector uses (the order list and create, one order, its lines) and every schema they reference,
content unchanged. Both documents are Visma's.

The sandbox validates every request body it is sent and every answer it gives against them, and
the tests validate what the connector sends. Validation is stricter than the documents in one way:
an object with declared properties takes no others (see `protocol`), so a read name sent where the
write name belongs (`customerClass` for `customerClassId`) is refused, not ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

HERE = Path(__file__).parent
REF = "#/components/schemas/"
JSON = "application/json"


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
    """One operation of a document: its path template, method and declarations."""

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

    def query(self) -> dict[str, dict[str, Any]]:
        """The query parameters the operation declares, by name, with their schemas."""
        return {p["name"]: dict(p.get("schema") or {}) for p in self.spec.get("parameters") or []
                if p.get("in") == "query"}  # fmt: skip


def _schema_of(content: Mapping[str, Any]) -> dict[str, Any] | None:
    media = content.get(JSON) or next(iter(content.values()), None)
    if not media or not media.get("schema"):
        return None
    return dict(media["schema"])


class Description:
    """One OpenAPI document: its operations by path, and validation against its schemas."""

    def __init__(self, file: str) -> None:
        self.file = HERE / file
        self._validators: dict[str, Draft202012Validator] = {}

    @cached_property
    def document(self) -> dict[str, Any]:
        """The OpenAPI document, read once."""
        return dict(json.loads(self.file.read_text(encoding="utf-8")))

    @cached_property
    def _components(self) -> dict[str, Any]:
        return {"schemas": {name: _strict(schema) for name, schema in self.document["components"]["schemas"].items()}}

    @cached_property
    def _templates(self) -> list[tuple[str, re.Pattern[str]]]:
        """Every path template and its pattern (literal segments case-insensitive); where two
        match (`/v1/customer/customerClass`, `/v1/customer/{customerCd}`), the one with more
        literal segments comes first and wins."""
        found = []
        for path in self.document["paths"]:
            parts = path.strip("/").split("/")
            pattern = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            literal = sum(not p.startswith("{") for p in parts)
            found.append((literal, path, re.compile(f"^/{pattern}/?$", re.IGNORECASE)))
        return [(path, pattern) for _, path, pattern in sorted(found, key=lambda item: -item[0])]

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request for `path` (no query) with `method` is, or None when the document has none."""
        for template, pattern in self._templates:
            if pattern.match(path):
                spec = self.document["paths"][template].get(method.lower())
                if spec is not None:
                    return Operation(template, method.upper(), spec)
        return None

    def problems(self, schema: Mapping[str, Any], body: Any) -> list[str]:
        """What is wrong with `body` against `schema` (a schema of the document, `$ref`s into it
        allowed), one line each, with where: `mainContact.value.email: 'x' is not of type 'object'`."""
        key = json.dumps(_strict(dict(schema)), sort_keys=True)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator({**json.loads(key), "components": self._components})
        found = []
        for error in sorted(self._validators[key].iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
            where = ".".join(str(p) for p in error.absolute_path) or "body"
            found.append(f"{where}: {error.message}")
        return found

    def schema(self, name: str) -> dict[str, Any]:
        """The schema of a component by name: `ERP.schema("CustomerUpdateDto")`."""
        if name not in self.document["components"]["schemas"]:
            raise KeyError(f"{self.file.name} has no schema {name}")
        return {"$ref": REF + name}

    def list_of(self, name: str) -> dict[str, Any]:
        return {"type": "array", "items": self.schema(name)}


ERP = Description("erp-api-subset-2025-04-24.openapi.json")
SALES_ORDERS = Description("salesorders-v3-subset-1.1.0.1279.openapi.json")


def path_parameters(op: Operation, path: str) -> dict[str, str]:
    """The values of a path's template parameters: `{customerCd}` → `C001`."""
    names = op.path.strip("/").split("/")
    values = path.strip("/").split("/")
    return {n[1:-1]: v for n, v in zip(names, values, strict=True) if n.startswith("{")}
