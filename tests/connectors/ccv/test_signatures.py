"""Signatures both ways: what the sandbox refuses (401) and what the client refuses to read."""

from __future__ import annotations

import time

import httpx
import pytest

from connectors.ccv import CcvSettings, protocol
from connectors.ccv.client import CcvClient
from connectors.ccv.signing import Signature
from engine.errors import FatalConnectorError
from engine.records import Entity
from tests.connectors.ccv.conftest import RunningAccount


def test_the_recipe_is_hmac_sha512_over_the_pipe_joined_parts() -> None:
    import hashlib
    import hmac

    text = b'pub|POST|/api/rest/v1/orders/?start=0&size=25|{"a":1}|2022-11-26T00:45:54Z'
    expected = hmac.new(b"secret", text, hashlib.sha512).hexdigest()
    made = protocol.signature("secret", "pub", "post", "/api/rest/v1/orders/?start=0&size=25", b'{"a":1}',
                              "2022-11-26T00:45:54Z")  # fmt: skip
    assert made == expected and len(made) == 128 and made == made.lower()


def test_signed_reads_are_answered_and_the_answers_verified(account: RunningAccount) -> None:
    client = account.client()
    assert {p.sku for p in client.read(Entity.product)} == {"1000", "2000"}
    assert client.calls > 1  # products, their combinations and links: every answer checked


def test_a_tampered_answer_is_refused_never_read(account: RunningAccount) -> None:
    account.sandbox.tamper = True
    with pytest.raises(FatalConnectorError, match="wrong signature"):
        account.client().read(Entity.product)


def test_an_unsigned_answer_is_refused_never_read() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json={"items": [], "next": None}))
    settings = CcvSettings(url="https://demo.ccvshop.nl", public_key="pub")
    client = CcvClient(settings, "secret", answer)
    with pytest.raises(FatalConnectorError, match="not signed"):
        client.read(Entity.category)
    client.close()


def test_an_answer_signed_with_another_secret_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        date, body = protocol.timestamp(time.time()), b'{"items": []}'
        sign = protocol.signature("other", "pub", request.method, request.url.raw_path.decode(), body, date)
        return httpx.Response(200, content=body, headers={"x-date": date, "x-hash": sign})

    client = CcvClient(
        CcvSettings(url="https://demo.ccvshop.nl", public_key="pub"), "secret", httpx.MockTransport(answer)
    )
    with pytest.raises(FatalConnectorError, match="wrong signature"):
        client.read(Entity.category)
    client.close()


@pytest.mark.parametrize(("skew", "refused"), [(-301, True), (301, True), (-290, False), (290, False)])
def test_a_request_outside_the_five_minute_window_is_refused(account: RunningAccount, skew: int, refused: bool) -> None:
    client = account.client()
    client.transport.auth.clock = lambda: time.time() + skew
    before = account.sandbox.app.requests
    if refused:
        with pytest.raises(FatalConnectorError, match="HTTP 401"):
            client.read(Entity.category)
        assert account.sandbox.app.requests - before == 1, "a refused signature is not retried"
    else:
        assert len(client.read(Entity.category)) == 2


def _send(request: httpx.Request) -> httpx.Response:
    with httpx.Client() as http:
        answer = http.send(request)
        answer.read()
        return answer


def _signed(account: RunningAccount, method: str, path: str, body: bytes = b"") -> httpx.Request:
    auth = Signature(account.sandbox.public, account.sandbox.secret)
    request = httpx.Request(method, account.url + path, content=body)
    return next(auth.auth_flow(request))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda r: httpx.Request(r.method, str(r.url), headers=r.headers, content=b'{"name":"Cupz"}'), "x-hash"),
        (
            lambda r: httpx.Request(
                r.method, str(r.url).replace("size=1", "size=2"), headers=r.headers, content=r.content
            ),
            "x-hash",
        ),
        (
            lambda r: httpx.Request(
                r.method, str(r.url), headers={**r.headers, "x-public": "someone"}, content=r.content
            ),
            "public key",
        ),
        (
            lambda r: httpx.Request(
                r.method, str(r.url), headers={**r.headers, "x-date": "yesterday"}, content=r.content
            ),
            "x-date",
        ),
    ],
    ids=["body", "query", "public key", "date"],
)
def test_a_request_changed_after_it_was_signed_is_refused(account: RunningAccount, change: object, why: str) -> None:
    body = b'{"name":"Cups"}'
    signed = _signed(account, "GET", "/api/rest/v1/categories/?start=0&size=1", body)
    assert _send(signed).status_code == 200
    changed = change(signed)  # type: ignore[operator]
    answer = _send(changed)
    assert answer.status_code == 401 and why in answer.json()["developermessage"]


def test_paths_are_taken_with_and_without_their_trailing_slash(account: RunningAccount) -> None:
    for path in ("/api/rest/v1/categories", "/api/rest/v1/categories/"):
        answer = _send(_signed(account, "GET", path))
        assert answer.status_code == 200 and len(answer.json()["items"]) == 2
