"""SOAP calls to one MplusKASSA API port: MplusKASSA's quirks on `connectors.http`.

The ident and secret travel as query parameters of the endpoint URL (a `QueryCredentials` adds
them to each request), so the URL never appears in an error or a log line: errors name the
operation, not the address. SOAP 1.1 sends every fault as HTTP 500, so a 500 is read: a server
fault is retried, a client fault (bad input) is raised as `SoapFault` for the caller to turn into
a record error. A refused login (HTTP 401) is fatal; 429, other 5xx, timeouts and cut connections
are retried by the shared table, with backoff the way Mplus's own client does, except that a write
`protocol.WRITES` says is not safe to send twice is never sent again once it may have reached the
till (a timeout or cut connection after sending, a server fault): `AnswerLostError`, settled by
the client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

import httpx

from connectors import http
from connectors.http import DEFAULT_TABLE, Action, Backoff, ErrorTable, QueryCredentials, Resolution, Retry
from connectors.mpluskassa import soap
from connectors.mpluskassa.protocol import may_resend

TABLE: ErrorTable = MappingProxyType({
    **DEFAULT_TABLE,
    401: Resolution(Action.fatal, "MplusKASSA refused the ident and secret (HTTP 401)"),
    500: http.ANSWER,
})  # fmt: skip
BACKOFF = Backoff(first=0.5, cap=8.0)


@dataclass
class Transport:
    url: str
    ident: str
    secret: str = field(repr=False)
    timeout: float = 30.0
    max_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    calls: int = 0
    retries: int = 0
    log: list[str] = field(default_factory=list)  # operations called, for tests and activity
    http_transport: httpx.BaseTransport | None = None  # in place of the network: tests pass an httpx.MockTransport
    clock: Callable[[], float] = time.time  # wall time, for a Retry-After given as a date

    def __post_init__(self) -> None:
        self._auth = QueryCredentials({"ident": self.ident, "secret": self.secret}, masked=("secret",))
        self.http = http.client(auth=self._auth, timeout=self.timeout, transport=self.http_transport)

    @property
    def _params(self) -> dict[str, str]:
        """The credentials sent with every call; settable, so a test can send a wrong pair."""
        return dict(self._auth.params)

    @_params.setter
    def _params(self, params: Mapping[str, str]) -> None:
        self._auth.params = dict(params)

    def close(self) -> None:
        self.http.close()

    def call(self, operation: str, parts: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call `operation` with its `parts` (`{"request": {...}}`, `{"relation": {...}}`, …) as the
        schema has them; returns the answer's data."""
        body = soap.request_envelope(operation, parts or {})
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f"urn:mplusqapi#{operation}"}
        sent = self.http.build_request("POST", self.url, content=body, headers=headers)
        retry = Retry(TABLE, self.max_attempts, BACKOFF, self.sleep, self.clock)  # per call: tests change `sleep`
        return http.send(
            self.http, sent, f"MplusKASSA {operation}", partial(_read, operation), retry,
            before=lambda: self._count(operation), on_retry=self._count_retry, resend=may_resend(operation),
        )  # fmt: skip

    def _count(self, operation: str) -> None:
        self.calls += 1
        self.log.append(operation)

    def _count_retry(self, resolution: Resolution) -> None:
        self.retries += 1


def _read(operation: str, response: httpx.Response) -> dict[str, Any] | Resolution:
    """The answer's data; a server fault is retried, a client fault raised as `SoapFault`, an answer
    of another shape than the schema's stops the run (nothing it says can be trusted)."""
    try:
        return soap.read_answer(operation, response.content)
    except soap.ShapeError as exc:
        return Resolution(Action.fatal, f"MplusKASSA {operation}: an answer Tillsync cannot read ({exc})")
    except soap.SoapFault as fault:
        if fault.code != "Server":
            raise
        # the till had the request and failed somewhere in it: it may have been carried out
        return Resolution(Action.retry, f"server fault: {fault.message}", reached=True)
