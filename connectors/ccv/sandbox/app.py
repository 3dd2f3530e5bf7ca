"""The CCV sandbox: the CCV Shop REST API's subset the connector uses, on 127.0.0.1.

Every request must be signed as CCV's are (`protocol`): the public key it knows, an `x-date`
within five minutes of its clock, and the `x-hash` of `public|METHOD|uri|body|x-date` made with the
secret over the uri and body exactly as received; otherwise 401. Every answer is signed the same
way, over its own body and `x-date`. Paths are taken with or without their trailing slash;
collections page with `start` and `size`. Webhooks made through the API are delivered signed with
their key (`webhooks`). Faults come from the shared kit in CCV's error shape.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from connectors.ccv import protocol
from connectors.ccv.sandbox.store import Data, Refused, Store
from connectors.ccv.sandbox.webhooks import Deliveries
from connectors.testing.faults import FaultAnswers, FaultInjection, FaultySandbox

JSON = "application/json"
Handler = Callable[[Store, list[int], Mapping[str, str], Any], tuple[int, Any]]


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return {"code": code, "status": status, "developermessage": message}


def _too_many_requests() -> Response:
    return Response(json.dumps(_error(429, "429.10", "Rate limit for this resource and method exceeded")), 429,
                    media_type=JSON)  # fmt: skip


def _server_error(chance: random.Random) -> Response:
    return Response(json.dumps(_error(500, "500.00", "Internal server error")), chance.choice([500, 502, 503]),
                    media_type=JSON)  # fmt: skip


ANSWERS = FaultAnswers(_too_many_requests, _server_error, (JSON, b'{"items": ['))


def _collection(items: list[Data], href: str, query: Mapping[str, str]) -> dict[str, Any]:
    try:
        start, size = int(query.get("start", 0)), int(query.get("size", protocol.PAGE_SIZE))
    except ValueError as exc:
        raise Refused(400, "400.10", "start and size must be numbers") from exc
    if start < 0 or not 1 <= size <= 1000:
        raise Refused(400, "400.10", "start must be 0 or more and size 1 to 1000")
    page = items[start : start + size]

    def link(at: int) -> str:
        return f"{href}?start={at}&size={size}"

    return {"href": link(start), "start": start, "size": size, "first": link(0),
            "previous": link(max(start - size, 0)) if start else None,
            "next": link(start + size) if start + size < len(items) else None, "items": page}  # fmt: skip


def _list(get: Callable[[Store, list[int], Mapping[str, str]], list[Data]]) -> Handler:
    return lambda store, ids, query, body: (200, get(store, ids, query))


def _made(make: Callable[[Store, list[int], Any], Data]) -> Handler:
    return lambda store, ids, query, body: (201, make(store, ids, body))


def _done(change: Callable[[Store, list[int], Any], None]) -> Handler:
    def handle(store: Store, ids: list[int], query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        change(store, ids, body)
        return 204, None

    return handle


def _one(get: Callable[[Store, int], Data]) -> Handler:
    return lambda store, ids, query, body: (200, get(store, ids[0]))


def _of(table: str, what: str) -> Callable[[Store, int], Data]:
    def get(store: Store, ident: int) -> Data:
        found: Data | None = getattr(store, table).get(ident)
        if found is None:
            raise Refused(404, "404.10", f"{what} {ident} does not exist")
        return found

    return get


N = r"(\d+)"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "products", _list(lambda s, i, q: s.product_list(q))),
    ("POST", "products", _made(lambda s, i, b: s.create_product(b))),
    ("GET", f"products/{N}", _one(_of("products", "product"))),
    ("PATCH", f"products/{N}", _done(lambda s, i, b: s.patch_product(i[0], b))),
    ("GET", f"products/{N}/attributecombinations", _list(lambda s, i, q: s.product_combinations(i[0]))),
    ("POST", f"products/{N}/productattributevalues", _made(lambda s, i, b: s.add_product_value(i[0], b))),
    ("GET", f"products/{N}/producttocategories", _list(lambda s, i, q: s.product_links(i[0]))),
    ("GET", f"attributecombinations/{N}", _one(_of("combinations", "attribute combination"))),
    ("PATCH", f"attributecombinations/{N}", _done(lambda s, i, b: s.patch_combination(i[0], b))),
    ("GET", "attributes", _list(lambda s, i, q: list(s.attributes.values()))),
    ("POST", "attributes", _made(lambda s, i, b: s.create_attribute(b))),
    ("GET", f"attributes/{N}/attributevalues", _list(lambda s, i, q: s.attribute_values(i[0]))),
    ("POST", f"attributes/{N}/attributevalues", _made(lambda s, i, b: s.create_attribute_value(i[0], b))),
    ("GET", "categories", _list(lambda s, i, q: list(s.categories.values()))),
    ("POST", "categories", _made(lambda s, i, b: s.create_category(b))),
    ("GET", f"categories/{N}", _one(_of("categories", "category"))),
    ("POST", "producttocategories", _made(lambda s, i, b: s.create_link(b))),
    ("GET", "users", _list(lambda s, i, q: list(s.users.values()))),
    ("POST", "users", _made(lambda s, i, b: s.create_user(b))),
    ("GET", f"users/{N}", _one(_of("users", "user"))),
    ("PATCH", f"users/{N}", _done(lambda s, i, b: s.patch_user(i[0], b))),
    ("GET", "usergroups", _list(lambda s, i, q: list(s.usergroups.values()))),
    ("GET", f"usergroups/{N}/users", _list(lambda s, i, q: s.group_users(i[0]))),
    ("GET", "orders", _list(lambda s, i, q: s.order_list(q))),
    ("POST", "orders", _made(lambda s, i, b: s.create_order(b))),
    ("GET", f"orders/{N}", _one(lambda s, ident: s.order(ident))),
    ("PATCH", f"orders/{N}", _done(lambda s, i, b: s.patch_order(i[0], b))),
    ("GET", f"orders/{N}/orderrows", _list(lambda s, i, q: s.order_rows(i[0]))),
    ("PUT", f"orders/{N}/orderrows", _done(lambda s, i, b: s.replace_rows(i[0], list(b or [])))),
    ("PATCH", f"orderrows/{N}", _done(lambda s, i, b: s.patch_row(i[0], b))),
    ("POST", f"orders/{N}/invoices", _made(lambda s, i, b: s.create_invoice(i[0], b or {}))),
    ("GET", "invoices", _list(lambda s, i, q: list(s.invoices.values()))),
    ("GET", f"invoices/{N}", _one(_of("invoices", "invoice"))),
    ("GET", "webhooks", _list(lambda s, i, q: list(s.webhooks.values()))),
    ("POST", "webhooks", _made(lambda s, i, b: s.create_webhook(b))),
    ("GET", f"webhooks/{N}", _one(_of("webhooks", "webhook"))),
    ("PATCH", f"webhooks/{N}", _done(lambda s, i, b: s.patch_webhook(i[0], b))),
    ("DELETE", f"webhooks/{N}", _done(lambda s, i, b: s.delete_webhook(i[0]))),
]
COMPILED = [(method, re.compile(pattern + "/?"), handler) for method, pattern, handler in ROUTES]


@dataclass
class Exchange:
    """One API request as the sandbox answered it: for tests that hold requests and answers to the schemas."""

    method: str
    path: str
    body: Any
    status: int
    answer: Any


@dataclass
class CcvSandbox(FaultySandbox):
    store: Store = field(default_factory=Store)
    public: str = "sandbox-public"
    secret: str = "sandbox-secret"
    clock: Callable[[], float] = time.time
    exchanges: list[Exchange] = field(default_factory=list)
    tamper: bool = False  # answers' bodies changed after they were signed, as a man in the middle would

    def __post_init__(self) -> None:
        self.app = FaultInjection(self._api, ANSWERS)
        self.deliveries = Deliveries(hooks=self.store.webhooks)
        self.store.on_event = self.deliveries.emit

    @property
    def credentials(self) -> dict[str, str]:
        return {"secret": self.secret, "webhook_key": self.store.webhook_key}

    def settings(self, url: str) -> dict[str, Any]:
        return {"url": url, "public_key": self.public}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        uri = protocol.uri_of(scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
                              scope["query_string"].decode("latin-1"))  # fmt: skip
        status, answer = self._answer(
            scope["method"], scope["path"], scope["query_string"].decode(), headers, uri, body
        )
        content = b"" if answer is None else json.dumps(answer).encode()
        date = protocol.timestamp(self.clock())
        signed = protocol.signature(self.secret, headers.get("x-public", self.public), scope["method"], uri, content,
                                    date)  # fmt: skip
        if self.tamper and content:
            content += b" "  # JSON-equal, other bytes: only the signature can tell
        response = Response(content, status, headers={"x-date": date, "x-hash": signed},
                            media_type=JSON if content else None)  # fmt: skip
        await response(scope, receive, send)

    def refusal(self, headers: Mapping[str, str], method: str, uri: str, body: bytes) -> str | None:
        """Why a request's signature is refused, or None when it is good."""
        if headers.get("x-public") != self.public:
            return "unknown public key"
        sent = protocol.parse_timestamp(headers.get("x-date", ""))
        if sent is None:
            return "x-date is no ISO 8601 time with its zone"
        if abs(self.clock() - sent) > protocol.CLOCK_WINDOW:
            return "x-date is more than five minutes from the server's time"
        expected = protocol.signature(self.secret, self.public, method, uri, body, headers["x-date"])
        if headers.get("x-hash", "").lower() != expected:
            return "x-hash does not match the request"
        return None

    def _answer(
        self, method: str, path: str, query: str, headers: Mapping[str, str], uri: str, body: bytes
    ) -> tuple[int, Any]:
        refused = self.refusal(headers, method, uri, body)
        if refused is not None:
            return 401, _error(401, "401.10", refused)
        if not path.startswith(protocol.PREFIX):
            return 404, _error(404, "404.20", "Invalid resource name")
        resource = path[len(protocol.PREFIX) :].strip("/")
        params = dict(parse_qsl(query))
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return 400, _error(400, "400.20", "the body is no JSON")
        status, answer = self._route(method, resource, params, data)
        self.exchanges.append(Exchange(method, resource, data, status, answer))
        return status, answer

    def _route(self, method: str, resource: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        matched = False
        for allowed, pattern, handler in COMPILED:
            found = pattern.fullmatch(resource)
            if found is None:
                continue
            matched = True
            if allowed != method:
                continue
            ids = [int(group) for group in found.groups()]
            try:
                with self.store.lock:
                    status, answer = handler(self.store, ids, query, body)
            except Refused as refused:
                return refused.status, _error(refused.status, refused.code, refused.message)
            except (KeyError, TypeError, ValueError) as exc:
                return 400, _error(400, "400.10", f"bad request: {exc}")
            if isinstance(answer, list):
                answer = _collection(answer, protocol.PREFIX + resource.strip("/") + "/", query)
            return status, answer
        if matched:
            return 405, _error(405, "405.10", "Method not allowed")
        return 404, _error(404, "404.20", "Invalid resource name")
