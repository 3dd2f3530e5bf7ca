"""The Visma.net sandbox: Visma Connect's token endpoint, the ERP API at `/v1/…` and the SalesOrders
V3 API at `/api/v3/…` on one loopback port, with the company's behaviour.

Every request body, query parameter and header name is checked against Visma's OpenAPI description
of the operation (`openapi`; V3 against `protocol.V3_SCHEMAS`), and refused with 400 when the real
API would refuse it (or, stricter, when it names what the operation does not declare); every answer
is checked too, and one that does not match is a 500 naming the problem, so a sandbox that drifted
from the description fails loudly. What was checked, and every problem found, is kept in
`checked` and `problems` for tests to see.

Tokens are bound to the tenant they were issued for; a token for any tenant but the company's is
refused on every call with 401 (as Visma.net does). Answers carry `X-RateLimit-*` headers; past
`rate_limit` requests in the window a call is answered 429 with `Retry-After`. Any ERP call sent
with `erp-api-background` is run, answered 202, and its state and content served from
`/v1/background/{id}`. Single records answer with an `ETag`; a PUT with a stale `If-Match` is 412.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from connectors.testing.faults import FaultAnswers, FaultInjection, FaultySandbox
from connectors.visma_net import openapi, protocol
from connectors.visma_net.sandbox.store import Company, Refused, now
from connectors.visma_net.values import unwrap

JSON = "application/json"
V3_QUERY = frozenset({"pageIndex", "pageSize", "modifiedSince", "customerId", "status", "orderBy", "filter", "expand"})
Handler = Callable[["Call"], Any]


def _too_many_requests() -> Response:
    body = {"message": "Rate limit is exceeded. Try again in 1 seconds."}
    return JSONResponse(body, 429, headers={"Retry-After": "1"})


def _server_error(chance: random.Random) -> Response:
    return JSONResponse({"message": f"VismaId: {uuid.uuid4()}. An error has occurred."}, chance.choice((500, 503)))


ANSWERS = FaultAnswers(_too_many_requests, _server_error, (JSON, b'[{"internalId":'))


def _faulted(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(("/v1/", "/api/v3/", "/connect/"))


@dataclass
class Call:
    """One API request, its body already checked and unwrapped."""

    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Background:
    id: str
    uri: str
    answer: Answer
    received: str


@dataclass
class VismaNetSandbox(FaultySandbox):
    company: Company = field(default_factory=Company)
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-client-secret"
    tenant: str = "sandbox-company-tenant"
    token_lifetime: int = 3600
    rate_limit: int = 100_000  # requests per window before 429
    window_seconds: int = 3600
    checked: list[str] = field(default_factory=list)  # "request|answer METHOD template", in order
    problems: list[str] = field(default_factory=list)  # every mismatch with the description found
    tokens: dict[str, str] = field(default_factory=dict)  # token → tenant
    background: dict[str, Background] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "METHOD path" of every API call
    rate_headers: dict[str, str] = field(default_factory=dict)
    _window: tuple[float, int] = (0.0, 0)

    def __post_init__(self) -> None:
        self.app = FaultInjection(self._serve, ANSWERS, _faulted)
        from connectors.visma_net.sandbox import routes

        self.erp_routes: dict[tuple[str, str], Handler] = routes.erp(self)
        self.v3_routes: list[tuple[str, re.Pattern[str], Handler, str | None, str | None]] = routes.v3(self)

    @property
    def credentials(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def settings(self, url: str) -> dict[str, Any]:
        return {"tenant": self.tenant, "url": url, "salesorder_url": url, "connect_url": f"{url}/connect/token"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._respond(request)
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        path = request.url.path
        if path == "/connect/token" and request.method == "POST":
            return await self._token(request)
        if not path.startswith(("/v1/", "/v2/", "/api/v3/")):
            return JSONResponse({"message": "Not found"}, 404)
        self.requests.append(f"{request.method} {path}")
        refused = self._authorised(request)
        if refused is not None:
            return refused
        limited = self._rate_limit()
        if limited is not None:
            return limited
        if path.startswith("/api/v3/"):
            answer = await self._v3(request)
        else:
            answer = await self._erp(request)
        return self._render(answer)

    # ---- Visma Connect ------------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, 400)
        tenant = str(form.get("tenant_id") or "")
        if not tenant:
            return JSONResponse({"error": "invalid_request", "error_description": "tenant_id is missing"}, 400)
        token = uuid.uuid4().hex
        self.tokens[token] = tenant
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime,
                             "scope": str(form.get("scope") or "")})  # fmt: skip

    def _authorised(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        tenant = self.tokens.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
        if tenant != self.tenant:  # no token, an unknown one, or one for another tenant (the customer's)
            return JSONResponse({"message": "Authorization has been denied for this request."}, 401)
        return None

    def _rate_limit(self) -> Response | None:
        started, used = self._window
        clock = time.monotonic()
        if clock - started >= self.window_seconds:
            started, used = clock, 0
        used += 1
        self._window = (started, used)
        reset = max(int(self.window_seconds - (clock - started)), 1)
        self.rate_headers = {"X-RateLimit-Limit": str(self.rate_limit),
                             "X-RateLimit-Remaining": str(max(self.rate_limit - used, 0)),
                             "X-RateLimit-Reset": str(reset), "X-RateLimit-Policy": "4-fixed-window"}  # fmt: skip
        if used > self.rate_limit:
            headers = {**self.rate_headers, "Retry-After": str(reset)}
            return JSONResponse({"message": "Rate limit is exceeded."}, 429, headers=headers)
        return None

    def _render(self, answer: Answer) -> Response:
        headers = {**self.rate_headers, **answer.headers}
        if answer.raw is not None:
            return Response(answer.raw, answer.status, headers=headers, media_type="application/octet-stream")
        if answer.body is None:
            return Response(b"", answer.status, headers=headers)
        return JSONResponse(answer.body, answer.status, headers=headers)

    # ---- the ERP API ------------------------------------------------------------------------

    async def _erp(self, request: Request) -> Answer:
        method, path = request.method, request.url.path
        operation = openapi.operation(method, path)
        handler = self.erp_routes.get((method, operation.path)) if operation else None
        if operation is None or handler is None:
            return _error(404, f"No HTTP resource was found that matches the request URI {method} {path}.")
        problems = self._check_request(request, operation)
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if not problems and "multipart/form-data" in request.headers.get("content-type", ""):
            files = _files(request.headers["content-type"], await request.body())
        elif not problems:
            body, problems = await self._erp_body(request, operation)
        if problems:
            self.problems += [f"request {method} {operation.path}: {p}" for p in problems]
            return _error(400, "; ".join(problems))
        self.checked.append(f"request {method} {operation.path}")
        call = Call(method, path, openapi.path_parameters(operation, path), dict(request.query_params), body,
                    {k.lower(): v for k, v in request.headers.items()}, files)  # fmt: skip
        answer = self._run(handler, call)
        answer = self._check_answer(answer, method, operation)
        if protocol.BACKGROUND_HEADER in call.headers:
            return self._queue(call, answer)
        return answer

    def _check_request(self, request: Request, operation: openapi.Operation) -> list[str]:
        declared = {p["name"] for p in operation.spec.get("parameters") or [] if p.get("in") == "query"}
        return [f"query parameter {name!r} is not one of {operation.path}'s"
                for name in request.query_params if name not in declared]  # fmt: skip

    async def _erp_body(self, request: Request, operation: openapi.Operation) -> tuple[Any, list[str]]:
        schema = operation.request_schema()
        raw = await request.body()
        if schema is None:
            return None, []
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return None, ["the body is not JSON"]
        problems = openapi.problems(schema, body)
        if problems:
            return None, problems
        name = str(schema.get("$ref", "")).rsplit("/", 1)[-1]
        if not name.endswith("UpdateDto") and not name.endswith("CreateDto"):
            return body, []  # action bodies are plain
        try:
            return unwrap(body), []
        except ValueError as exc:
            return None, [str(exc)]

    def _run(self, handler: Handler, call: Call) -> Answer:
        try:
            result = handler(call)
        except Refused as exc:
            return _error(exc.status, exc.text)
        return result if isinstance(result, Answer) else Answer(200, result)

    def _check_answer(self, answer: Answer, method: str, operation: openapi.Operation) -> Answer:
        if answer.status >= 400 or answer.raw is not None or operation.path == protocol.BACKGROUND_CONTENT:
            return answer  # a background call's content was checked as the original call's answer
        if answer.status not in operation.statuses():
            return self._drifted(f"answer {method} {operation.path}: status {answer.status} is not declared")
        schema = operation.response_schema(answer.status)
        problems = openapi.problems(schema, answer.body) if schema is not None and answer.body is not None else []
        if problems:
            return self._drifted(f"answer {method} {operation.path}: {'; '.join(problems)}")
        self.checked.append(f"answer {method} {operation.path}")
        return answer

    def _drifted(self, problem: str) -> Answer:
        self.problems.append(problem)
        return _error(500, f"the sandbox's answer does not match Visma's OpenAPI description: {problem}")

    def _queue(self, call: Call, answer: Answer) -> Answer:
        """Run in the background: the call has run; its answer waits at `/v1/background/{id}`."""
        job = str(uuid.uuid4())
        self.background[job] = Background(job, call.path, answer, now())
        accepted = {"id": job, "stateLocation": f"/v1/background/{job}"}
        return Answer(202, accepted)

    def background_state(self, job: str) -> dict[str, Any]:
        found = self.background.get(job)
        if found is None:
            raise Refused(404, f"Background operation {job} not found.")
        return {"id": job, "status": "Finished", "statusCode": found.answer.status, "receivedUtc": found.received,
                "startedUtc": found.received, "finishedUtc": found.received, "originalUri": found.uri,
                "hasResponseContent": found.answer.body is not None, "hasRequestContent": False,
                "contentLocation": f"/v1/background/{job}/content", "responseHeaders": {}}  # fmt: skip

    def background_content(self, job: str) -> Answer:
        found = self.background.get(job)
        if found is None:
            raise Refused(404, f"Background operation {job} not found.")
        return Answer(200, found.answer.body)

    # ---- the SalesOrders V3 API ------------------------------------------------------------------

    async def _v3(self, request: Request) -> Answer:
        method, path = request.method, request.url.path[len("/api/v3") :]
        for route_method, pattern, handler, request_schema, answer_schema in self.v3_routes:
            match = pattern.match(path)
            if route_method != method or match is None:
                continue
            problems = [f"query parameter {n!r} is not one of the V3 list's" for n in request.query_params
                        if n not in V3_QUERY]  # fmt: skip
            body = None
            if request_schema is not None:
                try:
                    body = json.loads(await request.body() or b"null")
                except ValueError:
                    problems.append("the body is not JSON")
                else:
                    problems += openapi.problems(protocol.V3_SCHEMAS[request_schema], body)
            if problems:
                self.problems += [f"request {method} {pattern.pattern}: {p}" for p in problems]
                return _problem(400, "One or more validation errors occurred.", problems)
            self.checked.append(f"request V3 {method} {pattern.pattern}")
            call = Call(method, path, match.groupdict(), dict(request.query_params), body,
                        {k.lower(): v for k, v in request.headers.items()})  # fmt: skip
            try:
                answer: Answer = handler(call)
            except Refused as exc:
                return _problem(exc.status, exc.text)
            if answer_schema is not None and answer.status == 200:
                schema = protocol.v3_page(answer_schema[5:]) if answer_schema.startswith("page:") else \
                    protocol.V3_SCHEMAS[answer_schema]  # fmt: skip
                found = openapi.problems(schema, answer.body)
                if found:
                    return self._drifted(f"answer V3 {method} {pattern.pattern}: {'; '.join(found)}")
                self.checked.append(f"answer V3 {method} {pattern.pattern}")
            return answer
        return _problem(404, f"{method} {path} is not a V3 resource")


def _files(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """The files of a multipart/form-data body, by file name."""
    message = BytesParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    found = []
    for part in message.iter_parts():
        content = part.get_payload(decode=True)
        if part.get_filename() and isinstance(content, bytes):
            found.append((str(part.get_filename()), content))
    return found


def _error(status: int, text: str) -> Answer:
    return Answer(status, {"message": f"VismaId: {uuid.uuid4()}. {text}"})


def _problem(status: int, title: str, problems: list[str] | None = None) -> Answer:
    body: dict[str, Any] = {"type": "https://tools.ietf.org/html/rfc7231#section-6.5.1", "title": title,
                            "status": status}  # fmt: skip
    if problems:
        body["errors"] = {"request": problems}
    return Answer(status, body)
