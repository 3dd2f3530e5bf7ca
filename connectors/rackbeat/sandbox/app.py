"""The Rackbeat sandbox: Rackbeat's REST API under `/api/` on 127.0.0.1, with its account's rules.

Requests need `Authorization: Bearer <token>` (401 otherwise); the integrator headers are taken and
not required. A record is answered in its singular key, a list in its plural key with `page`,
`limit`, `pages` and `total`, as 206 Partial Content when it holds more than one page and 200
otherwise; a refusal is a 422 with an `errors` map, an unknown record a 404. Lists take `search`
(free text), `updated_at_from`/`updated_at_to` and boolean filters. Webhooks made at `/api/webhooks`
(one per event and url: a second is an update) are delivered from a background thread with the
token header. Faults come from the shared kit (`connectors.testing.faults`) in Rackbeat's shapes.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.rackbeat.protocol import (
    ACCOUNT_HEADER,
    CHECKING_DRAFTS,
    CUSTOMERS,
    DEFAULT_PAGE_SIZE,
    EVENT_HEADER,
    LOCATIONS,
    ORDERS,
    PRODUCT_GROUPS,
    PRODUCTS,
    SHIPMENTS,
    TOKEN_HEADER,
    WEBHOOK_AGENT,
    WEBHOOKS,
    event_entity,
)
from connectors.rackbeat.sandbox.store import Account, NotFound, Refused
from connectors.testing.deliveries import Deliveries
from connectors.testing.faults import FaultAnswers, FaultInjection, FaultySandbox

Data = dict[str, Any]
SEARCHED = ("number", "name", "barcode", "contact_email", "your_reference")


def _too_many_requests() -> Response:
    return JSONResponse({"message": "Too Many Attempts."}, 429, headers={"Retry-After": "1"})


def _server_error(chance: random.Random) -> Response:
    return JSONResponse({"message": "Server Error"}, 503 if chance.random() < 0.5 else 500)


ANSWERS = FaultAnswers(_too_many_requests, _server_error, ("application/json", b'{"product": {'))


def _page(items: list[Data], key: str, request: Request) -> Response:
    params = request.query_params
    limit = max(int(params.get("limit") or DEFAULT_PAGE_SIZE), 1)
    page = max(int(params.get("page") or 1), 1)
    pages = max(math.ceil(len(items) / limit), 1)
    body = {
        key: items[(page - 1) * limit : page * limit],
        "total": len(items),
        "pages": pages,
        "limit": limit,
        "page": page,
    }
    return JSONResponse(body, 206 if pages > 1 else 200)


def _filtered(items: Iterable[Data], request: Request) -> list[Data]:
    params = request.query_params
    found = list(items)
    if text := params.get("search"):
        found = [i for i in found if any(text.lower() in str(i.get(f) or "").lower() for f in SEARCHED)]
    if since := params.get("updated_at_from"):
        found = [i for i in found if str(i.get("updated_at") or "") >= since]
    if until := params.get("updated_at_to"):
        found = [i for i in found if str(i.get("updated_at") or "") <= until]
    for name, value in params.items():
        if name.startswith("is_") or name == "order_number":
            found = [
                i
                for i in found
                if str(i.get(name)).lower() in (value.lower(), {"1": "true", "0": "false"}.get(value, value))
            ]
    return found


def _done(action: Callable[[str], None], key: str) -> Data:
    action(key)
    return {}


@dataclass
class Webhooks(Deliveries):
    """Webhooks made through the API, and their deliveries, with the account's static token."""

    token: str = ""
    account_id: str = "1"
    hooks: dict[int, Data] = field(default_factory=dict)
    thread_name: str = "rackbeat-webhooks"

    def save(self, body: Data, now: str) -> Data:
        event, url = str(body.get("event") or ""), str(body.get("url") or "")
        errors = {k: f"The {k} field is required." for k, v in (("event", event), ("url", url)) if not v}
        if errors:
            raise Refused(errors)
        found = next((h for h in self.hooks.values() if h["event"] == event and h["url"] == url), None)
        hook = found or {
            "id": len(self.hooks) + 1,
            "event": event,
            "url": url,
            "created_at": now,
            "failures_since_last_success": 0,
            "plugin": None,
        }
        hook.update(is_active=bool(body.get("is_active", True)), updated_at=now)
        self.hooks[hook["id"]] = hook
        return {**hook, "token": self.token} if found is None else hook  # the token is shown once, on create

    def emit(self, event: str, data: Data, extra: Data) -> None:
        resource, action = event_entity(event)
        for hook in [
            h for h in self.hooks.values() if h["is_active"] and event_entity(h["event"]) == (resource, action)
        ]:
            key_name = "number" if "number" in data else "id"
            payload = {"key": data.get(key_name), "key_name": key_name, "event": event, "data": data}
            if action == "updated":
                payload.update({k: extra[k] for k in ("old_key", "new_key", "changed") if k in extra})
            headers = {"Content-Type": "application/json", "User-Agent": WEBHOOK_AGENT, TOKEN_HEADER: self.token,
                       EVENT_HEADER: event, ACCOUNT_HEADER: self.account_id}  # fmt: skip
            self.send(hook["url"], json.dumps(payload).encode(), headers, event)


