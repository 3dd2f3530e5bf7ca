"""Ports on 127.0.0.1, where sandboxes and the local servers listen."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def port_is_free(port: int) -> bool:
    """Whether a server could listen on HOST:port now (with SO_REUSEADDR, as uvicorn binds)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port no one listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
