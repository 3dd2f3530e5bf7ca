"""Webhook deliveries from the sandbox, sent as Shopify sends them, from a background thread, and
retried a few times when the receiver does not answer 2xx.

As Shopify's delivery structure page lists them and real deliveries show: the body compact JSON with
`/` written `\\/` (Shopify's encoder; the signature is over those bytes), `Content-Type:
application/json`, `User-Agent: Shopify-Captain-Hook` and the `X-Shopify-*` headers. One change
(one `emit`) is one event: every subscription to its topic gets it with the same
`X-Shopify-Event-Id` and `X-Shopify-Triggered-At`, each under a webhook id of its own that its
retries keep."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.shopify.schema import API_VERSION
from connectors.shopify.webhooks import sign, topic_enum

RETRY_DELAYS = (0.1, 0.5, 2.0)


@dataclass(frozen=True)
class Subscription:
    id: str
    topic: str  # GraphQL enum, e.g. PRODUCTS_UPDATE
    uri: str
    metafield_namespaces: tuple[str, ...] = ()
    created_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


@dataclass(frozen=True)
class Change:
    """One change in the shop, as every delivery about it names it."""

    event_id: str
    triggered_at: str


def encode(payload: dict[str, Any]) -> bytes:
    """A payload as Shopify's encoder writes a delivery's body: compact, with `/` as `\\/` (and text
    as UTF-8, not `\\u` escapes): bytes a receiver must verify as they came, not as it re-encodes them."""
    # "/" occurs in JSON only inside strings, where "\/" is its escape: same JSON, Shopify's bytes
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/").encode()


@dataclass
class Delivery:
    topic: str
    uri: str
    webhook_id: str
    status: int | None  # the receiver's answer to the last attempt; None when it never answered
    attempts: int
    answered_in_s: float | None = None  # from sending the last attempt to its answer; None: never answered


class Dispatcher:
    def __init__(self, secret: str, shop_domain: str) -> None:
        self.secret = secret
        self.shop_domain = shop_domain
        self.subscriptions: list[Subscription] = []
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[Subscription, str, dict[str, Any], Change] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def subscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self.subscriptions.append(subscription)

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        """Queue `payload` for every subscriber to `topic`; its `metafields` go only to those that
        asked for their namespace."""
        metafields = payload.get("metafields")
        change = Change(str(uuid.uuid4()), datetime.now(UTC).isoformat(timespec="milliseconds"))
        for subscription in [s for s in self.subscriptions if s.topic == topic_enum(topic)]:
            body = {k: v for k, v in payload.items() if k != "metafields"}
            if subscription.metafield_namespaces and metafields is not None:
                body["metafields"] = [m for m in metafields if m["namespace"] in subscription.metafield_namespaces]
            self._queue.put((subscription, topic, body, change))
        self._start()

    def _start(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as http:
            while True:
                item = self._queue.get()
                if item is None:
                    self._queue.task_done()
                    return
                self._deliver(http, *item)
                self._queue.task_done()

    def _deliver(
        self, http: httpx.Client, subscription: Subscription, topic: str, payload: dict[str, Any], change: Change
    ) -> None:
        body = encode(payload)
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(self.secret, body),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": change.event_id,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Triggered-At": change.triggered_at,
        }
        status: int | None = None
        attempts = 0
        answered_in: float | None = None
        for delay in (0.0, *RETRY_DELAYS):
            time.sleep(delay)
            attempts += 1
            sent = time.monotonic()
            try:
                status = http.post(subscription.uri, content=body, headers=headers).status_code
                answered_in = time.monotonic() - sent
            except httpx.HTTPError:
                status, answered_in = None, None
            if status is not None and 200 <= status < 300:
                break
        self.deliveries.append(Delivery(topic, subscription.uri, webhook_id, status, attempts, answered_in))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every event emitted so far has been delivered (or given up on)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
