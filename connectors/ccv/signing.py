"""CCV's signatures both ways (see `protocol`): an `httpx.Auth` that signs each request as it is
sent, and the check of each answer's signature, which a client runs before it reads the answer."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Collection, Generator

import httpx

from connectors.ccv import protocol
from connectors.http import Credentials
from engine.errors import FatalConnectorError


class Signature(Credentials):
    """Signs every request with `x-public`, `x-date` and `x-hash` over the exact uri and body sent.
    `clock` is wall time, injectable so a test can send a request from outside the clock window."""

    def __init__(self, public: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.public = public
        self.secret = secret
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        date = protocol.timestamp(self.clock())
        uri = request.url.raw_path.decode("ascii")  # the path with its query string, as sent
        request.headers["x-public"] = self.public
        request.headers["x-date"] = date
        request.headers["x-hash"] = protocol.signature(
            self.secret, self.public, request.method, uri, request.content, date
        )
        yield request

    def secrets(self) -> Collection[str]:
        return (self.secret,)

    def check_answer(self, response: httpx.Response, what: str) -> None:
        """Raise `FatalConnectorError` unless the answer carries the signature of its body made with
        the secret: an answer anyone else made, or changed on the way, is never read as data."""
        request = response.request
        date, given = response.headers.get("x-date"), response.headers.get("x-hash")
        if not date or not given:
            raise FatalConnectorError(f"{what}: CCV's answer is not signed (no x-date or x-hash); it is not read")
        uri = request.url.raw_path.decode("ascii")
        expected = protocol.signature(self.secret, self.public, request.method, uri, response.content, date)
        if not hmac.compare_digest(expected, given.strip().lower()):
            raise FatalConnectorError(f"{what}: CCV's answer has a wrong signature; it is not read")
