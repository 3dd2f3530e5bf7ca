"""Requests to one Rackbeat account: Rackbeat's quirks on `connectors.http`.

Every request carries the bearer token and the integrator headers `protocol` names. 200 and 206
are answers; so are 404 (a record that is not there) and 422 (Rackbeat refusing a record: its
`errors` map becomes that record's error, naming the field). 401 is fatal, 429 is waited out
(Retry-After when given, else a backoff), 5xx, timeouts and cut connections retried by the shared
table, except for a write `protocol.WRITES` says must not be sent twice: `AnswerLostError`, which
the client settles by looking in Rackbeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import httpx

from connectors import http
from connectors.http import DEFAULT_TABLE, Action, Backoff, Credentials, ErrorTable, Resolution, Retry
from connectors.rackbeat.protocol import API_PATH, errors_of

TABLE: ErrorTable = MappingProxyType(
    {
        **DEFAULT_TABLE,
        401: Resolution(Action.fatal, "Rackbeat refused the API token (HTTP 401)"),
        404: http.ANSWER,
        422: http.ANSWER,
        429: Resolution(Action.rate_limited, "HTTP 429 (throttled)", wait=2.0),
    }
)
BACKOFF = Backoff(first=0.5, cap=16.0)


class BearerToken(Credentials):
    """Rackbeat's API token, sent as `Authorization: Bearer <token>`."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request

    def secrets(self) -> Collection[str]:
        return (self.token,)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def found(self) -> bool:
        return self.status != 404

    @property
    def refused(self) -> dict[str, list[str]] | None:
        """The 422's errors by field path; None when the request was taken."""
        return (
            (errors_of(self.body) or {"": [str(self.body.get("message") or "refused")]}) if self.status == 422 else None
        )


def segment(number: str) -> str:
    """A number or urlfriendly number as one path segment."""
    return quote(number, safe="")


@dataclass
class Transport:
    url: str
    token: str = field(repr=False)
    consumer_name: str = "Tillsync"
    consumer_contact: str = ""
    timeout: float = 30.0
    max_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    http_transport: httpx.BaseTransport | None = None
    calls: int = 0
    log: list[str] = field(default_factory=list)  # "METHOD path" of each request sent, for tests

    def __post_init__(self) -> None:
        headers = {
            "Accept": "application/json",
            "Consumer-Name": self.consumer_name,
            "Consumer-Contact": self.consumer_contact,
            "User-Agent": f"{self.consumer_name} ({self.consumer_contact})",
        }
        self.http = http.client(
            auth=BearerToken(self.token),
            timeout=self.timeout,
            base_url=self.url.rstrip("/") + API_PATH,
            headers=headers,
            transport=self.http_transport,
        )

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        resend: bool = True,
    ) -> Answer:
        """Send one request to `path` under `/api/`; `resend=False` for a write not safe to send twice."""
        sent = self.http.build_request(method, path, params=dict(params or {}), json=body)
        retry = Retry(TABLE, self.max_attempts, BACKOFF, self.sleep, self.clock)
        return http.send(
            self.http,
            sent,
            f"Rackbeat {method} {path}",
            _read,
            retry,
            before=lambda: self._count(method, path),
            resend=resend,
        )

    def _count(self, method: str, path: str) -> None:
        self.calls += 1
        self.log.append(f"{method} {path}")


def _read(response: httpx.Response) -> Answer | Resolution:
    if not response.content:
        return Answer(response.status_code, {})
    try:
        body = response.json()
    except ValueError:
        return Resolution(Action.retry, f"an answer that is not JSON (HTTP {response.status_code})", reached=True)
    return Answer(response.status_code, body if isinstance(body, dict) else {"data": body})
