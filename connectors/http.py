"""One HTTP layer for every connector: an `httpx.Client` per system and one retry loop driven by a table.

A table maps an HTTP status (or a range of them) or an exception class to a `Resolution`: read the
answer, retry after a backoff, wait as the system asks (rate limited), stop the run (fatal), or
refuse the one record (a record error; the run goes on). `DEFAULT_TABLE` holds what most HTTP APIs
mean; a system overrides rows of it. Answers the table lets through go to the API's own hook, which
reads them and may resolve them in turn (GraphQL's THROTTLED inside an HTTP 200, a SOAP fault).

`send` is the one loop: it sends, resolves, waits (Retry-After in seconds or as an HTTP date, else
exponential backoff with a cap), and after the last attempt raises `RetriableConnectorError` naming
the last problem. Rate limits are not failures: they are waited out, as long as the system asks,
within the call's `patience`, and never use up attempts. Clock and sleep are injected, so tests
wait for nothing.

A request that is not safe to send twice (a create the system does not dedupe) is sent with
`resend=False`: an outcome after which it may have been carried out (`Resolution.reached`: a
timeout or cut connection after sending, a server error) then raises `AnswerLostError` at once,
and the caller settles it by looking in the target. Outcomes before the request reached the
system (a refused connection, a 429) are retried as for any request.

Credentials are `httpx.Auth`s that know their secret values: every message the loop raises has
them masked, no message names a URL, and httpx's own request log loses its query strings (an
MplusKASSA URL carries its ident and secret there, a signed download URL its signature).
"""

from __future__ import annotations

import logging
import math
import ssl
import time
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import Enum
from functools import cache
from types import MappingProxyType
from typing import TypeVar

import httpx

