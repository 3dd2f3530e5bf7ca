"""Fault injection for every sandbox: one ASGI wrapper in front of a sandbox's API app.

A sandbox app is its API's behaviour and nothing else; `FaultInjection` wraps it and, on the
requests the sandbox says a fault may hit, misbehaves on request: 429s, server errors, slow
answers past a client's timeout, connections cut mid-answer. Those fail before the request runs.
A late answer (`slow`) is answered in full, `slow_seconds` late, within the client's timeout: it
holds a sync mid-apply long enough for a test to stop it between two writes.
A lost answer is the other kind: the request runs and changes the sandbox's data, and then its
answer never reaches the client, cut off mid-answer (`lost`) or held until the client stopped
waiting (`lost_timeout`); a client that sends it again makes the change twice unless it looks
first or the API dedupes it. Faults come at seeded rates (the same
sequence every run) or as a script (`script`: exactly these faults on the next requests, then none),
set in-process (`sandbox.faults = Faults(...)`) or over HTTP at `/_sandbox/faults`, which also
tells how many API requests arrived and which faults were injected (`FaultControl` is its client).

What a fault looks like stays true to each system: the sandbox hands the kit its own answers
(`FaultAnswers`), so Shopify's 429 carries Retry-After and a JSON body while a SOAP server's 500
carries a SOAP Fault envelope.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FAULTS = ("429", "500", "timeout", "slow", "drop", "lost", "lost_timeout")
LOST = ("lost", "lost_timeout")  # the faults after which the request has run
OK = "ok"  # in a script: this request is answered as usual
CONTROL_PATH = "/_sandbox/faults"
# How a client sees a connection dropped before its answer: a close, or a reset when the close
# races the request's last bytes (the kernel answers unread data with RST).
CUT_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError)


@dataclass
class Faults:
    """Rates (0..1) at which requests misbehave; `script` lists faults for the next requests, in
    order, taken before any rate is drawn (`ok` for a request answered as usual). `retry_after`,
    when set, is the wait a 429 asks for in place of the system's own (tests that are not about
    the wait set a short one)."""

    rates: dict[str, float] = field(default_factory=dict)
    slow_seconds: float = 3.0
    retry_after: float | None = None
    seed: int = 0
    script: list[str] = field(default_factory=list)
    random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted({*self.rates} - set(FAULTS)) or sorted({*self.script} - {*FAULTS, OK})
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}; known: {', '.join(FAULTS)}")
        self.random.seed(self.seed)

    def pick(self) -> str | None:
        """The fault the next request gets, or None."""
        if self.script:
            scripted = self.script.pop(0)
            return None if scripted == OK else scripted
        for kind in FAULTS:
            rate = self.rates.get(kind, 0.0)
            if rate and self.random.random() < rate:
                return kind
        return None


@dataclass(frozen=True)
class FaultAnswers:
    """A system's own way of saying each fault: a 429 and a server error (given the faults' seeded
    random, to vary the status as the system does), and for a cut connection the content type and
    the first bytes of an answer that never finishes."""

    too_many_requests: Callable[[], Response]
    server_error: Callable[[random.Random], Response]
    cut_off: tuple[str, bytes]


def _api_requests(scope: Scope) -> bool:
    return not str(scope.get("path", "")).startswith("/_sandbox/")


class FaultInjection:
    """The ASGI app a sandbox serves: its API `app`, with faults injected on the requests `applies`
    accepts and the control endpoint at `/_sandbox/faults`."""

    def __init__(self, app: ASGIApp, answers: FaultAnswers, applies: Callable[[Scope], bool] = _api_requests) -> None:
        self.app = app
        self.answers = answers
        self.applies = applies
        self.faults = Faults()
        self.requests = 0  # API requests seen, faulted or not
        self.injected: list[str] = []  # the faults injected, in order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == CONTROL_PATH:
            response = await self._control(Request(scope, receive))
            await response(scope, receive, send)
            return
        if not self.applies(scope):
            await self.app(scope, receive, send)
            return
        self.requests += 1
        fault = self.faults.pick()
        if fault is not None:
            self.injected.append(fault)
        if fault == "429":
            refusal = self.answers.too_many_requests()
            if self.faults.retry_after is not None:
                refusal.headers["Retry-After"] = f"{self.faults.retry_after:g}"
            await refusal(scope, receive, send)
        elif fault == "500":
            await self.answers.server_error(self.faults.random)(scope, receive, send)
        elif fault == "drop":
            await _cut(send, *self.answers.cut_off)
        elif fault in LOST:
            await self._lose_answer(scope, receive, send, fault)
        else:
            if fault in ("timeout", "slow"):  # answer late: after the client stopped waiting, or within its timeout
                await asyncio.sleep(self.faults.slow_seconds)
            await self.app(scope, receive, send)

    async def _lose_answer(self, scope: Scope, receive: Receive, send: Send, fault: str) -> None:
        """Run the request to the end, then let its answer die: cut off after its first bytes, or
        held until the client stopped waiting (it is sent then, to a client no longer there)."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if fault == "lost":
            await _cut(send, *self.answers.cut_off)
            return
        await asyncio.sleep(self.faults.slow_seconds)
        for message in held:
            await send(message)

    def status(self) -> dict[str, Any]:
        return {
            "rates": self.faults.rates,
            "script": list(self.faults.script),
            "slow_seconds": self.faults.slow_seconds,
            "retry_after": self.faults.retry_after,
            "requests": self.requests,
            "injected": dict(Counter(self.injected)),
        }

    async def _control(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(self.status())
        if request.method != "POST":
            return Response("Method Not Allowed", 405, headers={"Allow": "GET, POST"})
        try:
            body = json.loads(await request.body() or b"{}")
            retry_after = body.get("retry_after")
            self.faults = Faults(
                rates=dict(body.get("rates") or {}),
                slow_seconds=float(body.get("slow_seconds", 3.0)),
                retry_after=None if retry_after is None else float(retry_after),
                seed=int(body.get("seed", 0)),
                script=list(body.get("script") or []),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(self.status())


async def _cut(send: Send, content_type: str, opening: bytes) -> None:
    """Announce a body, send its first bytes, and end: the client sees the connection die mid-answer."""
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"4096")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": opening, "more_body": False})


class FaultControl:
    """A client of a served sandbox's `/_sandbox/faults`: set faults, read what the sandbox saw."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/") + CONTROL_PATH

    def set(
        self,
        rates: dict[str, float] | None = None,
        script: list[str] | None = None,
        seed: int = 0,
        slow_seconds: float = 3.0,
        retry_after: float | None = None,
    ) -> dict[str, Any]:
        """Replace the sandbox's faults; with no arguments, turn them all off."""
        body = {"rates": rates or {}, "script": script or [], "seed": seed, "slow_seconds": slow_seconds,
                "retry_after": retry_after}  # fmt: skip
        answer = httpx.post(self.url, json=body, timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def status(self) -> dict[str, Any]:
        """Rates, the faults still scripted, API requests seen, and faults injected by kind."""
        answer = httpx.get(self.url, timeout=10)
        answer.raise_for_status()
        return dict(answer.json())


class FaultySandbox:
    """What every sandbox shares: it serves its API inside `FaultInjection` (as `app`), and
    `sandbox.faults` reads or sets the faults that injects."""

    app: FaultInjection

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.app.faults = faults
