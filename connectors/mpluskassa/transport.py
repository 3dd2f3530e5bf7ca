"""SOAP calls to one MplusKASSA API port over httpx, retried the way Mplus's own client does.

The endpoint URL carries the credentials, so it never appears in an error or a log line: errors
name the operation, not the address. Server faults, 429, 5xx, timeouts and cut connections are
retried with backoff; a client fault (bad input) is raised as `SoapFault` for the caller to turn
into a record error; a refused login is fatal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.mpluskassa import soap
from engine.errors import FatalConnectorError, RetriableConnectorError


@dataclass
class Transport:
    url: str
    ident: str
    secret: str
    timeout: float = 30.0
    max_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    calls: int = 0
    retries: int = 0
    log: list[str] = field(default_factory=list)  # operations called, for tests and activity

    def __post_init__(self) -> None:
        self.http = httpx.Client(timeout=self.timeout)
        self._params = {"ident": self.ident, "secret": self.secret}

    def close(self) -> None:
        self.http.close()

    def call(self, operation: str, request: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = soap.envelope(operation, {"request": dict(request or {})})
        problem = ""
        for attempt in range(self.max_attempts):
            self.calls += 1
            self.log.append(operation)
            try:
                response = self.http.post(self.url, params=self._params, content=body,
                                          headers={"Content-Type": "text/xml; charset=utf-8",
                                                   "SOAPAction": f"urn:mplusqapi#{operation}"})  # fmt: skip
            except httpx.TimeoutException:
                problem = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code == 401:
                    raise FatalConnectorError("MplusKASSA refused the ident and secret (HTTP 401)")
                if response.status_code == 429 or response.status_code >= 502:
                    problem = f"HTTP {response.status_code}"
                else:
                    try:
                        _, data = soap.parse(response.content)
                        return data
                    except soap.SoapFault as fault:
                        if fault.code != "Server":
                            raise
                        problem = f"server fault: {fault.message}"
            self.retries += 1
            self.sleep(min(0.5 * 2**attempt, 8.0))
        raise RetriableConnectorError(f"MplusKASSA {operation}: gave up after {self.max_attempts} attempts ({problem})")