from engine.errors import (
    AnswerLostError,
    CredentialsRefusedError,
    FatalConnectorError,
    RecordError,
    RetriableConnectorError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
MASK = "***"


class Action(Enum):
    answer = "answer"  # an answer to read: the API's hook reads it and may resolve it in turn
    retry = "retry"  # try again after a backoff, or after the Retry-After the answer gives
    rate_limited = "rate_limited"  # try again after Retry-After, or after the resolution's `wait`
    fatal = "fatal"  # FatalConnectorError: retrying cannot help, the run stops
    record_error = "record_error"  # RecordError: the system refused this record; the run goes on


@dataclass(frozen=True)
class Resolution:
    """What to do about one attempt's outcome. In a table `message` is a template that may name
    `{what}` (the call, e.g. "Shopify ProductCreate"), `{status}`, `{body}` (the answer's first 200
    characters), `{exception}` (its class name) and `{timeout}` (seconds); a retried resolution's
    message is the problem the give-up error names, the others' the whole error."""

    action: Action
    message: str = ""
    wait: float | None = None  # seconds before retrying when the answer names none; None: the backoff
    reached: bool = False  # the request reached the system, or may have, and may have been carried out


ANSWER = Resolution(Action.answer)
PATIENCE = 600.0  # seconds a call waits out rate limits unless its caller allows another time
TableKey = int | range | type[BaseException]
ErrorTable = Mapping[TableKey, Resolution]

DEFAULT_TABLE: ErrorTable = MappingProxyType(
    {
        range(200, 400): ANSWER,
        401: Resolution(Action.fatal, "{what}: the credentials were refused (HTTP 401)"),
        403: Resolution(Action.fatal, "{what}: access refused (HTTP 403): {body}"),
        408: Resolution(Action.retry, "HTTP 408"),  # the server stopped waiting for the request: it did not run
        429: Resolution(Action.rate_limited, "HTTP 429", wait=1.0),
        range(400, 500): Resolution(Action.fatal, "{what}: HTTP {status}: {body}"),
        range(500, 600): Resolution(Action.retry, "HTTP {status}", reached=True),
        # no connection, so nothing was sent; every other timeout or broken connection may come after
        httpx.ConnectTimeout: Resolution(Action.retry, "no answer within {timeout} s"),
        httpx.PoolTimeout: Resolution(Action.retry, "no answer within {timeout} s"),
        httpx.TimeoutException: Resolution(Action.retry, "no answer within {timeout} s", reached=True),
        httpx.UnsupportedProtocol: Resolution(Action.fatal, "{what}: the system's URL is not http or https"),
        httpx.ConnectError: Resolution(Action.retry, "connection failed: {exception}"),
        httpx.TransportError: Resolution(Action.retry, "connection failed: {exception}", reached=True),
    }
)
CREDENTIALS_REFUSED = (401, 403)  # a fatal answer with these says the credentials no longer work
UNEXPECTED = Resolution(Action.fatal, "{what}: unexpected answer (HTTP {status})")


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait after failed attempt number `attempt` (0-based): `first`, doubling, at most `cap`."""

    first: float = 0.5
    factor: float = 2.0
    cap: float = 30.0

    def __call__(self, attempt: int) -> float:
        return min(self.first * self.factor**attempt, self.cap)


@dataclass(frozen=True)
class Retry:
    """How one system's calls are retried. `clock` is wall time in seconds since the epoch, read for
    a Retry-After date when the answer carries no Date header of its own."""

    table: ErrorTable = field(default_factory=lambda: DEFAULT_TABLE)
    attempts: int = 5  # tries of a request that keeps failing; rate limits waited out do not count
    backoff: Backoff = Backoff()
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    longest_wait: float = 120.0  # a system asking for longer is given up on: the next run comes sooner
    patience: float = PATIENCE  # seconds one call may wait out rate limits in all (what is left of a run's time)


class Credentials(httpx.Auth):
    """An `httpx.Auth` that names its secret values, so the loop can mask them in every message."""

    def secrets(self) -> Collection[str]:
        """The values that must never appear in an error or a log line."""
        raise NotImplementedError


class HeaderToken(Credentials):
    """A token sent in a header of every request (Shopify's `X-Shopify-Access-Token`). A header the
    client or request already carries wins: a caller can send one request with another token."""

    def __init__(self, header: str, token: str) -> None:
        self.header = header
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.setdefault(self.header, self.token)
        yield request

    def secrets(self) -> Collection[str]:
        return (self.token,)


class QueryCredentials(Credentials):
    """Credentials sent as query parameters of every request (MplusKASSA's `ident` and `secret`).
    `masked` names the parameters whose values are secret; all of them unless given."""

    def __init__(self, params: Mapping[str, str], masked: Collection[str] | None = None) -> None:
        self.params = dict(params)
        self.masked = tuple(self.params) if masked is None else tuple(masked)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(self.params)
        yield request

    def secrets(self) -> Collection[str]:
        return tuple(self.params[name] for name in self.masked if name in self.params)


def client(
    *,
    auth: httpx.Auth | None,
    timeout: float,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An `httpx.Client` for one system: its credentials as `auth`, `timeout` seconds to connect,
    send, read and wait for a pooled connection, and `transport` in place of the network (tests
    pass an `httpx.MockTransport`). Every client shares the process's one TLS context."""
    return httpx.Client(
        base_url=base_url, auth=auth, headers=headers, timeout=httpx.Timeout(timeout), transport=transport,
        verify=tls_context(),
    )  # fmt: skip


@cache
def tls_context() -> ssl.SSLContext:
    """The certificate authorities the system trusts, loaded once: loading them takes longer than a
    sandbox's answer, and a flow run opens a client per system."""
    return ssl.create_default_context()


def send(
    http: httpx.Client,
    request: httpx.Request,
    what: str,
    answer: Callable[[httpx.Response], T | Resolution],
    retry: Retry,
    *,
    before: Callable[[], None] | None = None,
    on_retry: Callable[[Resolution], None] | None = None,
    stream: bool = False,
    resend: bool = True,
) -> T:
    """Send `request` until an answer is read: the table resolves each outcome, and `answer` reads
    the answers it lets through, returning what it read or a `Resolution`. `before` runs before
    each attempt (pacing, counting), `on_retry` before each wait. `what` names the call in errors.
    With `stream` the answer is handed over unread and its reader must close it. Without `resend`
    the request is never sent again once it may have been carried out: `AnswerLostError` instead."""
    secrets = _secrets(http)
    attempts = max(retry.attempts, 1)
    failures = 0  # attempts that failed; rate limits waited out are not failures
    limited = 0.0  # seconds waited out on rate limits so far
    while True:
        if before is not None:
            before()
        response: httpx.Response | None = None
        try:
            response = http.send(request, stream=stream)
        except Exception as exc:
            row = _row_for_exception(retry.table, exc)
            if row is None:
                raise
            resolution = _filled(row, what, http, exception=type(exc).__name__)
        else:
            outcome = _resolve(response, what, http, answer, retry.table, stream)
            if not isinstance(outcome, Resolution):
                return outcome
            resolution = outcome
        message = _masked(resolution.message, secrets)
        if resolution.action is Action.fatal:
            refused = response is not None and response.status_code in CREDENTIALS_REFUSED
            raise (CredentialsRefusedError if refused else FatalConnectorError)(message)
        if resolution.action is Action.record_error:
            raise RecordError(message)
        if resolution.action is Action.answer:
            raise TypeError(f"{what}: an answer hook resolved an answer as another answer")
        if resolution.reached and not resend:
            raise AnswerLostError(f"{what}: the answer was lost ({message}); it may have been carried out, "
                                  "so it is not sent again")  # fmt: skip
        wait = _wait(resolution, response, retry, failures)
        if wait > retry.longest_wait:
            raise RetriableConnectorError(
                f"{what}: asked to wait {wait:g} s, longer than {retry.longest_wait:g} s ({message})", retry_after=wait
            )
        if resolution.action is Action.rate_limited:
            if limited + wait > retry.patience:
                raise RetriableConnectorError(
                    f"{what}: still rate limited after waiting {limited:.3g} s ({message})", retry_after=wait
                )
            limited += wait
        else:
            failures += 1
            if failures == attempts:
                raise RetriableConnectorError(
                    f"{what}: gave up after {attempts} attempts ({message})", retry_after=wait
                )
        log.info("%s: %s; retrying in %.3g s", what, message, wait)
        if on_retry is not None:
            on_retry(resolution)
        retry.sleep(wait)


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds the answer's Retry-After asks to wait (a number, or an HTTP date measured from the
    answer's own Date header, else from `now`); None when it names no usable wait."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        until = _epoch(value)
        if until is None:
            return None
        sent = _epoch(response.headers.get("Date", ""))
        seconds = until - (now if sent is None else sent)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _resolve(
    response: httpx.Response,
    what: str,
    http: httpx.Client,
    answer: Callable[[httpx.Response], T | Resolution],
    table: ErrorTable,
    stream: bool,
) -> T | Resolution:
    """The table's resolution of an answer, or what the API's hook read from it."""
    row = _row_for_status(table, response.status_code)
    if row.action is Action.answer:
        try:
            read = answer(response)
        except BaseException:
            response.close()
            raise
        if isinstance(read, Resolution):
            response.close()
        return read
    if stream:
        response.read()
        response.close()
    return _filled(row, what, http, status=response.status_code, body=response.text[:200])


def _row_for_status(table: ErrorTable, status: int) -> Resolution:
    """The row of this status, else of the narrowest range holding it."""
    exact = table.get(status)
    if exact is not None:
        return exact
    ranges = [key for key in table if isinstance(key, range) and status in key]
    return table[min(ranges, key=len)] if ranges else UNEXPECTED


def _row_for_exception(table: ErrorTable, exc: BaseException) -> Resolution | None:
    """The row of the exception's class or of its nearest base class in the table."""
    return next((table[cls] for cls in type(exc).__mro__ if cls in table), None)


def _filled(row: Resolution, what: str, http: httpx.Client, **facts: object) -> Resolution:
    timeout = http.timeout.read
    values = {"what": what, "status": "", "body": "", "exception": "", "timeout": "?", **facts}
    if timeout is not None:
        values["timeout"] = f"{timeout:g}"
    return Resolution(row.action, row.message.format(**values), row.wait, row.reached)


def _wait(resolution: Resolution, response: httpx.Response | None, retry: Retry, attempt: int) -> float:
    asked = retry_after(response, retry.clock()) if response is not None else None
    if asked is not None:
        return asked
    if resolution.wait is not None:
        return resolution.wait
    return retry.backoff(attempt)


def _epoch(text: str) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()  # HTTP dates are GMT


def _secrets(http: httpx.Client) -> tuple[str, ...]:
    auth = http.auth
    return tuple(s for s in auth.secrets() if s) if isinstance(auth, Credentials) else ()


def _masked(message: str, secrets: Collection[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, MASK)
    return message


class _QueryStringsHidden(logging.Filter):
    """Drops the query string from the URL httpx logs for every request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(a.copy_with(query=None) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


_httpx_log = logging.getLogger("httpx")
if not any(isinstance(f, _QueryStringsHidden) for f in _httpx_log.filters):
    _httpx_log.addFilter(_QueryStringsHidden())
