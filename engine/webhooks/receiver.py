"""The webhook receiver: an ASGI app that stores verified events for the flows they affect.

`POST /webhooks/<integration>/<system>` takes a delivery from that system. Before its body is read,
the content type must be JSON (415) and a declared length within the limit (413); the body is read
within the size limit and the read timeout (`engine.webhooks.body` says why they are what they
are). The signature is checked against the raw body in constant time, with the system's webhook
secret or, while it is rotated, the previous one; a bad or missing signature is refused with 401
and nothing is stored. A signed body must be a JSON object (400).

A delivery that affects no flow here (a topic the connector does not know, or one no enabled flow
with `trigger: {webhook: true}` reads) is acknowledged with 200, so the sender does not retry it,
and not stored: nothing would ever read it, and its payload may hold customers' personal data. A
stored event names the flows it affects (enabled flows of that entity with a webhook trigger: from
that system, and to it where a flow with `reconcile` keeps its view of the target current from the
target's webhooks) and the keys it is about, or the system's own ids of them where it names no keys
(`Event.refs`). A delivery seen before (same webhook id), or the same
change sent to another subscription of its topic (same event id), is acknowledged and not stored
again. Then `on_stored` is called (the event worker runs them at once), or the Dagster sensor runs
them from the queue.

Every refusal and every sender that went away or was too slow is logged in one line. A refusal that
loses a known system's deliveries until someone acts (a signature that does not verify, a body over
the limit, no webhook secret) is alerted once; a delivery verified again clears it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.connector import Event, WebhookSupport
from engine.run import watch
from engine.run.workspace import Deployment, ResolvedSystem, Workspace
from engine.state import StateStore
from engine.state.events import TooLong
from engine.webhooks.body import Limits, Refused, SenderGone, parse_object, read_body, require_json

log = logging.getLogger(__name__)

# Refusals that lose a known system's deliveries until someone acts, alerted once (`watch`): a
# signature that does not verify, a body over the limit, no webhook secret configured.
ALERTED = (401, 413, 503)


def receiver(
    workspace: Workspace, store: StateStore, on_stored: Callable[[], None] | None = None, limits: Limits | None = None
) -> Starlette:
    """The receiver's app over this workspace and state store, with these limits (the defaults of
    `engine.webhooks.body` unless given)."""
    chosen = limits or Limits()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "environment": workspace.environment.name})

    async def receive(request: Request) -> Response:
        integration, system_name = request.path_params["integration"], request.path_params["system"]
        where = f"{integration}/{system_name}"
        try:
            answer = await _receive(request, workspace, store, on_stored, chosen)
        except Refused as refused:
            log.warning("webhook for %s refused with %d: %s", where, refused.status, refused.reason)
            if refused.status in ALERTED and system_name in _systems(workspace, integration):
                await run_in_threadpool(watch.webhook_refused, workspace, store, integration, system_name,
                                        refused.status, refused.reason)  # fmt: skip
            # an answer before the whole body was read closes the connection: draining it would read on
            closing = {"Connection": "close"} if refused.unread else None
            return JSONResponse({"error": refused.reason}, refused.status, headers=closing)
        except SenderGone as gone:
            log.warning("webhook for %s dropped: %s", where, gone)
            return Response(status_code=400)  # nobody reads it; uvicorn does not send to a closed connection
        await run_in_threadpool(watch.webhook_taken, workspace, store, integration, system_name)
        return answer

    return Starlette(
        routes=[
            Route("/healthz", health, methods=["GET"]),
            Route("/webhooks/{integration}/{system}", receive, methods=["POST"]),
        ]
    )


async def _receive(
    request: Request, workspace: Workspace, store: StateStore, on_stored: Callable[[], None] | None, limits: Limits
) -> Response:
    integration, system_name = request.path_params["integration"], request.path_params["system"]
    deployment = workspace.deployments.get(integration)
    system = deployment.systems.get(system_name) if deployment else None
    if deployment is None or system is None:
        raise Refused(404, f"no system {integration}/{system_name} in this environment", unread=True)
    hooks = system.connector.webhooks
    if hooks is None:
        raise Refused(404, f"{system.connector.name} systems send no webhooks", unread=True)
    secrets = _secrets(workspace, system, hooks)
    if not secrets:
        raise Refused(503, f"no {hooks.secret_credential} configured for {system_name}", unread=True)
    require_json(request.headers)
    body = await read_body(request, limits)
    headers = {name.lower(): value for name, value in request.headers.items()}
    # hashing and parsing up to the size limit takes a while: off the event loop, which other senders share
    payload, previous = await run_in_threadpool(_verified_object, hooks, secrets, body, headers)
    if previous:
        log.info("webhook for %s/%s verified with the previous secret (%s)", integration, system_name,
                 hooks.previous_secret_credential)  # fmt: skip
    settings = system.connector.settings.model_validate(system.settings)
    event = hooks.read(headers, payload, settings)
    flows = _affected(deployment, system_name, event)
    if not flows:
        log.info("webhook for %s/%s about %r affects no flow here: acknowledged, not stored", integration,
                 system_name, event.topic)  # fmt: skip
        return JSONResponse({"status": "ignored", "flows": []})
    if not event.webhook_id:
        raise Refused(400, "the delivery has no webhook id")
    try:
        stored = await run_in_threadpool(
            store.events.record, integration, system_name, event.webhook_id, event.topic,
            event.entity.value if event.entity else None, flows, event.keys, payload,
            event_id=event.event_id or None, refs=event.refs,
        )  # fmt: skip
    except TooLong as exc:
        raise Refused(400, str(exc)) from None
    if stored and on_stored is not None:
        on_stored()
    return JSONResponse({"status": "stored" if stored else "duplicate", "flows": flows})


def _systems(workspace: Workspace, integration: str) -> set[str]:
    deployment = workspace.deployments.get(integration)
    return set(deployment.systems) if deployment else set()


def _verified_object(
    hooks: WebhookSupport, secrets: list[str], body: bytes, headers: dict[str, str]
) -> tuple[dict[str, Any], bool]:
    """The signed body as a JSON object, and whether only the previous secret signed it."""
    signed_with = next((i for i, secret in enumerate(secrets) if hooks.verify(secret, body, headers)), None)
    if signed_with is None:
        raise Refused(401, "invalid signature")
    return parse_object(body), signed_with > 0


def _affected(deployment: Deployment, system_name: str, event: Event) -> list[str]:
    """The enabled flows of the event's entity that webhooks trigger: from this system, and to it where
    the flow reads its target only in part between reconciliations (`reconcile`) and the event names
    records (an edit made there, to read again; `engine.run.reconcile`)."""
    names_records = bool(event.keys or event.refs)
    return [
        name
        for name, flow in deployment.integration.flows.items()
        if flow.enabled and event.entity is not None and flow.entity == event.entity
        and flow.trigger is not None and flow.trigger.webhook
        and (flow.source == system_name or (flow.target == system_name and flow.reconcile and names_records))
    ]  # fmt: skip


def _secrets(workspace: Workspace, system: ResolvedSystem, hooks: WebhookSupport) -> list[str]:
    """The webhook secret, then the previous one while a rotation is under way; [] without the first."""
    current = _secret(workspace, system, hooks.secret_credential)
    if current is None:
        return []
    previous = _secret(workspace, system, hooks.previous_secret_credential)
    return [current] if previous is None or previous == current else [current, previous]


def _secret(workspace: Workspace, system: ResolvedSystem, credential: str | None) -> str | None:
    reference: Any = system.credentials.get(credential) if credential else None
    if not reference:
        return None
    return workspace.environ.get(str(reference).removeprefix("env:")) or None
