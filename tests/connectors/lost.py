"""Losing the answer of one chosen call: the kit's `lost` fault, armed when a request names it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from connectors.testing.faults import Faults
from connectors.testing.server import serving


@dataclass
class LoseAnswers:
    """An ASGI app in front of a sandbox: a request whose body holds `marker` (an operation's name)
    gets the fault `kind` from the sandbox's own fault kit, `times` times; the others pass as usual.
    It reads each body before the sandbox does, so a `timeout` here still runs the request once
    the client stopped waiting (the sandbox alone would find the client gone and not run it)."""

    sandbox: Any  # a FaultySandbox
    marker: bytes
    times: int = 1
    kind: str = "lost"
    lost: list[bytes] = field(default_factory=list)  # the bodies whose answers were lost

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.sandbox(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
        if self.marker in body and len(self.lost) < self.times:
            self.lost.append(body)
            self.sandbox.faults = Faults(script=[self.kind], slow_seconds=self.sandbox.faults.slow_seconds)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.sandbox(scope, replay, send)


@contextmanager
def losing(sandbox: Any, marker: str, times: int = 1, kind: str = "lost") -> Iterator[tuple[str, LoseAnswers]]:
    """Serve `sandbox`, losing the answer to the first `times` requests that name `marker`."""
    front = LoseAnswers(sandbox, marker.encode(), times, kind)
    with serving(front) as url:
        yield url, front
