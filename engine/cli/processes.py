"""A server run as its own process group that is stopped whole.

`tillsync ui` runs Dagster's code server (which starts a gRPC server), webserver and daemon in one
process group: stopping one process can leave its children holding a port, so the whole group gets
the signal a terminal's Ctrl-C would send, then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

import httpx


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
    """Commands in one process group of their own, their output in one log file; stopped as a whole."""

    def __init__(self, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(b"")
        self.log = log
        self.processes: list[subprocess.Popen[bytes]] = []
        self.names: dict[int, str] = {}  # pid → what it is, for messages

    def start(self, name: str, command: Sequence[str], environ: Mapping[str, str]) -> None:
        """Start `command` in the group (the first one makes it)."""
        with self.log.open("ab") as output:
            self.processes.append(
                subprocess.Popen(
                    command, env=dict(environ), stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                    process_group=self.processes[0].pid if self.processes else 0,
                )
            )  # fmt: skip
        self.names[self.processes[-1].pid] = name

    def ended(self) -> subprocess.Popen[bytes] | None:
        """A process of the group that ended (none should while it runs), or None."""
        return next((p for p in self.processes if p.poll() is not None), None)

    def wait_until(self, ready: Callable[[], bool], stop: threading.Event, timeout_s: float) -> bool:
        """Wait until `ready()`; False when a process ended, `stop` was set or time ran out first."""
        deadline = time.monotonic() + timeout_s
        while self.ended() is None and not stop.is_set() and time.monotonic() < deadline:
            if ready():
                return True
            stop.wait(0.1)
        return False

    def stop(self, grace_s: float = 10.0) -> None:
        """Stop every process of the group, also those its processes started: SIGINT, as Ctrl-C in a
        terminal sends to the foreground group; SIGTERM to what is left after `grace_s`; then SIGKILL."""
        for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            if not self._signal(sig):
                return
            deadline = time.monotonic() + wait_s
            while self._alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self._alive():
                return

    def _signal(self, sig: signal.Signals) -> bool:
        if not self.processes:
            return False
        try:
            os.killpg(self.processes[0].pid, sig)
        except ProcessLookupError:
            return False  # the group is gone
        return True

    def _alive(self) -> bool:
        """Whether any process of the group is left (those started here reaped first)."""
        for process in self.processes:
            process.poll()
        try:
            os.killpg(self.processes[0].pid, 0)
        except ProcessLookupError:
            return False
        return True

    def tail(self, lines: int = 15) -> str:
        """The log's last lines, for saying why the group ended."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def answers(url: str) -> bool:
    """Whether `url` answers HTTP 200 now."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def accepts(path: Path) -> bool:
    """Whether a server listens on the Unix socket at `path` now."""
    with socket.socket(socket.AF_UNIX) as probe:
        return probe.connect_ex(str(path)) == 0
