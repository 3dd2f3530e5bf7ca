"""A sandbox asked to serve on a port another program holds: one sentence, never a traceback (`tillsync
sandbox up` on such a port: tests/cli/test_sandboxes.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from connectors.testing.server import PortTaken, Serving


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serving_on_a_taken_port_says_which(held_port: int) -> None:
    with pytest.raises(PortTaken, match=f"port {held_port} on 127.0.0.1 is taken by another program"):
        Serving(object(), held_port).start()
