"""The connector kit's HTTP layer over `httpx.MockTransport`, on a clock that moves only when it waits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from connectors import http
from connectors.http import Action, Backoff, HeaderToken, QueryCredentials, Resolution, Retry
from connectors.mpluskassa import soap
from connectors.mpluskassa.transport import Transport as MplusTransport
from connectors.shopify.documents import document
from connectors.shopify.transport import Transport as ShopifyTransport
from engine.errors import CredentialsRefusedError, FatalConnectorError, RecordError, RetriableConnectorError

TOKEN = "shpat_0123456789abcdef"
SECRET = "s3cr3t-value"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
Outcome = httpx.Response | Exception
DEFAULT_BACKOFF = Backoff()


@dataclass
class FakeTime:
    """Wall time that moves only when the loop sleeps; every sleep is kept."""

    now: float = NOW.timestamp()
    waits: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@dataclass
class Script:
    """A server answering each request with the next outcome, keeping the requests."""

    outcomes: list[Outcome]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def ok(payload: Any = None) -> httpx.Response:
    return httpx.Response(200, json={"ok": True} if payload is None else payload)


def status(code: int, text: str = "", **headers: str) -> httpx.Response:
    return httpx.Response(code, text=text, headers=headers)


def read_json(response: httpx.Response) -> Any:
    return response.json()


def run(
    outcomes: Sequence[Outcome],
    *,
    auth: httpx.Auth | None = None,
    table: http.ErrorTable = http.DEFAULT_TABLE,
    attempts: int = 5,
    backoff: Backoff = DEFAULT_BACKOFF,
    answer: Callable[[httpx.Response], Any] = read_json,
    time: FakeTime | None = None,
    patience: float = http.PATIENCE,
    resend: bool = True,
) -> tuple[Any, Script, FakeTime]:
    script, time = Script(list(outcomes)), time or FakeTime()
    client = http.client(auth=auth or HeaderToken("X-Token", TOKEN), timeout=5, base_url="https://api.test",
                         transport=httpx.MockTransport(script))  # fmt: skip
    retry = Retry(table, attempts, backoff, time.sleep, time.clock, patience=patience)
    with client:
        result = http.send(client, client.build_request("GET", "/items"), "Test items", answer, retry, resend=resend)
    return result, script, time


# ---- the default table, row by row -----------------------------------------------------------


@pytest.mark.parametrize("seconds, waited", [("2.5", 2.5), ("0", 0.0), ("-3", 0.0)])
def test_429_waits_the_seconds_retry_after_names(seconds: str, waited: float) -> None:
    result, script, time = run([status(429, **{"Retry-After": seconds}), ok()])
    assert result == {"ok": True} and len(script.requests) == 2 and time.waits == [waited]


def test_429_waits_until_the_date_retry_after_names_measured_from_the_answers_date() -> None:
    later = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    sent = format_datetime(NOW - timedelta(seconds=3), usegmt=True)  # the server's clock runs behind ours
    _, _, time = run([status(429, **{"Retry-After": later, "Date": sent}), ok()])
    assert time.waits == [10.0]


def test_429_retry_after_date_without_a_date_header_is_measured_from_the_clock() -> None:
    later = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    _, _, time = run([status(429, **{"Retry-After": later}), ok()])
    assert time.waits == [7.0]


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "soon"}, {"Retry-After": "nan"}])
def test_429_without_a_usable_retry_after_waits_the_rows_second(headers: dict[str, str]) -> None:
    _, _, time = run([status(429, **headers), ok()], backoff=Backoff(first=4.0))
    assert time.waits == [1.0]


@pytest.mark.parametrize("code", [408, 500, 502, 503, 504])
def test_server_errors_are_retried_with_backoff(code: int) -> None:
    result, script, time = run([status(code), status(code), ok()], backoff=Backoff(first=0.5))
    assert result == {"ok": True} and len(script.requests) == 3 and time.waits == [0.5, 1.0]


def test_a_server_error_with_retry_after_waits_what_it_asks() -> None:
    _, _, time = run([status(503, **{"Retry-After": "12"}), ok()])
    assert time.waits == [12.0]


@pytest.mark.parametrize(
    "error, problem",
    [
        (httpx.ReadTimeout("slow"), "no answer within 5 s"),
        (httpx.ConnectTimeout("slow"), "no answer within 5 s"),
        (httpx.ConnectError("refused"), "connection failed: ConnectError"),
        (httpx.RemoteProtocolError("cut"), "connection failed: RemoteProtocolError"),
    ],
)
def test_timeouts_and_cut_connections_are_retried_then_given_up_naming_the_problem(
    error: Exception, problem: str
) -> None:
    result, _, time = run([error, ok()])
    assert result == {"ok": True} and time.waits == [0.5]
    with pytest.raises(RetriableConnectorError) as caught:
        run([error, error], attempts=2)
    assert str(caught.value) == f"Test items: gave up after 2 attempts ({problem})"


@pytest.mark.parametrize(
    "code, message",
    [
        (401, "Test items: the credentials were refused (HTTP 401)"),
        (403, "Test items: access refused (HTTP 403): no scope"),
        (404, "Test items: HTTP 404: no scope"),
        (422, "Test items: HTTP 422: no scope"),
    ],
)
def test_refusals_are_fatal_at_once(code: int, message: str) -> None:
    script = Script([status(code, "no scope"), ok()])
    client = http.client(auth=None, timeout=5, base_url="https://api.test", transport=httpx.MockTransport(script))
    time = FakeTime()
    with pytest.raises(FatalConnectorError) as caught:
        http.send(client, client.build_request("GET", "/"), "Test items", read_json, Retry(sleep=time.sleep))
    assert str(caught.value) == message and len(script.requests) == 1 and time.waits == []
    refused = isinstance(caught.value, CredentialsRefusedError)
    assert refused == (code in (401, 403)), "credentials refused are told apart: they are alerted as such"


def test_a_status_configured_as_a_record_error_refuses_the_record_only() -> None:
    table = {**http.DEFAULT_TABLE, 422: Resolution(Action.record_error, "{what} refused the record: {body}")}
    time = FakeTime()
    with pytest.raises(RecordError) as caught:
        run([status(422, "sku taken"), ok()], table=table, time=time)
    assert str(caught.value) == "Test items refused the record: sku taken" and time.waits == []


def test_an_exact_status_beats_a_range_and_the_narrowest_range_wins() -> None:
    table = {**http.DEFAULT_TABLE, range(500, 502): Resolution(Action.fatal, "narrow {status}")}
    with pytest.raises(FatalConnectorError, match="narrow 501"):
        run([status(501)], table=table)
    result, _, _ = run([status(503), ok()], table=table)
    assert result == {"ok": True}, "503 is outside the narrow range and still retried"


def test_a_status_no_row_holds_is_fatal_and_an_exception_no_row_holds_is_not_caught() -> None:
    with pytest.raises(FatalConnectorError, match=r"unexpected answer \(HTTP 103\)"):
        run([status(103)])
    with pytest.raises(KeyError):
        run([KeyError("a bug, not a network problem"), ok()])
    with pytest.raises(FatalConnectorError, match="not http or https"):
        run([httpx.UnsupportedProtocol("ftp"), ok()])


# ---- the loop --------------------------------------------------------------------------------


def test_attempts_are_capped_and_the_last_problem_is_named() -> None:
    outcomes: list[Outcome] = [httpx.ReadTimeout("slow"), status(503), httpx.ConnectError("refused")]
    with pytest.raises(RetriableConnectorError) as caught:
        run(outcomes, attempts=3, backoff=Backoff(first=1.0))
    assert str(caught.value) == "Test items: gave up after 3 attempts (connection failed: ConnectError)"
    assert caught.value.retry_after == 4.0, "the wait the next attempt would have had"


def test_the_last_attempt_is_not_followed_by_a_wait() -> None:
    time = FakeTime()
    with pytest.raises(RetriableConnectorError):
        run([status(503)] * 4, attempts=4, time=time)
    assert len(time.waits) == 3


def test_backoff_doubles_up_to_its_cap() -> None:
    _, script, time = run([status(500)] * 6 + [ok()], attempts=7, backoff=Backoff(first=0.5, cap=3.0))
    assert time.waits == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0] and len(script.requests) == 7
    assert [Backoff(first=0.25, factor=3.0, cap=5.0)(n) for n in range(4)] == [0.25, 0.75, 2.25, 5.0]


def test_a_wait_longer_than_the_longest_is_given_up_on_at_once() -> None:
    time = FakeTime()
    with pytest.raises(RetriableConnectorError) as caught:
        run([status(429, **{"Retry-After": "3600"}), ok()], time=time)
    assert caught.value.retry_after == 3600.0 and time.waits == [] and "asked to wait 3600 s" in str(caught.value)


def test_the_api_hook_classifies_an_answer_the_table_let_through() -> None:
    def answer(response: httpx.Response) -> Any:
        body = response.json()
        if body.get("errors") == "THROTTLED":
            return Resolution(Action.rate_limited, "throttled", wait=0.3)
        if body.get("errors") == "DENIED":
            return Resolution(Action.fatal, "no {braces} are formatted in a hook's message")
        return body["data"]

    throttled = ok({"errors": "THROTTLED"})
    result, script, time = run([throttled, throttled, ok({"data": 7})], answer=answer, backoff=Backoff(first=9.0))
    assert result == 7 and len(script.requests) == 3 and time.waits == [0.3, 0.3]
    with pytest.raises(FatalConnectorError, match=r"^no \{braces\} are formatted"):
        run([ok({"errors": "DENIED"})], answer=answer)
    result, script, time = run([throttled] * 5 + [ok({"data": 8})], answer=answer, attempts=2)
    assert result == 8 and len(time.waits) == 5, "throttled answers are waited out; they use up no attempts"
    with pytest.raises(RetriableConnectorError, match=r"still rate limited after waiting 0.9 s \(throttled\)"):
        run([throttled] * 5, answer=answer, patience=1.0)


def test_an_exception_the_hook_raises_reaches_the_caller_unretried() -> None:
    def answer(response: httpx.Response) -> Any:
        raise soap.SoapFault("Client", "bad input")

    script = Script([ok(), ok()])
    client = http.client(auth=None, timeout=5, transport=httpx.MockTransport(script))
    with pytest.raises(soap.SoapFault, match="bad input"):
        http.send(client, client.build_request("GET", "https://api.test/"), "Test", answer, Retry())
    assert len(script.requests) == 1


# ---- credentials -----------------------------------------------------------------------------


def test_a_header_token_is_on_every_request_and_an_explicit_header_wins() -> None:
    _, script, _ = run([status(500), httpx.ConnectError("x"), ok()])
    assert [r.headers["X-Token"] for r in script.requests] == [TOKEN] * 3
    script = Script([ok()])
    client = http.client(auth=HeaderToken("X-Token", TOKEN), timeout=5, headers={"X-Token": "other"},
                         transport=httpx.MockTransport(script))  # fmt: skip
    http.send(client, client.build_request("GET", "https://api.test/"), "Test", read_json, Retry())
    assert script.requests[0].headers["X-Token"] == "other"


def test_query_credentials_are_on_every_request_beside_the_requests_own_parameters() -> None:
    auth = QueryCredentials({"ident": "shop1", "secret": SECRET})
    script = Script([status(502), ok()])
    client = http.client(auth=auth, timeout=5, transport=httpx.MockTransport(script))
    request = client.build_request("POST", "https://till.test:3456/", params={"page": "2"}, content=b"<x/>")
    http.send(client, request, "Test", read_json, Retry(sleep=lambda s: None))
    assert [dict(r.url.params) for r in script.requests] == [{"page": "2", "ident": "shop1", "secret": SECRET}] * 2
    assert [r.content for r in script.requests] == [b"<x/>"] * 2, "a retry sends the same body"


AUTHS = {"header": (HeaderToken("X-Token", TOKEN), TOKEN), "query": (QueryCredentials({"secret": SECRET}), SECRET)}


@pytest.mark.parametrize("kind", AUTHS)
@pytest.mark.parametrize("code", [401, 403, 418, 503])
def test_no_credential_appears_in_an_error(kind: str, code: int) -> None:
    auth, credential = AUTHS[kind]
    table = {**http.DEFAULT_TABLE, 401: Resolution(Action.fatal, "{what}: {body}"), 503: Resolution(
        Action.retry, "HTTP 503: {body}")}  # fmt: skip
    with pytest.raises((FatalConnectorError, RetriableConnectorError)) as caught:
        run([status(code, f"echo {credential}")] * 2, auth=auth, table=table, attempts=2)
    message = str(caught.value)
    assert f"echo {http.MASK}" in message and credential not in message and "api.test" not in message


def test_no_credential_appears_in_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    run([status(503, SECRET), ok()], auth=QueryCredentials({"ident": "shop1", "secret": SECRET}))
    assert "api.test/items" in caplog.text and "retrying in 0.5 s" in caplog.text, "the lines were logged"
    assert SECRET not in caplog.text and "ident=" not in caplog.text


# ---- the transports' quirks on the layer -------------------------------------------------------


def shopify_answer(available: float, *errors: dict[str, Any], data: Any = None) -> httpx.Response:
    status_ = {"maximumAvailable": 1000, "currentlyAvailable": available, "restoreRate": 50}
    cost = {"requestedQueryCost": 12, "actualQueryCost": 4, "throttleStatus": status_}
    body: dict[str, Any] = {"data": data, "extensions": {"cost": cost}}
    if errors:
        body["errors"] = list(errors)
    return httpx.Response(200, json=body)


def shopify(outcomes: Sequence[Outcome]) -> tuple[ShopifyTransport, Script, FakeTime]:
    script, time = Script(list(outcomes)), FakeTime(now=1000.0)  # a monotonic clock, as Shopify's transport keeps
    made = ShopifyTransport("https://shop.test", TOKEN, sleep=time.sleep, clock=time.clock,
                            http_transport=httpx.MockTransport(script))  # fmt: skip
    return made, script, time


def test_shopify_waits_out_throttled_inside_an_http_200_by_its_bucket() -> None:
    throttled = shopify_answer(0, {"message": "Throttled", "extensions": {"code": "THROTTLED"}})
    transport, script, time = shopify([throttled, shopify_answer(990, data={"locations": []})])
    locations = document("Locations")
    assert transport.request(locations, {"first": 50}) == {"locations": []}
    cost = transport.cost_of(locations, {"first": 50})
    assert time.waits[0] == pytest.approx((cost + 1) / 50), "what the restore rate needs, with one point to spare"
    assert sum(time.waits) == pytest.approx(transport.usage.waited_s) == pytest.approx((cost + 1) / 50)
    usage = transport.usage
    assert (usage.calls, usage.throttled, usage.retries, usage.actual_points) == (2, 1, 0, 4)
    assert all(r.headers["X-Shopify-Access-Token"] == TOKEN for r in script.requests)


def test_shopify_retries_a_cut_answer_and_server_errors_and_names_a_missing_scope() -> None:
    denied = {"message": "Required access: `write_products` access scope.", "extensions": {"code": "ACCESS_DENIED"}}
    transport, script, time = shopify([status(502), httpx.Response(200, text='{"da'), shopify_answer(990, denied)])
    with pytest.raises(FatalConnectorError, match=r"^Shopify: Required access: `write_products` access scope\."):
        transport.request(document("Locations"), {"first": 50})
    assert transport.usage.retries == 2 and time.waits == [0.25, 0.5] and len(script.requests) == 3


def test_shopify_bulk_files_are_fetched_without_the_token_and_a_refusal_names_no_url() -> None:
    signed = "https://storage.test/export.jsonl?X-Goog-Signature=abc123"
    transport, script, _ = shopify([httpx.Response(200, text='{"id": 1}\n{"id": 2}\n'), status(403, signed)])
    assert list(transport.download(signed)) == ['{"id": 1}', '{"id": 2}']
    assert "X-Shopify-Access-Token" not in script.requests[0].headers
    with pytest.raises(FatalConnectorError) as caught:
        list(transport.download(signed))
    assert "refused (HTTP 403)" in str(caught.value) and "abc123" not in str(caught.value)


def mplus(outcomes: Sequence[Outcome]) -> tuple[MplusTransport, Script]:
    script = Script(list(outcomes))
    made = MplusTransport("https://till.test:34567/", "shop1", SECRET, sleep=lambda s: None,
                          http_transport=httpx.MockTransport(script))  # fmt: skip
    return made, script


def soap_answer(code: int, body: bytes) -> httpx.Response:
    return httpx.Response(code, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})


def test_mplus_retries_a_server_fault_in_an_http_500_and_raises_a_client_fault() -> None:
    server = soap_answer(500, soap.fault_envelope("Server", "busy"))
    transport, script = mplus([server, soap_answer(200, soap.answer_envelope("getBranches", {"branches": []}))])
    assert transport.call("getBranches") == {"branches": []}
    assert (transport.calls, transport.retries, transport.log) == (2, 1, ["getBranches", "getBranches"])
    assert [r.url.params["secret"] for r in script.requests] == [SECRET, SECRET]
    transport, script = mplus([soap_answer(500, soap.fault_envelope("Client", "no such article")), ok()])
    with pytest.raises(soap.SoapFault, match="no such article"):
        transport.call("getProducts", {"request": {"articleNumbers": [1]}})
    assert len(script.requests) == 1


def test_mplus_a_refused_login_is_fatal_and_gives_up_naming_the_fault_not_the_url() -> None:
    transport, _ = mplus([soap_answer(401, soap.fault_envelope("Client", "Invalid ident or secret"))])
    with pytest.raises(FatalConnectorError, match=r"^MplusKASSA refused the ident and secret \(HTTP 401\)$"):
        transport.call("getBranches")
    transport, _ = mplus([soap_answer(500, soap.fault_envelope("Server", "busy"))] * 5)
    with pytest.raises(RetriableConnectorError) as caught:
        transport.call("getBranches")
    assert str(caught.value) == "MplusKASSA getBranches: gave up after 5 attempts (server fault: busy)"
    assert SECRET not in repr(transport) and "till.test" not in str(caught.value)
