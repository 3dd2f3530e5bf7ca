"""The CCV sandbox's webhooks: those made through `/webhooks/`, and their deliveries.

A change the store makes (`Store.on_event`) is sent to every active webhook of its event, from a
background thread, as `protocol` assumes CCV sends it: `{"event", "id", "href", "data"}` with the
resource as the API answers it, and `x-hash` over the raw body made with the webhook's key.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.ccv import protocol

Data = dict[str, Any]


@dataclass
class Deliveries:
    hooks: dict[int, Data]  # the store's webhooks, by id
    delivered: list[tuple[str, int | None]] = field(default_factory=list)  # (event, status) per delivery
    _queue: queue.Queue[tuple[str, str, bytes, str]] = field(default_factory=queue.Queue)
    _worker: threading.Thread | None = None

    def emit(self, event: str, resource: Data) -> None:
        """Queue a delivery of `event` about `resource` (as it is now) for each active webhook of it."""
        kind = event.partition(".")[0]
        payload = {"event": event, "id": resource["id"], "href": f"{protocol.PREFIX}{kind}/{resource['id']}/",
                   "data": resource}  # fmt: skip
        body = json.dumps(payload, separators=(",", ":")).encode()
        hooks = [h for h in self.hooks.values() if h["is_active"] and h["event"] == event]
        for hook in hooks:
            self._queue.put((hook["address"], hook["key"], body, event))
        if hooks and (self._worker is None or not self._worker.is_alive()):
            self._worker = threading.Thread(target=self._run, name="ccv-webhooks", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as http:
            while True:
                address, key, body, event = self._queue.get()
                headers = {"content-type": "application/json",
                           protocol.WEBHOOK_HASH_HEADER: protocol.webhook_signature(key, body)}  # fmt: skip
                try:
                    status: int | None = http.post(address, content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = None
                self.delivered.append((event, status))
                self._queue.task_done()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every delivery queued so far was made (or failed)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
