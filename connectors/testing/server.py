"""Serve a sandbox's ASGI app with uvicorn on 127.0.0.1, in a background thread.

Used by the tests, by `make demo` and by `tillsync sandbox up`: real HTTP over loopback, on a port
the operating system picks unless one is asked for. `Receiver` is the other end: an app that keeps
the webhook deliveries a sandbox sends it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send

from connectors.testing.ports import HOST, port_is_free
from engine.connector import Connector, Sandbox, SandboxSeed
from engine.errors import TillsyncError


class PortTaken(TillsyncError):
    """The port a sandbox was asked to serve on is held by another program."""


class Serving:
    def __init__(self, app: Any, port: int = 0) -> None:
        self.port = port
        config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="sandbox", daemon=True)

    def start(self) -> str:
        if self.port and not port_is_free(self.port):
            raise PortTaken(f"port {self.port} on {HOST} is taken by another program (another tillsync sandbox "
                            "up, or the demo?); stop it, or serve the sandbox on another port")  # fmt: skip
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def serving(app: Any, port: int = 0) -> Iterator[str]:
    """Serve `app` for the block; yields its base URL, `http://127.0.0.1:PORT`."""
    server = Serving(app, port)
    base_url = server.start()
    try:
        yield base_url
    finally:
        server.stop()


@dataclass(frozen=True)
class RunningSandbox:
    """A connector's sandbox being served: where, and what a client needs."""

    connector: Connector
    url: str
    sandbox: Sandbox

    @property
    def name(self) -> str:
        return self.connector.name

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def credentials(self) -> Mapping[str, str]:
        return self.sandbox.credentials

    def settings(self) -> dict[str, Any]:
        return self.sandbox.settings(self.url)


@contextmanager
def running(wanted: Sequence[tuple[Connector, int, SandboxSeed]]) -> Iterator[list[RunningSandbox]]:
    """Serve a sandbox of its own for each (connector, port, seed) of `wanted`, for the block, in
    that order; port 0 picks a free one. Two of one connector are two sandboxes (two Shopify shops)."""
    with ExitStack() as stack:
        started = []
        for connector, port, seed in wanted:
            if connector.sandbox is None:
                raise ValueError(f"the {connector.name} connector has no sandbox")
            sandbox = connector.sandbox.start(seed)
            url = stack.enter_context(serving(sandbox, port))
            started.append(RunningSandbox(connector, url, sandbox))
        yield started


@contextmanager
def running_sandboxes(
    connectors: Mapping[str, Connector], ports: Mapping[str, int] | None = None, catalogue: bool = False
) -> Iterator[dict[str, RunningSandbox]]:
    """Serve one sandbox of every connector that declares one, for the block, by connector name.
    Each is on its declared port unless `ports` names another (0 picks a free port)."""
    chosen = dict(ports or {})
    wanted = [(connector, chosen.get(name, connector.sandbox.port), SandboxSeed(catalogue))
              for name, connector in connectors.items() if connector.sandbox is not None]  # fmt: skip
    with running(wanted) as started:
        yield {sandbox.name: sandbox for sandbox in started}


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as it arrived: headers (names lower-cased, as receivers see them) and the raw body."""

    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An ASGI app that answers 200 to every POST and keeps it as a `Delivery`."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            self.deliveries.append(Delivery(scope["path"], headers, body))
        status = 200 if scope["method"] == "POST" else 405
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Delivery]:
        """The deliveries once at least `count` arrived; raises AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.deliveries)} webhook deliveries arrived in {timeout:g} s; "
                                     f"expected at least {count}")  # fmt: skip
            time.sleep(0.01)
        return list(self.deliveries)
