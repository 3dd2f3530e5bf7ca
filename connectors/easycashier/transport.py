"""Calls to one EasyCashier Back Office: its login, its token and its pages, on `connectors.http`.

A username and password buy a short-lived token (`protocol.LOGIN_PATH`), sent in
`protocol.TOKEN_HEADER` with every call under the company's path. The token is renewed a little
before it expires; a call answered 401 all the same logs in again and is sent once more (a 401
means the call was not carried out, so this is safe for any call), and a second 401 in a row is
fatal. A refused login is fatal at once and never retried. 429, 5xx, timeouts and cut connections
are retried by the shared table, except that a write `protocol.WRITES` says is not safe to send
twice is never sent again once it may have been carried out: `AnswerLostError`, settled by the
client. A 400 is the record's error, in the Back Office's own words where it gives any.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx

from connectors import http
from connectors.easycashier import protocol as p
from connectors.http import DEFAULT_TABLE, Action, Backoff, Credentials, ErrorTable, Resolution, Retry
from engine.errors import CredentialsRefusedError, FatalConnectorError

TABLE: ErrorTable = MappingProxyType({
    **DEFAULT_TABLE,
    400: http.ANSWER,  # read: the Back Office's reason becomes the record's error
    401: http.ANSWER,  # read: an expired token is renewed once
    404: http.ANSWER,  # read: nothing there
})  # fmt: skip
BACKOFF = Backoff(first=0.5, cap=8.0)
EXPIRED = object()  # what a 401 answer reads as


class Token(Credentials):
    """The session's token in `protocol.TOKEN_HEADER`; it knows the password too, to mask both."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.value = ""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.value:
            request.headers.setdefault(p.TOKEN_HEADER, self.value)
        yield request

    def secrets(self) -> Collection[str]:
        return (self.password, self.value)


class Refused(Exception):
    """A 400: the Back Office refused what was sent, for `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Transport:
    url: str
    company: str
    username: str
    password: str = field(repr=False)
    timeout: float = 30.0
    max_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic  # for the token's lifetime
    http_transport: httpx.BaseTransport | None = None  # in place of the network: tests pass an httpx.MockTransport
    calls: int = 0
    logins: int = 0
    log: list[str] = field(default_factory=list)  # calls made, for tests and activity

    def __post_init__(self) -> None:
        self._token = Token(self.password)
        self._expires = 0.0
        self.http = http.client(auth=self._token, timeout=self.timeout, base_url=self.url.rstrip("/"),
                                transport=self.http_transport)  # fmt: skip

    def close(self) -> None:
        self.http.close()

    # ---- the session ----------------------------------------------------------------------

    def login(self) -> None:
        """Log in with the username and password; a refusal is fatal, never retried."""
        self._token.value = ""
        body = {"username": self.username, "password": self.password}
        request = self.http.build_request("POST", p.LOGIN_PATH, json=body)
        answer = self._send("login", request)
        if answer is EXPIRED or not isinstance(answer, dict) or answer.get(p.LOGIN_RESULT) != p.LOGIN_SUCCESS:
            raise FatalConnectorError("EasyCashier refused the username and password (login)")
        token = answer.get(p.LOGIN_TOKEN)
        if not isinstance(token, str) or not token:
            raise FatalConnectorError("EasyCashier's login answer carries no token")
        self.logins += 1
        self._token.value = token
        self._expires = self.clock() + float(answer.get(p.LOGIN_EXPIRES_IN) or 0) - p.TOKEN_MARGIN

    def call(self, name: str, method: str, path: str, params: Mapping[str, Any] | None = None,
             body: Any = None) -> Any:  # fmt: skip
        """Call `path` under the company; `name` names the call in errors and says whether it may be
        sent twice (`protocol.may_resend`). Returns the answer's JSON (None for a 404); raises
        `Refused` for a 400."""
        full = p.COMPANY_PATH.format(company=self.company) + path
        for renewed in (False, True):
            if not self._token.value or self.clock() >= self._expires:
                self.login()
            request = self.http.build_request(method, full, params=params, json=body)
            answer = self._send(name, request)
            if answer is not EXPIRED:
                return answer
            if renewed:
                break
            self._token.value = ""  # the Back Office no longer takes it: log in again, once
        raise CredentialsRefusedError(f"EasyCashier {name}: the token was refused (HTTP 401) right after logging in")

    def pages(self, name: str, path: str, params: Mapping[str, Any], size: int = p.PAGE_SIZE) -> Iterator[Any]:
        """Every item of a list, page by page: until `protocol.META_PAGES` is reached, or, where the
        answer gives no pages, a page comes back short."""
        number = 1
        while True:
            answer = self.call(name, "GET", path, {**params, p.PAGE_PARAM: number, p.PAGE_SIZE_PARAM: size})
            items = (answer or {}).get(p.ITEMS)
            if not isinstance(items, list):
                raise FatalConnectorError(f"EasyCashier {name}: the answer holds no list of {p.ITEMS}")
            yield from items
            pages = ((answer or {}).get(p.META) or {}).get(p.META_PAGES)
            if not items or (int(pages) <= number if pages is not None else len(items) < size):
                return
            number += 1

    def _send(self, name: str, request: httpx.Request) -> Any:
        retry = Retry(TABLE, self.max_attempts, BACKOFF, self.sleep)  # per call: tests change `sleep`
        return http.send(self.http, request, f"EasyCashier {name}", _read, retry,
                         before=lambda: self._count(name), resend=p.may_resend(name))  # fmt: skip

    def _count(self, name: str) -> None:
        self.calls += 1
        self.log.append(name)


def _read(response: httpx.Response) -> Any:
    if response.status_code == 401:
        return EXPIRED
    if response.status_code == 404:
        return None
    try:
        data = response.json() if response.content else None
    except ValueError:
        return Resolution(Action.fatal, f"EasyCashier answered HTTP {response.status_code} with no JSON")
    if response.status_code == 400:
        raise Refused(reason(data) or response.text[:200])
    return data


def reason(data: Any) -> str:
    """The Back Office's words in an error answer: `error.message`, `message` or `error_description`."""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return next((str(data[name]) for name in p.ERROR_FIELDS if isinstance(data.get(name), str)), "")
