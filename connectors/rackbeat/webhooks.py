"""Rackbeat webhooks: how a delivery is checked, and which records it is about.

Rackbeat signs nothing: each delivery carries the webhook's static token in
`Rackbeat-Webhook-Token`, compared here in constant time with the `webhook_token` credential.
The payload names the record by `key` (its `key_name`, `number` or `id`), and an `updated` event
whose number changed also by `old_key`/`new_key`: both are named, so the record under its old
number and under its new one are looked at. Deliveries carry no id of their own, so a delivery's
id is a digest of its body: Rackbeat's retries of it send the same body. See `protocol`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from connectors.rackbeat.protocol import TOKEN_HEADER, event_entity
from engine.connector import Event
from engine.keys import digest
from engine.records import Entity

ENTITIES: dict[str, Entity] = {
    "product": Entity.product,
    "item": Entity.product,
    "product_group": Entity.category,
    "customer": Entity.customer,
    "order": Entity.order,
}


def verify_delivery(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the delivery's token (header names lower-cased) is `secret`, compared in constant
    time. The body is not signed: it is read only once the token is right."""
    token = headers.get(TOKEN_HEADER.lower(), "")
    if not secret or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())


def read_delivery(headers: Mapping[str, str], payload: Mapping[str, Any], settings: BaseModel) -> Event:
    """A delivery as the engine's `Event`: the event, the entity and the numbers it names."""
    event = str(payload.get("event") or headers.get("rackbeat-webhook-event") or "")
    resource, _ = event_entity(event)
    entity = ENTITIES.get(resource)
    keys: list[list[str]] = []
    if entity in (Entity.product, Entity.category) and payload.get("key_name", "number") == "number":
        named = [payload.get("key"), payload.get("old_key"), payload.get("new_key")]
        keys = [[str(k)] for k in dict.fromkeys(k for k in named if k not in (None, ""))]
    # a customer is matched by email and an order by the webshop's id, not by Rackbeat's number: none named
    body = repr(sorted((str(k), repr(v)) for k, v in payload.items()))
    return Event(event, digest(body), entity, keys)
