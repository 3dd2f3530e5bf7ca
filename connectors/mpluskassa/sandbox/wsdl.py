"""The sandbox's WSDL, rendered from `schema`: every operation it offers, document/literal, with
its elements, complex types, lists and enumerations, so a WSDL-driven client (PHP's SoapClient,
zeep) builds its calls and reads its answers from it."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from connectors.mpluskassa.schema import ENUMS, NAMESPACE, OPERATIONS, SIMPLE, TYPES, Field


def _type(name: str) -> str:
    return f"xsd:{name}" if name in SIMPLE else f"tns:{name}"


def _element(field: Field) -> str:
    occurs = ' minOccurs="0"' if field.optional else ""
    occurs += ' maxOccurs="unbounded"' if field.repeated else ""
    return f'<xsd:element name="{field.name}" type="{_type(field.type)}"{occurs}/>'


def _sequence(fields: tuple[Field, ...]) -> str:
    return f"<xsd:sequence>{''.join(_element(f) for f in fields)}</xsd:sequence>"


def _schema() -> str:
    types = "".join(f'<xsd:complexType name="{name}">{_sequence(fields)}</xsd:complexType>'
                    for name, fields in TYPES.items())  # fmt: skip
    enums = "".join(
        f'<xsd:simpleType name="{name}"><xsd:restriction base="xsd:string">'
        + "".join(f'<xsd:enumeration value="{value}"/>' for value in values)
        + "</xsd:restriction></xsd:simpleType>"
        for name, values in ENUMS.items()
    )
    elements, seen = [], set()
    for op in OPERATIONS.values():
        for name, fields in ((op.name, op.request), (op.answer_name, op.answer)):
            if name not in seen:  # findOrder and getOrder share GetOrderResponse
                seen.add(name)
                elements.append(f'<xsd:element name="{name}"><xsd:complexType>{_sequence(fields)}'
                                "</xsd:complexType></xsd:element>")  # fmt: skip
    return (f'<xsd:schema targetNamespace="{NAMESPACE}" elementFormDefault="qualified">'
            f"{types}{enums}{''.join(elements)}</xsd:schema>")  # fmt: skip


def wsdl(location: str) -> str:
    """The WSDL of the API at `location`."""
    messages = "".join(
        f'<message name="{op.name}Request"><part name="Body" element="tns:{op.name}"/></message>'
        f'<message name="{op.name}Response"><part name="Body" element="tns:{op.answer_name}"/></message>'
        for op in OPERATIONS.values()
    )
    port_ops = "".join(
        f'<operation name="{op}"><input message="tns:{op}Request"/><output message="tns:{op}Response"/></operation>'
        for op in OPERATIONS
    )
    binding_ops = "".join(
        f'<operation name="{op}"><soap:operation soapAction="urn:mplusqapi#{op}"/>'
        '<input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>'
        for op in OPERATIONS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="{NAMESPACE}" targetNamespace="{NAMESPACE}" '
        f'name="MplusQapi"><types>{_schema()}</types>{messages}'
        f'<portType name="MplusQapiPortType">{port_ops}</portType>'
        '<binding name="MplusQapiBinding" type="tns:MplusQapiPortType">'
        f'<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>{binding_ops}</binding>'
        '<service name="MplusQapi"><port name="MplusQapiPort" binding="tns:MplusQapiBinding">'
        f"<soap:address location={quoteattr(location)}/></port></service></definitions>"
    )