@dataclass
class RackbeatSandbox(FaultySandbox):
    account: Account = field(default_factory=Account)
    token: str = "rackbeat-sandbox-token"
    webhook_token: str = "rackbeat-sandbox-webhook-token-32"
    requests_seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (method, path, headers)

    def __post_init__(self) -> None:
        self.webhooks = Webhooks(token=self.webhook_token)
        self.account.on_event = self.webhooks.emit
        a = self.account
        routes = [
            self._list(PRODUCTS.path, PRODUCTS.many, lambda: [a._with_stock(p) for p in a.products.values()]),
            self._list(PRODUCT_GROUPS.path, PRODUCT_GROUPS.many, lambda: list(a.groups.values())),
            self._list(LOCATIONS.path, LOCATIONS.many, lambda: list(a.locations.values())),
            self._list(CUSTOMERS.path, CUSTOMERS.many, lambda: list(a.customers.values())),
            self._list(ORDERS.path, ORDERS.many, lambda: [a._shown(o) for o in a.orders.values()]),
            self._list(SHIPMENTS.path, SHIPMENTS.many, lambda: list(a.shipments.values())),
            self._list(WEBHOOKS.path, WEBHOOKS.many, lambda: list(self.webhooks.hooks.values())),
            self._list(CHECKING_DRAFTS.path, CHECKING_DRAFTS.many, lambda: list(a.checking_drafts.values())),
            self._route(
                "POST", CHECKING_DRAFTS.path, lambda r, b: (201, {CHECKING_DRAFTS.one: a.create_checking_draft(b)})
            ),
            self._route(
                "POST",
                CHECKING_DRAFTS.path + "/{key}/book",
                lambda r, b: (200, {CHECKING_DRAFTS.one: a.book_checking_draft(r["key"])}),
            ),
            self._route("POST", PRODUCTS.path, lambda r, b: (201, {PRODUCTS.one: a.save_product(b)})),
            self._route("GET", PRODUCTS.path + "/{key}", lambda r, b: (200, {PRODUCTS.one: a.product(r["key"])})),
            self._route(
                "PUT", PRODUCTS.path + "/{key}", lambda r, b: (200, {PRODUCTS.one: a.save_product(b, r["key"])})
            ),
            self._route("DELETE", PRODUCTS.path + "/{key}", lambda r, b: (200, _done(a.delete_product, r["key"]))),
            self._route(
                "GET", "items/{key}/locations/available", lambda r, b: (206, {LOCATIONS.many: a.item_stock(r["key"])})
            ),
            self._route("POST", PRODUCT_GROUPS.path, lambda r, b: (201, {PRODUCT_GROUPS.one: a.save_group(b)})),
            self._route(
                "GET", PRODUCT_GROUPS.path + "/{key}", lambda r, b: (200, {PRODUCT_GROUPS.one: a.group(r["key"])})
            ),
            self._route(
                "PUT",
                PRODUCT_GROUPS.path + "/{key}",
                lambda r, b: (200, {PRODUCT_GROUPS.one: a.save_group(b, a.group(r["key"])["number"])}),
            ),
            self._route("DELETE", PRODUCT_GROUPS.path + "/{key}", lambda r, b: (200, _done(a.delete_group, r["key"]))),
            self._route("POST", CUSTOMERS.path, lambda r, b: (201, {CUSTOMERS.one: a.save_customer(b)})),
            self._route("GET", CUSTOMERS.path + "/{key}", lambda r, b: (200, {CUSTOMERS.one: a.customer(r["key"])})),
            self._route(
                "PUT", CUSTOMERS.path + "/{key}", lambda r, b: (200, {CUSTOMERS.one: a.save_customer(b, r["key"])})
            ),
            self._route("POST", ORDERS.path, lambda r, b: (201, {ORDERS.one: a.create_order(b, booked=True)})),
            self._route(
                "POST", ORDERS.path + "/drafts", lambda r, b: (201, {ORDERS.one: a.create_order(b, booked=False)})
            ),
            self._route("GET", ORDERS.path + "/{key}", lambda r, b: (200, {ORDERS.one: a.order(r["key"])})),
            self._route("POST", ORDERS.path + "/{key}/book", lambda r, b: (200, {ORDERS.one: a.book(r["key"])})),
            self._route(
                "POST",
                ORDERS.path + "/{key}/create-shipment",
                lambda r, b: (201, {SHIPMENTS.one: a.create_shipment(r["key"])}),
            ),
            self._route(
                "POST",
                ORDERS.path + "/shipments/{key}/mark-shipped",
                lambda r, b: (200, {SHIPMENTS.one: a.mark_shipped(r["key"])}),
            ),
            self._route(
                "POST",
                ORDERS.path + "/{key}/convert-to-invoice",
                lambda r, b: (200, {"invoice_id": a.convert_to_invoice(r["key"], r["book"] != "false")}),
            ),
            self._route("POST", WEBHOOKS.path, lambda r, b: (201, {WEBHOOKS.one: self.webhooks.save(b, a.now())})),
        ]
        self.app = FaultInjection(Starlette(routes=routes), ANSWERS)

    @property
    def credentials(self) -> dict[str, str]:
        return {"api_token": self.token, "webhook_token": self.webhook_token}

    def settings(self, url: str) -> dict[str, Any]:
        return {"url": url}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def _authorised(self, request: Request) -> Response | None:
        self.requests_seen.append((request.method, request.url.path, dict(request.headers)))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"message": "Unauthenticated."}, 401)
        return None

    def _list(self, path: str, key: str, items: Callable[[], list[Data]]) -> Route:
        async def endpoint(request: Request) -> Response:
            refused = self._authorised(request)
            if refused is not None:
                return refused
            with self.account.lock:
                return _page(_filtered(items(), request), key, request)

        return Route(f"/api/{path}", endpoint, methods=["GET"])

    def _route(self, method: str, path: str, handler: Callable[[dict[str, str], Data], tuple[int, Data]]) -> Route:
        async def endpoint(request: Request) -> Response:
            refused = self._authorised(request)
            if refused is not None:
                return refused
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return JSONResponse({"message": "The body is not JSON."}, 400)
            if not isinstance(body, dict):
                return JSONResponse({"message": "The body must be a JSON object."}, 400)
            arguments = {**request.path_params, "book": request.query_params.get("book", "true")}
            try:
                with self.account.lock:
                    status, answer = handler(arguments, body)
            except NotFound:
                return JSONResponse({"message": "Not found."}, 404)
            except Refused as refusal:
                return JSONResponse({"message": "The given data was invalid.", "errors": refusal.errors}, 422)
            return JSONResponse(answer, status)

        return Route(f"/api/{path}", endpoint, methods=[method])
