"""The EasyCashier sandbox: the Back Office's JSON API on 127.0.0.1, with its behaviour.

`POST /v1/login` hands out a token that expires (`BackOffice.token_lifetime`; a test can expire
them all at once), sent back in `X-Auth-Token`; every other call is under `/v1/company/{orgnr}`.
Errors are JSON `{"message": ...}` (the real envelope is unknown; see `protocol`). Faults come from
the shared kit (`connectors.testing.faults`) in these shapes. `POST /_sandbox/sales` with
`{"articleNumber", "storeNumber", "quantity"}` rings up a sale at the till (negative: a return).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connectors.easycashier import protocol as p
from connectors.easycashier.sandbox.store import BackOffice, Refused
from connectors.testing.faults import FaultAnswers, FaultInjection, FaultySandbox

COMPANY = "/v1/company/{company}"


def _too_many_requests() -> Response:
    return JSONResponse({"message": "Too many requests"}, 429, headers={"Retry-After": "1"})


def _server_error(chance: random.Random) -> Response:
    return JSONResponse({"message": "Internal server error"}, chance.choice([500, 502, 503]))


ANSWERS = FaultAnswers(_too_many_requests, _server_error, ("application/json", b'{"items": ['))


@dataclass
class EasyCashierSandbox(FaultySandbox):
    office: BackOffice = field(default_factory=BackOffice)
    calls: list[str] = field(default_factory=list)  # "METHOD path" of every API call, in order

    def __post_init__(self) -> None:
        api = Starlette(routes=[
            Route(p.LOGIN_PATH, self._login, methods=["POST"]),
            Route(COMPANY + p.ARTICLES_PATH, self._articles, methods=["GET", "POST"]),
            Route(COMPANY + p.ARTICLE_PATH, self._article, methods=["PUT"]),
            Route(COMPANY + p.INCREASE_PATH, self._increase, methods=["POST"]),
            Route(COMPANY + p.DECREASE_PATH, self._decrease, methods=["POST"]),
            Route(COMPANY + p.SALES_PATH, self._sales_report, methods=["GET"]),
            Route("/_sandbox/sales", self._sell, methods=["POST"]),
        ])  # fmt: skip
        self.app = FaultInjection(api, ANSWERS)

    @property
    def credentials(self) -> dict[str, str]:
        username, password = next(iter(self.office.users.items()))
        return {"username": username, "password": password}

    def settings(self, url: str) -> dict[str, Any]:
        return {"url": url, "company": self.office.company, "stores": list(self.office.stores)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _login(self, request: Request) -> Response:
        return await self._answer(request, lambda body: self.office.login(body), authorised=False)

    async def _articles(self, request: Request) -> Response:
        if request.method == "GET":
            return await self._answer(request, lambda body: self.office.list_articles(request.query_params))
        return await self._answer(request, self.office.create_article, status=201)

    async def _article(self, request: Request) -> Response:
        article_id = request.path_params["id"]
        return await self._answer(request, lambda body: self.office.update_article(article_id, body))

    async def _increase(self, request: Request) -> Response:
        return await self._answer(request, lambda body: self.office.change_stock(body, 1))

    async def _decrease(self, request: Request) -> Response:
        return await self._answer(request, lambda body: self.office.change_stock(body, -1))

    async def _sales_report(self, request: Request) -> Response:
        return await self._answer(request, lambda body: self.office.sales_report(request.query_params))

    async def _sell(self, request: Request) -> Response:
        def sell(body: Any) -> dict[str, Any]:
            self.office.sell(str(body[p.ARTICLE_NUMBER]), int(body[p.CHANGE_STORE]), Decimal(str(body["quantity"])))
            return {"sold": True}

        return await self._answer(request, sell, authorised=False)

    async def _answer(self, request: Request, handle: Callable[[Any], Any], authorised: bool = True,
                      status: int = 200) -> Response:  # fmt: skip
        self.calls.append(f"{request.method} {request.url.path}")
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return JSONResponse({"message": "the body is not JSON"}, 400)

        def run() -> Any:
            with self.office.lock:
                if authorised:
                    self.office.authorise(request.headers.get(p.TOKEN_HEADER), request.path_params.get("company", ""))
                return handle(body)

        try:
            result = await run_in_threadpool(run)
        except Refused as refused:
            return JSONResponse({"message": refused.message}, refused.status)
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"message": f"bad request: {exc}"}, 400)
        return JSONResponse(result, status)
