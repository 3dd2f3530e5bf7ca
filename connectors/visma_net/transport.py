"""Requests to Visma.net's ERP and SalesOrders V3 APIs: Visma.net's quirks on `connectors.http`.

A token from Visma Connect (client credentials, with the company tenant) is fetched once and reused
until shortly before it expires; a 401 with a reused token fetches a new one and sends the request
once more, a 401 with a fresh one is fatal and names the tenant (a token for the customer's tenant
is issued, then refused on every call). Rate-limit headers are honoured: when `X-RateLimit-Remaining`
reaches 0 the next request waits for `X-RateLimit-Reset`; a 429 waits out its `Retry-After` in the
shared loop. ERP lists are read page by page (`pageNumber` from 1) until `metadata.totalCount`, V3
lists (`pageIndex` from 0) until `nextPage` is empty; a background call (`erp-api-background`) is
polled until it finished and its content read. Writes `protocol.WRITES` says are not safe to send
twice are never sent again once they may have reached Visma.net (`AnswerLostError`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import httpx

from connectors import http
from connectors.http import DEFAULT_TABLE, Action, Credentials, ErrorTable, Resolution, Retry
from connectors.visma_net import protocol
from connectors.visma_net.settings import VismaNetSettings
from engine.errors import CredentialsRefusedError, FatalConnectorError, RetriableConnectorError

# answers a caller reads itself: a refused record (400), a missing one (404), a conflict (409), a
# stale ETag (412), a missing If-Match (428), and a 401 that a new token may cure
READ_BY_CALLER = (400, 401, 404, 409, 412, 422, 428)
TABLE: ErrorTable = MappingProxyType({**DEFAULT_TABLE, **{status: http.ANSWER for status in READ_BY_CALLER}})
TOKEN_TABLE: ErrorTable = MappingProxyType({
    **DEFAULT_TABLE,
    400: Resolution(Action.fatal, "Visma Connect refused the client id and secret (HTTP 400): {body}"),
    401: Resolution(Action.fatal, "Visma Connect refused the client id and secret (HTTP 401): {body}"),
})  # fmt: skip


class ConnectToken(Credentials):
    """The bearer token of every API request; knows the client secret and the token, to mask them."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token = ""
        self.expires = 0.0  # monotonic time after which the token is not used

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.token and "Authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request

    def secrets(self) -> Collection[str]:
        return (self.client_secret, self.token)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


