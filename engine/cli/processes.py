"""Ports on 127.0.0.1, and a server run as its own process group that is stopped whole.

`tillsync ui` runs `dagster dev`, which starts a webserver, a daemon and a code server that starts
a gRPC server: stopping `dagster dev` alone can leave its children holding the port. So it gets the
signal a terminal's Ctrl-C would send, and whatever of its group outlives it SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

import httpx

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
    """A port no one listens on now, for a suggestion."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """For the block, SIGINT and SIGTERM set the event yielded instead of interrupting whatever runs."""
    stop = threading.Event()

    def note(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class ProcessGroup:
    """A command in a process group of its own, its output in a log file."""

    def __init__(self, command: Sequence[str], environ: Mapping[str, str], log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, env=dict(environ), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                process_group=0,
            )  # fmt: skip

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_until_answering(self, url: str, stop: threading.Event, timeout_s: float) -> bool:
        """Wait until `url` answers HTTP 200; False when the group ended, `stop` was set or time ran out."""
        deadline = time.monotonic() + timeout_s
        while self.running() and not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1).status_code == 200:
                    return True
            stop.wait(0.1)
        return False

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop every process of the group. The leader gets SIGINT, as from Ctrl-C, and stops its
        children its own way; what is left once it ended (or after `grace_s`) gets SIGTERM, then SIGKILL."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace_s)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not self._signal(sig):
                return
            deadline = time.monotonic() + 3.0
            while self._alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self._alive():
                return

    def _signal(self, sig: signal.Signals) -> bool:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return False  # the group is gone
        return True

    def _alive(self) -> bool:
        """Whether any process of the group is left (the leader reaped, its children perhaps not)."""
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def tail(self, lines: int = 15) -> str:
        """The log's last lines, for saying why the group ended."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])
