"""The MplusKASSA sandbox: its WSDL and SOAP operations on 127.0.0.1, with the till's behaviour.

Credentials travel as `ident` and `secret` query parameters on the endpoint URL, as on a real
MplusKASSA API port; a wrong pair is a SOAP fault with HTTP 401. Every fault is an HTTP 500 with a
SOAP Fault body, as SOAP 1.1 has it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connectors.mpluskassa import soap
from connectors.mpluskassa.protocol import OPERATIONS
from connectors.mpluskassa.sandbox.store import Till
from connectors.testing.faults import Faults

XML = "text/xml; charset=utf-8"


def wsdl(location: str) -> str:
    messages = "".join(
        f'<message name="{op}Request"><part name="parameters" element="tns:{op}"/></message>'
        f'<message name="{op}Response"><part name="parameters" element="tns:{op}Response"/></message>'
        for op in OPERATIONS
    )
    elements = "".join(f'<xsd:element name="{op}" type="xsd:anyType"/><xsd:element name="{op}Response" '
                       f'type="xsd:anyType"/>' for op in OPERATIONS)  # fmt: skip
    port_ops = "".join(
        f'<operation name="{op}"><input message="tns:{op}Request"/><output message="tns:{op}Response"/></operation>'
        for op in OPERATIONS
    )
    binding_ops = "".join(
        f'<operation name="{op}"><soap:operation soapAction="urn:mplusqapi#{op}"/>'
        f'<input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>'
        for op in OPERATIONS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:mplusqapi" targetNamespace="urn:mplusqapi" '
        'name="MplusQapi">'
        f'<types><xsd:schema targetNamespace="urn:mplusqapi">{elements}</xsd:schema></types>{messages}'
        f'<portType name="MplusQapiPortType">{port_ops}</portType>'
        '<binding name="MplusQapiBinding" type="tns:MplusQapiPortType">'
        f'<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>{binding_ops}</binding>'
        f'<service name="MplusQapi"><port name="MplusQapiPort" binding="tns:MplusQapiBinding">'
        f'<soap:address location="{location}"/></port></service></definitions>'
    )


@dataclass
class MplusSandbox:
    till: Till = field(default_factory=Till)
    ident: str = "sandbox"
    secret: str = "sandbox-secret"
    faults: Faults = field(default_factory=Faults)
    calls: list[str] = field(default_factory=list)  # operations run, in order

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/", self._get, methods=["GET"]), Route("/", self._post, methods=["POST"])])

    @property
    def credentials(self) -> dict[str, str]:
        return {"ident": self.ident, "secret": self.secret}

    def settings(self, url: str) -> dict[str, Any]:
        return {"url": url}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def _authorised(self, request: Request) -> bool:
        return request.query_params.get("ident") == self.ident and request.query_params.get("secret") == self.secret

    async def _get(self, request: Request) -> Response:
        if "wsdl" not in request.query_params:
            return Response("MplusKASSA API sandbox; the WSDL is at ?wsdl", media_type="text/plain")
        return Response(wsdl(str(request.base_url)), media_type=XML)

    async def _post(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(soap.fault_envelope("Client", "Invalid ident or secret"), 401, media_type=XML)
        fault = self.faults.pick()
        if fault == "429":
            return Response("Too Many Requests", 429, headers={"Retry-After": "1"})
        if fault == "500":
            return Response(soap.fault_envelope("Server", "Internal error, please try again"), 500, media_type=XML)
        if fault == "timeout":
            await asyncio.sleep(self.faults.slow_seconds)
        if fault == "drop":
            return _Dropped()
        try:
            operation, arguments = soap.parse(await request.body())
            self.calls.append(operation)
            result = await run_in_threadpool(self.till.call, operation, arguments.get("request") or {})
        except soap.SoapFault as exc:
            return Response(soap.fault_envelope(exc.code, exc.message), 500, media_type=XML)
        except (ValueError, KeyError, TypeError) as exc:
            return Response(soap.fault_envelope("Client", f"bad request: {exc}"), 500, media_type=XML)
        return Response(soap.response_envelope(operation, result), media_type=XML)


class _Dropped(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = [(b"content-type", XML.encode()), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"<?xml", "more_body": False})
