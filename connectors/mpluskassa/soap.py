"""SOAP 1.1 envelopes for MplusKASSA's API (`urn:mplusqapi`), from and to plain data, by `schema`.

Document/literal: an operation's element holds its parts (`request`, `relation`, `extOrderId`, …)
and the answer's element its fields. Plain data maps to XML through the operation's types: a dict
is an element with children, written in its type's order; a repeated element is a list (also when
it occurs once); a list type (`ArticleList` of `article`s) is a list; ints, longs, booleans and
decimals are Python's own. Reading an answer leaves out elements the schema does not name (a till
answers more than Tillsync reads); reading a request (the sandbox) refuses them, and refuses a
request without an element its type requires, as the real API does. Faults become `SoapFault`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.mpluskassa.schema import NAMESPACE, OPERATIONS, TYPES, Field, Operation, list_item

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
ET.register_namespace("SOAP-ENV", ENVELOPE)
ET.register_namespace("mplus", NAMESPACE)


class SoapFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ShapeError(ValueError):
    """XML that does not have the shape the schema gives it."""


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# ---- writing -------------------------------------------------------------------------------


def _text(kind: str, value: Any) -> str:
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ShapeError(f"{value!r} is not a boolean")
        return "true" if value else "false"
    if kind in ("int", "long"):
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
            raise ShapeError(f"{value!r} is not an integer")
        return str(int(value))
    return str(value)


def _write_fields(parent: ET.Element, fields: Sequence[Field], data: Mapping[str, Any], where: str) -> None:
    unknown = set(data) - {f.name for f in fields}
    if unknown:
        raise ShapeError(f"{where} has no element {', '.join(sorted(unknown))}")
    for field in fields:
        value = data.get(field.name)
        if value is None:
            continue
        for item in value if field.repeated else [value]:
            _write(parent, field, item, f"{where}/{field.name}")


def _write(parent: ET.Element, field: Field, value: Any, where: str) -> None:
    element = ET.SubElement(parent, _q(field.name))
    item = list_item(field.type)
    if item is not None:
        if not isinstance(value, list | tuple):
            raise ShapeError(f"{where} is a list, not {value!r}")
        for entry in value:
            _write(element, item, entry, f"{where}/{item.name}")
    elif field.type in TYPES:
        if not isinstance(value, Mapping):
            raise ShapeError(f"{where} is a {field.type}, not {value!r}")
        _write_fields(element, TYPES[field.type], value, where)
    else:
        try:
            element.text = _text(field.type, value)
        except ShapeError as exc:
            raise ShapeError(f"{where}: {exc}") from None


def _envelope(name: str, fields: Sequence[Field], data: Mapping[str, Any]) -> bytes:
    root = ET.Element(f"{{{ENVELOPE}}}Envelope")
    body = ET.SubElement(root, f"{{{ENVELOPE}}}Body")
    _write_fields(ET.SubElement(body, _q(name)), fields, data, name)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def request_envelope(operation: str, parts: Mapping[str, Any]) -> bytes:
    """The envelope calling `operation` with its `parts` (e.g. `{"extOrderId": "W1001"}`)."""
    spec = OPERATIONS[operation]
    return _envelope(spec.name, spec.request, parts)


def answer_envelope(operation: str, answer: Mapping[str, Any]) -> bytes:
    spec = OPERATIONS[operation]
    return _envelope(spec.answer_name, spec.answer, answer)


def fault_envelope(code: str, message: str) -> bytes:
    root = ET.Element(f"{{{ENVELOPE}}}Envelope")
    body = ET.SubElement(root, f"{{{ENVELOPE}}}Body")
    fault = ET.SubElement(body, f"{{{ENVELOPE}}}Fault")
    ET.SubElement(fault, "faultcode").text = f"SOAP-ENV:{code}"
    ET.SubElement(fault, "faultstring").text = message
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


# ---- reading -------------------------------------------------------------------------------


def _value(kind: str, text: str, where: str) -> Any:
    try:
        if kind in ("int", "long"):
            return int(text)
        if kind == "decimal":
            return Decimal(text)
    except (ValueError, InvalidOperation):
        raise ShapeError(f"{where}: {text!r} is not {'a decimal' if kind == 'decimal' else 'an integer'}") from None
    if kind == "boolean":
        if text not in ("true", "false", "1", "0"):
            raise ShapeError(f"{where}: {text!r} is not a boolean")
        return text in ("true", "1")
    return text


def _read_fields(element: ET.Element, fields: Sequence[Field], where: str, strict: bool) -> dict[str, Any]:
    by_name = {f.name: f for f in fields}
    data: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        field = by_name.get(name)
        if field is None:
            if strict:
                raise ShapeError(f"{where} has no element {name}")
            continue
        value = _read(child, field, f"{where}/{name}", strict)
        if field.repeated:
            data.setdefault(name, []).append(value)
        elif name in data:
            raise ShapeError(f"{where}/{name} occurs more than once")
        else:
            data[name] = value
    if strict:
        missing = [f.name for f in fields if not f.optional and f.name not in data]
        if missing:
            raise ShapeError(f"{where} lacks {', '.join(missing)}")
    return data


def _read(element: ET.Element, field: Field, where: str, strict: bool) -> Any:
    item = list_item(field.type)
    if item is not None:
        return [_read(child, item, f"{where}/{item.name}", strict) for child in element
                if _local(child.tag) == item.name or _unexpected(child, where, strict)]  # fmt: skip
    if field.type in TYPES:
        return _read_fields(element, TYPES[field.type], where, strict)
    return _value(field.type, element.text or "", where)


def _unexpected(child: ET.Element, where: str, strict: bool) -> bool:
    if strict:
        raise ShapeError(f"{where} has no element {_local(child.tag)}")
    return False


def _body(body: bytes) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ShapeError(f"not XML: {exc}") from None
    payload = root.find(f"{{{ENVELOPE}}}Body")
    if payload is None or not len(payload):
        raise ShapeError("the envelope has no Body")
    call = payload[0]
    if _local(call.tag) == "Fault":
        code = (call.findtext("faultcode") or "Server").split(":")[-1]
        raise SoapFault(code, call.findtext("faultstring") or "")
    return call


def read_request(body: bytes) -> tuple[str, dict[str, Any]]:
    """(operation, parts) of a request envelope; a request the API would not take raises `SoapFault`."""
    try:
        call = _body(body)
        spec: Operation | None = OPERATIONS.get(_local(call.tag))
        if spec is None or call.tag != _q(spec.name):
            raise ShapeError(f"no operation {call.tag}")
        return spec.name, _read_fields(call, spec.request, spec.name, strict=True)
    except ShapeError as exc:
        raise SoapFault("Client", f"bad request: {exc}") from None


def read_answer(operation: str, body: bytes) -> dict[str, Any]:
    """The answer to `operation`; a fault raises `SoapFault`, an answer of another shape `ShapeError`."""
    spec = OPERATIONS[operation]
    call = _body(body)
    if call.tag != _q(spec.answer_name):
        raise ShapeError(f"{operation} answered {_local(call.tag)}, not {spec.answer_name}")
    return _read_fields(call, spec.answer, spec.answer_name, strict=False)
