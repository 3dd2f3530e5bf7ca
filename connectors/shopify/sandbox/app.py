"""The Shopify sandbox: an Admin GraphQL API server with Shopify's validation, costs and errors.

Each request is authenticated (`X-Shopify-Access-Token`), validated against Shopify's published
schema (HTTP 200 with an `errors` array when invalid, as Shopify answers), priced, drawn from the
plan's leaky bucket (THROTTLED when it is short), executed against the sandbox store, and answered
with `extensions.cost`. The bucket's level after each request's draw is kept (`bucket_log`, and
`GET /_sandbox/bucket`), so a test can see that callers sharing the shop never overdrew it. Faults
(429 with Retry-After, 5xx, slow answers, cut connections) come from the shared kit
(`connectors.testing.faults`), in Shopify's shapes given here.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    graphql_sync,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from connectors.shopify.cost import MAX_QUERY_COST, PLANS, Bucket, Plan, query_cost
from connectors.shopify.sandbox.bulk import INSTANT, BulkTiming
from connectors.shopify.sandbox.resolvers import root
from connectors.shopify.sandbox.shop import Shop
from connectors.shopify.sandbox.webhooks import Dispatcher
from connectors.shopify.schema import API_VERSION, admin_schema, root_field_scopes
from connectors.testing.faults import FaultAnswers, FaultInjection, FaultySandbox

GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"


def _too_many_requests() -> Response:
    return JSONResponse(
        {"errors": "Too many requests. Reduce request rates to resume uninterrupted service."},
        429,
        headers={"Retry-After": "1.0"},
    )


def _server_error(chance: random.Random) -> Response:
    return JSONResponse({"errors": "Internal Server Error"}, 503 if chance.random() < 0.5 else 500)


ANSWERS = FaultAnswers(_too_many_requests, _server_error, ("application/json", b'{"data": {'))


def _faulted(scope: Scope) -> bool:
    """Faults hit Admin API calls; bulk files come from Shopify's storage, not the API."""
    return bool(scope["method"] == "POST" and scope["path"] == GRAPHQL_PATH)


@dataclass
class ShopifySandbox(FaultySandbox):
    shop: Shop = field(default_factory=Shop)
    token: str = "shpat_sandbox_token"
    plan: Plan = PLANS["standard"]
    scopes: frozenset[str] | None = None  # None: every scope granted
    webhook_secret: str = "sandbox_webhook_secret"
    clock: Callable[[], float] = time.monotonic
    bulk_timing: BulkTiming = INSTANT  # how long a bulk operation takes (`sandbox.bulk.SHOPIFY`: as modelled)
    log: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)  # (operation, variables) run
    bucket_log: list[dict[str, Any]] = field(default_factory=list)  # per priced request: draw, level, cost charged

    def __post_init__(self) -> None:
        self.bucket = Bucket(self.plan, self.clock)
        self.shop.bulk.timing, self.shop.bulk.clock = self.bulk_timing, self.clock
        self.webhooks = Dispatcher(self.webhook_secret, f"{self.shop.name}.myshopify.com")
        self.shop.on_event = self.webhooks.emit
        api = Starlette(
            routes=[
                Route(GRAPHQL_PATH, self._graphql, methods=["POST"]),
                Route("/_sandbox/bulk/{number}.jsonl", self._bulk_file, methods=["GET"]),
                Route("/_sandbox/bucket", self._bucket, methods=["GET"]),
            ]
        )
        self.app = FaultInjection(api, ANSWERS, _faulted)

    @property
    def requests(self) -> int:
        """GraphQL requests received, faulted or not."""
        return self.app.requests

    @property
    def credentials(self) -> dict[str, str]:
        return {"access_token": self.token, "webhook_secret": self.webhook_secret}

    def settings(self, url: str) -> dict[str, Any]:
        return {"url": url}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _bulk_file(self, request: Request) -> Response:
        text = self.shop.bulk_files.get(request.path_params["number"])
        if text is None:
            return Response("Not Found", 404)
        return Response(text, media_type="application/jsonl")

    async def _bucket(self, request: Request) -> Response:
        return JSONResponse({"plan": self.plan.name, "requests": self.bucket_log})

    async def _graphql(self, request: Request) -> Response:
        self.shop.public_url = str(request.base_url).rstrip("/")
        if request.headers.get("x-shopify-access-token") != self.token:
            return JSONResponse(
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, 401
            )
        try:
            body = json.loads(await request.body())
            query, variables, operation_name = body["query"], body.get("variables") or {}, body.get("operationName")
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errors": "Bad Request: the body must be JSON with a query"}, 400)
        return JSONResponse(await run_in_threadpool(self.execute, query, variables, operation_name))

    def execute(self, query: str, variables: dict[str, Any], operation_name: str | None) -> dict[str, Any]:
        schema = admin_schema()
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [error.formatted]}
        problems = validate(schema, document)
        if problems:
            return {"errors": [problem.formatted for problem in problems]}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        operation = next(
            (o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)), None
        )
        if operation is None:
            return {"errors": [{"message": f"No operation named {operation_name!r}"}]}
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        denied = self._denied(operation)
        if denied:
            return {"errors": denied}
        self.log.append((operation.name.value if operation.name else None, dict(variables)))
        requested = query_cost(schema, operation, fragments, variables)
        if requested > MAX_QUERY_COST:
            return {
                "errors": [{
                    "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                    f"({MAX_QUERY_COST}).",
                    "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST},
                }],
                "extensions": {"cost": self._cost(requested, None)},
            }  # fmt: skip
        taken = self.bucket.take(requested)
        drawn = {
            "at": self.clock(), "operation": operation.name.value if operation.name else None,
            "requested": requested, "level": self.bucket.available(), "throttled": not taken,
        }  # fmt: skip
        self.bucket_log.append(drawn)
        if not taken:
            return {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": self._cost(requested, None)},
            }  # fmt: skip
        result = graphql_sync(
            schema,
            query,
            root_value=root(self.shop, self.webhooks),
            variable_values=variables,
            operation_name=operation_name,
        )
        data = result.data or {}
        actual = query_cost(schema, operation, fragments, variables, data)
        self.bucket.refund(requested - actual)
        drawn["charged"] = actual
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        response["extensions"] = {"cost": self._cost(requested, actual)}
        return response

    def _denied(self, operation: OperationDefinitionNode) -> list[dict[str, Any]]:
        if self.scopes is None:
            return []
        kind = operation.operation.value
        errors = []
        for node in operation.selection_set.selections:
            name = getattr(getattr(node, "name", None), "value", "")
            missing = [s for s in root_field_scopes().get((kind, name), ()) if s not in self.scopes]
            if missing:
                errors.append({
                    "message": f"Access denied for {name} field. Required access: `{missing[0]}` access scope.",
                    "extensions": {"code": "ACCESS_DENIED", "requiredAccess": f"`{missing[0]}` access scope."},
                })  # fmt: skip
        return errors

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}