class Transport:
    def __init__(
        self,
        settings: VismaNetSettings,
        client_id: str,
        client_secret: str,
        *,
        http_transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.auth = ConnectToken(client_id, client_secret)
        self.http = http.client(auth=self.auth, timeout=settings.timeout, transport=http_transport)
        self.sleep = sleep
        self.monotonic = monotonic
        self.calls = 0
        self.log: list[str] = []  # "METHOD path" of every request sent, for tests and activity
        self._paused_until = 0.0  # monotonic time before which the rate limit allows no request

    def close(self) -> None:
        self.http.close()

    # ---- the token --------------------------------------------------------------------------

    def _token(self) -> bool:
        """Make sure a token is at hand; True when it was fetched just now."""
        if self.auth.token and self.monotonic() < self.auth.expires:
            return False
        self.auth.token = ""  # the token request carries no token
        form = {"grant_type": "client_credentials", "client_id": self.auth.client_id,
                "client_secret": self.auth.client_secret, "scope": " ".join(protocol.SCOPES),
                "tenant_id": self.settings.tenant}  # fmt: skip
        request = self.http.build_request("POST", self.settings.connect_url, data=form)
        answer = http.send(self.http, request, "Visma Connect token", _json, self._retry(TOKEN_TABLE),
                           before=lambda: self._count("POST", "token"))  # fmt: skip
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalConnectorError("Visma Connect answered without an access token")
        self.auth.token = token
        lifetime = float(answer.get("expires_in") or 3600)
        self.auth.expires = self.monotonic() + max(lifetime - protocol.TOKEN_MARGIN, 0.0)
        return True

    # ---- one request ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        base: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> Answer:
        """Send one request to `base` + `path`; a 401 with a reused token is sent once more with a new one."""
        named = what or f"Visma.net {method} {_shape(path)}"
        for _ in range(2):
            fresh = self._token()
            sent = self.http.build_request(
                method, base.rstrip("/") + path, params=_query(params), json=json, headers=headers
            )
            answer = http.send(self.http, sent, named, self._read, self._retry(TABLE),
                               before=lambda: self._before(method, path),
                               resend=protocol.may_resend(method, path))  # fmt: skip
            if answer.status != 401:
                return answer
            if fresh:
                raise CredentialsRefusedError(
                    f"Visma.net refused the token issued for tenant {self.settings.tenant} (HTTP 401): the tenant "
                    "must be the company's tenant in Visma Connect, not the customer's"
                )
            self.auth.expires = 0.0  # expired or revoked early: fetch another and try once more
        raise CredentialsRefusedError(f"{named}: Visma.net refused a new token (HTTP 401)")

    def erp(self, method: str, path: str, **kwargs: Any) -> Answer:
        return self.request(method, self.settings.url, path, **kwargs)

    def v3(self, method: str, path: str, **kwargs: Any) -> Answer:
        return self.request(method, self.settings.salesorder_url, "/api/v3" + path, **kwargs)

    def _retry(self, table: ErrorTable) -> Retry:
        return Retry(table, sleep=self.sleep)

    def _count(self, method: str, path: str) -> None:
        self.calls += 1
        self.log.append(f"{method} {path}")

    def _before(self, method: str, path: str) -> None:
        wait = self._paused_until - self.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._count(method, path)

    def _read(self, response: httpx.Response) -> Answer:
        self._note_rate_limit(response.headers)
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        return Answer(response.status_code, body, dict(response.headers))

    def _note_rate_limit(self, headers: httpx.Headers) -> None:
        """When the window's requests are used up, the next request waits until it resets."""
        remaining, reset = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            left, seconds = int(remaining), float(reset)
        except ValueError:
            return
        if seconds > protocol.EPOCH_RESET:
            seconds -= time.time()
        if left <= 0 and seconds > 0:
            self._paused_until = self.monotonic() + min(seconds, Retry().longest_wait)

    # ---- lists ------------------------------------------------------------------------------

    def erp_list(
        self, path: str, params: Mapping[str, Any] | None = None, *, paged: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every item of an ERP list, page by page from `pageNumber` 1 until `metadata.totalCount`
        (the ERP may cut a page to its own maximum), without their `metadata`. A list the
        description declares without paging (item classes, sales categories, contacts) is one GET."""
        if not paged:
            yield from self.erp_ok("GET", path, params=params) or []
            return
        number, seen = 1, 0
        while True:
            query = {**(params or {}), "pageNumber": number, "pageSize": self.settings.page_size}
            page = self.background("GET", path, query) if self.settings.background_lists else self.erp_ok(
                "GET", path, params=query)  # fmt: skip
            items = page if isinstance(page, list) else []
            if not items:
                return
            total = int(((items[0].get("metadata") or {}).get("totalCount")) or 0)
            for item in items:
                yield {k: v for k, v in item.items() if k != "metadata"}
            seen += len(items)
            if seen >= total:
                return
            number += 1

    def v3_list(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a V3 list, from `pageIndex` 0 while the answer names a `nextPage`."""
        index = 0
        while True:
            query = {**(params or {}), "pageIndex": index, "pageSize": protocol.V3_PAGE_SIZE}
            page = self.ok(self.v3("GET", path, params=query), f"Visma.net V3 GET {path}")
            items = page.get("value") or [] if isinstance(page, dict) else []
            yield from items
            if not items or not page.get("nextPage"):
                return
            index += 1

    def erp_ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The body of an ERP answer that must succeed; any other is fatal, with Visma.net's words."""
        return self.ok(self.erp(method, path, **kwargs), f"Visma.net {method} {_shape(path)}")

    @staticmethod
    def ok(answer: Answer, what: str) -> Any:
        if answer.status >= 400:
            raise FatalConnectorError(f"{what}: HTTP {answer.status}: {message(answer.body)}")
        return answer.body

    # ---- background operations --------------------------------------------------------------

    def background(self, method: str, path: str, params: Mapping[str, Any] | None = None, json: Any = None) -> Any:
        """Run an ERP call in the background (`erp-api-background: none`), poll it until it finished,
        and return its content; a background call that failed is fatal with its status and words."""
        accepted = self.erp(method, path, params=params, json=json, headers={protocol.BACKGROUND_HEADER: "none"})
        if accepted.status != 202 or not isinstance(accepted.body, dict):
            return self.ok(accepted, f"Visma.net {method} {_shape(path)}")
        job = str(accepted.body["id"])
        for _ in range(protocol.BACKGROUND_POLLS):
            state = self.erp_ok("GET", f"/v1/background/{job}")
            if state.get("status") in ("Finished", "Failed"):
                break
            self.sleep(protocol.BACKGROUND_POLL)
        else:
            raise RetriableConnectorError(f"Visma.net background call {method} {_shape(path)} did not finish in time")
        content = self.erp("GET", f"/v1/background/{job}/content")
        status = int(state.get("statusCode") or content.status)
        if state.get("status") == "Failed" or status >= 400:
            raise FatalConnectorError(f"Visma.net background call {method} {_shape(path)}: HTTP {status}: "
                                      f"{message(content.body) or state.get('errorMessage')}")  # fmt: skip
        return content.body


def message(body: Any) -> str:
    """Visma.net's words in an error body: `message`, the IPP `ExceptionMessage`, or a V3 problem's
    `title` and `detail`."""
    if not isinstance(body, dict):
        return str(body or "")[:200]
    for name in ("message", "Message", "ExceptionMessage"):
        if body.get(name):
            return str(body[name])
    parts = [str(body[name]) for name in ("title", "detail") if body.get(name)]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {'; '.join(map(str, texts))}" for field, texts in errors.items()]
    return ": ".join(parts) or str(body)[:200]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return Resolution(Action.fatal, "Visma Connect answered with something other than JSON")


def _query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in params.items() if v is not None}


def _shape(path: str) -> str:
    """A path without the record it names, for messages: `/v1/customer/C001` → `/v1/customer/…`."""
    parts = path.split("/")
    return "/".join(parts[:3]) + ("/…" if len(parts) > 3 else "")
