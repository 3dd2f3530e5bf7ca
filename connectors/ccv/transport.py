"""Signed calls to one CCV account: CCV's quirks on `connectors.http`.

Each request is signed by `signing.Signature`; each answer read as data has its signature checked
first (a wrong or missing one is fatal). Errors are read by their CCV code (`protocol`): a 429 (or
`500.10`, an unknown rate limit) is waited out `rate_limit_wait` seconds; a 400 or one of the
`500.2x`-`500.9x` codes is the record's error; a 401 is fatal and never retried; other server
errors, timeouts and cut connections are retried, except that a write `protocol.WRITES` says is
not safe to send twice is never sent again once it may have been carried out (`AnswerLostError`,
settled by the client).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import httpx

from connectors import http
from connectors.ccv import protocol
from connectors.ccv.settings import CcvSettings
from connectors.ccv.signing import Signature
from connectors.http import DEFAULT_TABLE, Action, Backoff, ErrorTable, Resolution, Retry

TABLE: ErrorTable = MappingProxyType({
    **DEFAULT_TABLE,
    401: Resolution(Action.fatal, "{what}: CCV refused the public key, the signature or its date (HTTP 401)"),
    400: Resolution(Action.record_error, "{what}: CCV refused it (HTTP 400): {body}"),
    429: http.ANSWER,  # read: its code says which limit
    500: http.ANSWER,  # read: CCV's 500.xx codes are answers about the request, not all failures
})  # fmt: skip
BACKOFF = Backoff(first=0.5, cap=8.0)
RECORD_CODES = ("500.2", "500.4", "500.5", "500.6", "500.7", "500.8", "500.9")


class Transport:
    def __init__(
        self,
        settings: CcvSettings,
        secret: str,
        http_transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.auth = Signature(settings.public_key, secret, clock)
        headers = {"accept": protocol.ACCEPT, "content-type": "application/json"}
        self.http = http.client(auth=self.auth, timeout=settings.timeout, base_url=settings.url.rstrip("/"),
                                headers=headers, transport=http_transport)  # fmt: skip
        self.sleep: Callable[[float], None] = time.sleep
        self.calls = 0
        self.log: list[str] = []  # "METHOD path" of every request sent, for tests and activity

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        """One call to `path` (under the prefix, e.g. `products/12`); the answer's JSON, or None."""
        resource = _resource(path)
        url = protocol.PREFIX + path.strip("/")
        query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
        content = b"" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        request = self.http.build_request(method, protocol.uri_of(url, query), content=content or None)
        what = f"CCV {method} {resource}"
        retry = Retry(TABLE, 5, BACKOFF, self.sleep)
        return http.send(
            self.http, request, what, lambda answer: self._read(answer, what), retry,
            before=lambda: self._count(method, url), resend=protocol.may_resend(method, resource),
        )  # fmt: skip

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a collection, page by page (`start`/`size`) until a page has no `next`."""
        start, size = 0, self.settings.page_size
        while True:
            page = self.call("GET", path, {**(params or {}), "start": start, "size": size}) or {}
            items = page.get("items") or []
            yield from items
            if not page.get("next") or not items:
                return
            start += len(items)

    def _count(self, method: str, url: str) -> None:
        self.calls += 1
        self.log.append(f"{method} {url.removeprefix(protocol.PREFIX)}")

    def _read(self, answer: httpx.Response, what: str) -> Any:
        if answer.status_code in (429, 500):
            return self._error(answer)
        self.auth.check_answer(answer, what)
        return json.loads(answer.content) if answer.content.strip() else None

    def _error(self, answer: httpx.Response) -> Resolution:
        code, message = _code(answer)
        if answer.status_code == 429 or code == "500.10":
            limit = protocol.RATE_LIMIT_CODES.get(code, "a rate limit")
            return Resolution(
                Action.rate_limited, f"CCV {code or 'HTTP 429'}: {limit}", wait=self.settings.rate_limit_wait
            )
        if code.startswith(RECORD_CODES):
            return Resolution(Action.record_error, f"CCV refused it ({code}): {message}")
        return Resolution(Action.retry, f"HTTP 500{f' {code}' if code else ''}", reached=True)


def _code(answer: httpx.Response) -> tuple[str, str]:
    """An error answer's CCV code and developer message; empty when it has none."""
    try:
        body = json.loads(answer.content)
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("code") or ""), str(body.get("developermessage") or "")


def _resource(path: str) -> str:
    """The resource a path names: its last name that is not an id (`orders/12/orderrows` → orderrows)."""
    names = [part for part in path.strip("/").split("/") if part and not part.isdigit()]
    return names[-1] if names else ""
