"""The webhook receiver: an ASGI app that stores verified events for the flows they affect.

`POST /webhooks/<integration>/<system>` takes a delivery from that system. The signature is checked
against the raw body in constant time before anything else; a bad or missing one is refused with
401 and nothing is stored. A delivery seen before (same webhook id) is acknowledged and not stored
again. A stored event names the flows it affects (enabled flows from that system, of that entity,
with `trigger: {webhook: true}`) and the keys it is about; `on_stored` is then called (the event worker
runs them at once), or the Dagster sensor runs them from the queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.run.workspace import ResolvedSystem, Workspace
from engine.state import StateStore


def receiver(workspace: Workspace, store: StateStore, on_stored: Callable[[], None] | None = None) -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "environment": workspace.environment.name})

    async def receive(request: Request) -> Response:
        integration, system_name = request.path_params["integration"], request.path_params["system"]
        deployment = workspace.deployments.get(integration)
        system = deployment.systems.get(system_name) if deployment else None
        if deployment is None or system is None:
            return JSONResponse({"error": f"no system {integration}/{system_name} in this environment"}, 404)
        hooks = system.connector.webhooks
        if hooks is None:
            return JSONResponse({"error": f"{system.connector.name} systems send no webhooks"}, 404)
        secret = _secret(workspace, system, hooks.secret_credential)
        if secret is None:
            return JSONResponse({"error": f"no {hooks.secret_credential} configured for {system_name}"}, 503)
        body = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        if not hooks.verify(secret, body, headers):
            return JSONResponse({"error": "invalid signature"}, 401)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, 400)
        settings = system.connector.settings.model_validate(system.settings)
        event = hooks.read(headers, payload, settings)
        if not event.webhook_id:
            return JSONResponse({"error": "the delivery has no webhook id"}, 400)
        flows = [
            name
            for name, flow in deployment.integration.flows.items()
            if flow.enabled and flow.source == system_name and flow.entity == event.entity
            and flow.trigger is not None and flow.trigger.webhook
        ]  # fmt: skip
        stored = await run_in_threadpool(
            store.events.record, integration, system_name, event.webhook_id, event.topic,
            event.entity.value if event.entity else None, flows, event.keys, payload,
        )  # fmt: skip
        if stored and flows and on_stored is not None:
            on_stored()
        return JSONResponse({"status": "stored" if stored else "duplicate", "flows": flows})

    return Starlette(
        routes=[
            Route("/healthz", health, methods=["GET"]),
            Route("/webhooks/{integration}/{system}", receive, methods=["POST"]),
        ]
    )


def _secret(workspace: Workspace, system: ResolvedSystem, credential: str) -> str | None:
    reference: Any = system.credentials.get(credential)
    if not reference:
        return None
    return workspace.environ.get(str(reference).removeprefix("env:")) or None
