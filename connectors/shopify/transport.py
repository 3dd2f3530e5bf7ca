"""GraphQL over HTTP to Shopify's Admin API, inside its rate budget.

Every response carries `extensions.cost.throttleStatus`; the transport keeps a model of the bucket
from it and, before each request, waits until the bucket holds the request's calculated cost, so
it is never overdrawn. When Shopify still answers THROTTLED it waits exactly what the restore rate
needs; it honours 429 Retry-After, retries 5xx, timeouts and dropped connections with backoff, and
classifies the rest: 401/403 and access-denied errors are fatal and name the missing scope.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from connectors.shopify.cost import query_cost
from connectors.shopify.documents import Document
from connectors.shopify.schema import API_VERSION, admin_schema
from engine.errors import FatalConnectorError, RetriableConnectorError

SAFETY_POINTS = 1.0


@dataclass
class BucketModel:
    """What the client knows of its bucket: the last status Shopify reported, and when."""

    maximum: float = 1000.0
    available: float = 1000.0
    restore_rate: float = 50.0
    stamp: float = 0.0

    def now_available(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.stamp) * self.restore_rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until the bucket holds `cost` points (0 when it already does). One point of margin
        covers the rounding of the reported level and the drift between Shopify's clock and ours."""
        missing = min(cost + SAFETY_POINTS, self.maximum) - self.now_available(now)
        return missing / self.restore_rate if missing > 0 else 0.0


@dataclass
class Usage:
    calls: int = 0
    requested_points: int = 0
    actual_points: int = 0
    throttled: int = 0
    retries: int = 0
    waited_s: float = 0.0


@dataclass
class Transport:
    base_url: str
    token: str
    timeout: float = 30.0
    max_attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    bucket: BucketModel = field(default_factory=BucketModel)
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            headers={"X-Shopify-Access-Token": self.token, "Content-Type": "application/json"},
            timeout=self.timeout,
        )
        self.path = f"/admin/api/{API_VERSION}/graphql.json"
        self._costs: dict[tuple[str, tuple[tuple[str, Any], ...]], int] = {}

    def close(self) -> None:
        self.http.close()

    def cost_of(self, document: Document, variables: Mapping[str, Any]) -> int:
        """The requested cost Shopify will charge, computed from the document as Shopify does."""
        sizes = tuple(sorted((k, v) for k, v in variables.items() if k in ("first", "last")))
        key = (document.text, sizes)
        if key not in self._costs:
            parsed = parse(document.text)
            operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
            fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
            self._costs[key] = query_cost(admin_schema(), operation, fragments, dict(sizes))
        return self._costs[key]

    def request(self, document: Document, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run one operation; returns its `data`. Raises a connector error it has classified."""
        cost = self.cost_of(document, variables)
        last_problem = ""
        for attempt in range(self.max_attempts):
            self._wait(self.bucket.wait_for(cost, self.clock()))
            self.usage.calls += 1
            try:
                response = self.http.post(self.path, json={"query": document.text, "variables": dict(variables)})
            except httpx.TimeoutException:
                last_problem = f"no answer within {self.timeout:g} s"
                self._backoff(attempt)
                continue
            except httpx.TransportError as exc:
                last_problem = f"connection failed: {type(exc).__name__}"
                self._backoff(attempt)
                continue
            retry_after = self._retry_after(response)
            if retry_after is not None:
                last_problem = f"HTTP {response.status_code}"
                self.usage.retries += 1
                self._wait(retry_after)
                continue
            body = self._body(response)
            if body is None:
                last_problem = "the answer was cut off"
                self._backoff(attempt)
                continue
            throttled = self._observe(body, cost)
            if throttled is not None:
                last_problem = "throttled"
                self._wait(throttled)
                continue
            return body.get("data") or {}
        raise RetriableConnectorError(
            f"Shopify {document.name}: gave up after {self.max_attempts} attempts ({last_problem})", retry_after=5.0
        )

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying, for answers that ask for a retry; None otherwise."""
        status = response.status_code
        if status == 401:
            raise FatalConnectorError("Shopify refused the access token (HTTP 401); check the shop's credentials")
        if status == 403:
            raise FatalConnectorError(f"Shopify refused the request (HTTP 403): {response.text[:200]}")
        if status == 429:
            header = response.headers.get("Retry-After", "1")
            try:
                return max(float(header), 0.0)
            except ValueError:
                return 1.0
        if status >= 500:
            return min(2.0**self.usage.retries, 30.0) * 0.25
        if status >= 400:
            raise FatalConnectorError(f"Shopify answered HTTP {status}: {response.text[:200]}")
        return None

    def _body(self, response: httpx.Response) -> dict[str, Any] | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _observe(self, body: Mapping[str, Any], cost: int) -> float | None:
        """Learn the bucket from the answer; return the wait when Shopify throttled the request."""
        status = ((body.get("extensions") or {}).get("cost") or {}).get("throttleStatus")
        usage = (body.get("extensions") or {}).get("cost") or {}
        if status:
            self.bucket = BucketModel(
                float(status["maximumAvailable"]), float(status["currentlyAvailable"]),
                float(status["restoreRate"]), self.clock(),
            )  # fmt: skip
        errors = body.get("errors") or []
        codes = {((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes:
            self.usage.throttled += 1
            return self.bucket.wait_for(cost, self.clock()) or 1.0 / max(self.bucket.restore_rate, 1.0)
        self.usage.requested_points += int(usage.get("requestedQueryCost") or 0)
        self.usage.actual_points += int(usage.get("actualQueryCost") or 0)
        if "ACCESS_DENIED" in codes:
            denied = next(e for e in errors if (e.get("extensions") or {}).get("code") == "ACCESS_DENIED")
            raise FatalConnectorError(f"Shopify: {denied.get('message')} Grant it to the app and try again.")
        if errors and not body.get("data"):
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise FatalConnectorError(f"Shopify rejected the request: {messages}")
        return None

    def _backoff(self, attempt: int) -> None:
        self.usage.retries += 1
        self._wait(min(0.25 * 2**attempt, 10.0))

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.usage.waited_s += seconds
            self.sleep(seconds)
