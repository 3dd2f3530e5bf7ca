"""Serve a sandbox's ASGI app with uvicorn on 127.0.0.1, in a background thread.

Used by the tests, by `make demo` and by `tillsync sandbox up`: real HTTP over loopback, on a port
the operating system picks unless one is asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


class Serving:
    def __init__(self, app: Any, port: int = 0) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="sandbox", daemon=True)

    def start(self) -> str:
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
