"""Webhook deliveries a sandbox makes, as a vendor does: posted in order from a background thread,
after the change that caused them, with what each receiver answered kept for tests to read."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx


@dataclass
class Deliveries:
    """The deliveries queued by a sandbox's webhooks; `delivered` holds (event, status) per delivery
    made, status None when the receiver could not be reached."""

    thread_name: str = "sandbox-webhooks"
    delivered: list[tuple[str, int | None]] = field(default_factory=list)
    _queue: queue.Queue[tuple[str, bytes, dict[str, str], str]] = field(default_factory=queue.Queue)
    _worker: threading.Thread | None = None

    def send(self, url: str, body: bytes, headers: Mapping[str, str], event: str) -> None:
        """Queue a POST of `body` to `url`; it is made after what is queued before it."""
        self._queue.put((url, body, dict(headers), event))
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._worker.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as http:
            while True:
                url, body, headers, event = self._queue.get()
                try:
                    status: int | None = http.post(url, content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = None
                self.delivered.append((event, status))
                self._queue.task_done()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every delivery queued so far was made (or failed)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
