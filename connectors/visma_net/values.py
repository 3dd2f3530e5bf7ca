"""The ERP API's write convention, as two pure functions: `wrap` a plain body for POST or PUT, and
`unwrap` one back (what the sandbox stores).

Every scalar of an `*UpdateDto` travels as `{"value": …}`; a nested object is wrapped too and each
of its fields again (`"mainContact": {"value": {"email": {"value": "a@b.no"}}}`); an array of lines
is not wrapped, but each line's fields are, except its plain `operation`; a few flags are plain
(`protocol.PLAIN_FIELDS`). A field left out is not touched by the ERP, so `None` is left out; an
empty string is sent, and clears the field. Action bodies (`/action/…`) are plain and never wrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.visma_net.protocol import PLAIN_FIELDS, PLAIN_LINE_FIELDS


def wrap(body: Mapping[str, Any]) -> dict[str, Any]:
    """A plain write body in the ERP's wrapped form; `None` fields are left out."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if value is None:
            continue
        if name in PLAIN_FIELDS:
            out[name] = value
        elif isinstance(value, list | tuple):
            out[name] = [_line(line) for line in value]
        elif isinstance(value, Mapping):
            out[name] = {"value": wrap(value)}
        else:
            out[name] = {"value": value}
    return out


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    plain = {name: value for name, value in line.items() if name in PLAIN_LINE_FIELDS and value is not None}
    return {**wrap({name: value for name, value in line.items() if name not in PLAIN_LINE_FIELDS}), **plain}


def unwrap(body: Mapping[str, Any]) -> dict[str, Any]:
    """A wrapped write body as plain values: the inverse of `wrap`. A wrapped field that is not a
    `{"value": …}` object is a `ValueError` naming it (the OpenAPI validation refuses it first)."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in PLAIN_FIELDS:
            out[name] = value
        elif isinstance(value, list):
            out[name] = [_unwrap_line(line) for line in value]
        elif isinstance(value, Mapping) and set(value) == {"value"}:
            inner = value["value"]
            out[name] = unwrap(inner) if isinstance(inner, Mapping) else inner
        else:
            raise ValueError(f'{name}: expected {{"value": …}}, got {value!r}')
    return out


def _unwrap_line(line: Any) -> dict[str, Any]:
    if not isinstance(line, Mapping):
        raise ValueError(f"a line must be an object, got {line!r}")
    plain = {name: value for name, value in line.items() if name in PLAIN_LINE_FIELDS}
    return {**unwrap({name: value for name, value in line.items() if name not in PLAIN_LINE_FIELDS}), **plain}
