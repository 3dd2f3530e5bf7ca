"""SOAP 1.1 envelopes for MplusKASSA's API (`urn:mplusqapi`), from and to plain data.

MplusKASSA's own PHP client writes its envelopes by hand rather than through a WSDL-driven client;
so do we, with the standard library's XML. Plain data maps to XML one to one: a dict is an element
with children, a list lives in an element whose name ends in `List` and repeats the singular name
(`articleList` holds `article`s), everything else is text. Faults become `SoapFault`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
NAMESPACE = "urn:mplusqapi"
ET.register_namespace("SOAP-ENV", ENVELOPE)
ET.register_namespace("mplus", NAMESPACE)


class SoapFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def singular(list_name: str) -> str:
    """`articleList` → `article`, `branchList` → `branch`."""
    return list_name.removesuffix("List")


def _append(parent: ET.Element, name: str, value: Any) -> None:
    if value is None:
        return
    element = ET.SubElement(parent, _q(name))
    if isinstance(value, Mapping):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _append(element, singular(name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def envelope(operation: str, arguments: Mapping[str, Any]) -> bytes:
    """The request envelope calling `operation` with `arguments`."""
    root = ET.Element(f"{{{ENVELOPE}}}Envelope")
    body = ET.SubElement(root, f"{{{ENVELOPE}}}Body")
    call = ET.SubElement(body, _q(operation))
    for name, value in arguments.items():
        _append(call, name, value)
    return _bytes(root)


def response_envelope(operation: str, result: Mapping[str, Any]) -> bytes:
    return envelope(f"{operation}Response", result)


def fault_envelope(code: str, message: str) -> bytes:
    root = ET.Element(f"{{{ENVELOPE}}}Envelope")
    body = ET.SubElement(root, f"{{{ENVELOPE}}}Body")
    fault = ET.SubElement(body, f"{{{ENVELOPE}}}Fault")
    ET.SubElement(fault, "faultcode").text = f"SOAP-ENV:{code}"
    ET.SubElement(fault, "faultstring").text = message
    return _bytes(root)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def to_data(element: ET.Element) -> Any:
    """An element as plain data: text, a dict of children, or a list for a `…List` element."""
    children = list(element)
    if _local(element.tag).endswith("List"):
        return [to_data(child) for child in children]
    if not children:
        return element.text or ""
    return {_local(child.tag): to_data(child) for child in children}


def parse(body: bytes) -> tuple[str, dict[str, Any]]:
    """(operation name, arguments) of an envelope; a Fault raises `SoapFault`."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapFault("Client", f"the request is not XML: {exc}") from None
    payload = root.find(f"{{{ENVELOPE}}}Body")
    if payload is None or not len(payload):
        raise SoapFault("Client", "the envelope has no Body")
    call = payload[0]
    if _local(call.tag) == "Fault":
        code = (call.findtext("faultcode") or "Server").split(":")[-1]
        raise SoapFault(code, call.findtext("faultstring") or "")
    # the call's own element holds its arguments, even when its name ends in List (getSalesPriceList)
    return _local(call.tag), {_local(child.tag): to_data(child) for child in call}


def _bytes(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text
