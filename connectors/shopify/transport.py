"""GraphQL over HTTP to Shopify's Admin API, inside its rate budget: Shopify's quirks on `connectors.http`.

Every response carries `extensions.cost.throttleStatus`; the transport keeps a model of the bucket
from it and, before each request, waits until the bucket holds the request's calculated cost, so
it is never overdrawn. Given a shared `budget` (the engine hands one to every client of a shop:
`engine.state.budgets`), it draws each request's cost from that one model of the shop's bucket,
which every process writing to the shop draws from, and settles it with the answer: runs on
several workers share the bucket instead of each believing it has it whole. When Shopify still
answers THROTTLED (inside an HTTP 200) it waits exactly what the restore rate needs, and waits so
however often it comes, until the run's `deadline`. GraphQL `errors` without `data` are fatal, and
ACCESS_DENIED names the missing scope. The rest is the shared table: 429 Retry-After, 5xx, timeouts
and dropped connections retried with backoff, 401/403 and other 4xx fatal. A mutation that is not
safe to send twice (`idempotency.WRITES`) is never sent again once its answer may be lost:
`AnswerLostError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from connectors import http
from connectors.http import DEFAULT_TABLE, Action, Backoff, ErrorTable, HeaderToken, Resolution, Retry
from connectors.shopify.cost import query_cost
from connectors.shopify.documents import Document
from connectors.shopify.idempotency import may_resend
from connectors.shopify.schema import API_VERSION, admin_schema
from engine.connector import Drawn, RateBudget

SAFETY_POINTS = 1.0
TABLE: ErrorTable = MappingProxyType({
    **DEFAULT_TABLE,
    401: Resolution(Action.fatal, "Shopify refused the access token (HTTP 401); check the shop's credentials"),
    403: Resolution(Action.fatal, "Shopify refused the request (HTTP 403): {body}"),
    range(400, 500): Resolution(Action.fatal, "Shopify answered HTTP {status}: {body}"),
})  # fmt: skip
# A signed download URL is a credential: a refusal's body may quote it, so it is not repeated.
DOWNLOAD_TABLE: ErrorTable = MappingProxyType({
    **DEFAULT_TABLE,
    403: Resolution(Action.fatal, "{what}: refused (HTTP 403); the link may have expired"),
    range(400, 500): Resolution(Action.fatal, "{what}: HTTP {status}"),
})  # fmt: skip
BACKOFF = Backoff(first=0.25, cap=10.0)
THROTTLED = "throttled"  # the problem a THROTTLED answer is retried for; counted apart from other retries


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
    token: str = field(repr=False)
    timeout: float = 30.0
    max_attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    bucket: BucketModel = field(default_factory=BucketModel)
    usage: Usage = field(default_factory=Usage)
    http_transport: httpx.BaseTransport | None = None  # in place of the network: tests pass an httpx.MockTransport
    deadline: float | None = None  # `clock` time the run must end by: rate limits are waited out until then
    budget: RateBudget | None = None  # the shop's bucket shared with other processes; None: this one's model

    def __post_init__(self) -> None:
        self.http = http.client(
            base_url=self.base_url.rstrip("/"),
            auth=HeaderToken("X-Shopify-Access-Token", self.token),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
            transport=self.http_transport,
        )
        # Files Shopify hands out at signed URLs are fetched without the shop's token: that host needs none.
        self.downloads = http.client(auth=None, timeout=self.timeout, transport=self.http_transport)
        self.path = f"/admin/api/{API_VERSION}/graphql.json"
        self._costs: dict[tuple[str, tuple[tuple[str, Any], ...]], int] = {}

    def close(self) -> None:
        self.http.close()
        self.downloads.close()

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
        sent = self.http.build_request("POST", self.path, json={"query": document.text, "variables": dict(variables)})
        drawn = _Drawn()  # the attempt whose points are drawn and not yet settled
        try:
            return http.send(
                self.http,
                sent,
                f"Shopify {document.name}",
                lambda response: self._read(response, cost, drawn),
                self._retry(TABLE),
                before=lambda: self._pace(cost, drawn),
                on_retry=self._count_retry,
                resend=may_resend(document),
            )
        finally:
            self._settle_unanswered(cost, drawn)

    def download(self, url: str) -> Iterator[str]:
        """The lines of a file Shopify hands out at a signed URL (a bulk export's), streamed."""
        sent = self.downloads.build_request("GET", url)
        response = http.send(self.downloads, sent, "Shopify bulk export file", _unread, self._retry(DOWNLOAD_TABLE),
                             stream=True)  # fmt: skip
        try:
            yield from response.iter_lines()
        finally:
            response.close()

    def _retry(self, table: ErrorTable) -> Retry:
        # Built per call: tests and the bench change `max_attempts` and `sleep` on a transport in use.
        patience = http.PATIENCE if self.deadline is None else max(self.deadline - self.clock(), 0.0)
        return Retry(table, self.max_attempts, BACKOFF, self._wait, patience=patience)

    @property
    def budget_key(self) -> str:
        """The shop's bucket: Shopify keeps one per app and shop."""
        return f"shopify:{self.base_url.rstrip('/')}"

    def _pace(self, cost: int, drawn: _Drawn) -> None:
        if self.budget is None:
            self._wait(self.bucket.wait_for(cost, self.clock()))
        else:
            self._settle_unanswered(cost, drawn)  # the attempt before this one read no answer
            points = min(cost + SAFETY_POINTS, self.bucket.maximum)
            drawn.points = points
            drawn.draw = self.budget.draw(self.budget_key, points, self.bucket.maximum, self.bucket.restore_rate)
            self._wait(drawn.draw.wait)
        self.usage.calls += 1

    def _settle(self, drawn: _Drawn, spent: float, reported: float | None) -> None:
        """Tell the shared budget what the attempt that drew `drawn` cost, and what Shopify reported left."""
        if self.budget is not None and drawn.points is not None and drawn.draw is not None:
            points, drawn.points = drawn.points, None
            self.budget.settle(self.budget_key, drawn.draw, points, spent, reported, self.bucket.maximum,
                               self.bucket.restore_rate)  # fmt: skip

    def _settle_unanswered(self, cost: int, drawn: _Drawn) -> None:
        """An attempt whose answer never came (cut, timed out, an error page): taken as charged in full,
        so its points leave the shared budget's in-flight count and are not given back."""
        if drawn.points is not None:
            self._settle(drawn, min(float(cost), drawn.points), None)

    def _count_retry(self, resolution: Resolution) -> None:
        if resolution.message != THROTTLED:
            self.usage.retries += 1

    def _read(self, response: httpx.Response, cost: int, drawn: _Drawn) -> dict[str, Any] | Resolution:
        """The answer's `data`, having learnt the bucket from it; or what to do when it has none."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):  # Shopify had the request: it may have been carried out
            return Resolution(Action.retry, "the answer was cut off", reached=True)
        usage = (body.get("extensions") or {}).get("cost") or {}
        status = usage.get("throttleStatus")
        if status:
            self.bucket = BucketModel(
                float(status["maximumAvailable"]), float(status["currentlyAvailable"]),
                float(status["restoreRate"]), self.clock(),
            )  # fmt: skip
        errors = body.get("errors") or []
        codes = {((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
        throttled = "THROTTLED" in codes  # a throttled request is not charged
        actual = usage.get("actualQueryCost")  # 0 for a read that found nothing; absent: charged as requested
        spent = 0.0 if throttled else float(actual if actual is not None else usage.get("requestedQueryCost") or 0)
        self._settle(drawn, spent, float(status["currentlyAvailable"]) if status else None)
        if throttled:
            self.usage.throttled += 1
            wait = self.bucket.wait_for(cost, self.clock()) or 1.0 / max(self.bucket.restore_rate, 1.0)
            return Resolution(Action.rate_limited, THROTTLED, wait=wait)
        self.usage.requested_points += int(usage.get("requestedQueryCost") or 0)
        self.usage.actual_points += int(usage.get("actualQueryCost") or 0)
        if "ACCESS_DENIED" in codes:
            denied = next(e for e in errors if (e.get("extensions") or {}).get("code") == "ACCESS_DENIED")
            return Resolution(Action.fatal, f"Shopify: {denied.get('message')} Grant it to the app and try again.")
        if errors and not body.get("data"):
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            return Resolution(Action.fatal, f"Shopify rejected the request: {messages}")
        data: dict[str, Any] = body.get("data") or {}
        return data

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.usage.waited_s += seconds
            self.sleep(seconds)


@dataclass
class _Drawn:
    """The points an attempt drew from the shared budget, and the draw; None once settled (or never drawn)."""

    points: float | None = None
    draw: Drawn | None = None


def _unread(response: httpx.Response) -> httpx.Response:
    return response
