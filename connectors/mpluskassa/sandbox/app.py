"""The MplusKASSA sandbox: its WSDL and SOAP operations on 127.0.0.1, with the till's behaviour.

Credentials travel as `ident` and `secret` query parameters on the endpoint URL, as on a real
MplusKASSA API port; a wrong pair is a SOAP fault with HTTP 401 (see `protocol` on what the real
API is likely to answer instead). Every other fault is an HTTP 500 with a SOAP Fault body, as SOAP
1.1 has it, injected ones too: faults come from the shared kit (`connectors.testing.faults`) in
these shapes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connectors.mpluskassa import soap
from connectors.mpluskassa.sandbox.store import Till
from connectors.mpluskassa.sandbox.wsdl import wsdl
from connectors.testing.faults import FaultAnswers, FaultInjection, FaultySandbox

XML = "text/xml; charset=utf-8"


def _too_many_requests() -> Response:
    return Response("Too Many Requests", 429, headers={"Retry-After": "1"})


def _server_error(chance: random.Random) -> Response:
    # always 500: SOAP 1.1 (section 6.2) answers every fault with it, whatever went wrong
    return Response(soap.fault_envelope("Server", "Internal error, please try again"), 500, media_type=XML)


ANSWERS = FaultAnswers(_too_many_requests, _server_error, (XML, b"<?xml"))


def _faulted(scope: Scope) -> bool:
    """Faults hit SOAP calls (POST); the WSDL is fetched once and left alone."""
    return bool(scope["method"] == "POST")


@dataclass
class MplusSandbox(FaultySandbox):
    till: Till = field(default_factory=Till)
    ident: str = "sandbox"
    secret: str = "sandbox-secret"
    calls: list[str] = field(default_factory=list)  # operations run, in order

    def __post_init__(self) -> None:
        api = Starlette(routes=[Route("/", self._get, methods=["GET"]), Route("/", self._post, methods=["POST"])])
        self.app = FaultInjection(api, ANSWERS, _faulted)

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
        if "wsdl" not in request.query_params:  # the port takes POSTs only; Mplus's client probes for this 405
            return Response("Method Not Allowed", 405, headers={"Allow": "POST"}, media_type="text/plain")
        return Response(wsdl(str(request.base_url)), media_type=XML)

    async def _post(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(soap.fault_envelope("Client", "Invalid ident or secret"), 401, media_type=XML)
        try:
            operation, parts = soap.read_request(await request.body())
            self.calls.append(operation)
            answer = await run_in_threadpool(self.till.call, operation, parts)
        except soap.SoapFault as exc:
            return Response(soap.fault_envelope(exc.code, exc.message), 500, media_type=XML)
        return Response(soap.answer_envelope(operation, answer), media_type=XML)
