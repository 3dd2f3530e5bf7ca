"""Shopify webhooks: how they are signed, and which records an event is about.

Shopify signs each delivery with a base64 HMAC-SHA256 of the raw body, keyed with the app's
secret, in `X-Shopify-Hmac-Sha256`. `verify` checks it in constant time; `affected` reads from a
payload which entity changed and the keys Tillsync can match on; `subscribe` asks a shop to send a
topic's events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from connectors.shopify.session import Session, user_errors
from engine.connector import Event
from engine.errors import FatalConnectorError
from engine.records import Entity

TOPICS: dict[str, Entity] = {
    "products/create": Entity.product,
    "products/update": Entity.product,
    "products/delete": Entity.product,
    "inventory_levels/update": Entity.stock,
    "orders/create": Entity.order,
    "orders/paid": Entity.order,
    "orders/cancelled": Entity.order,
    "orders/updated": Entity.order,
    "customers/create": Entity.customer,
    "customers/update": Entity.customer,
}


def sign(secret: str, body: bytes) -> str:
    """Shopify's signature of `body`: base64 of its HMAC-SHA256 keyed with `secret`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` is Shopify's signature of exactly `body` (compared in constant time)."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(secret, body), signature.strip())


def topic_enum(topic: str) -> str:
    """`products/update` as the GraphQL enum `PRODUCTS_UPDATE`."""
    return topic.replace("/", "_").upper()


def affected(
    topic: str, payload: Mapping[str, Any], key_namespace: str = "tillsync"
) -> tuple[Entity | None, list[list[str]]]:
    """The entity an event is about and the record keys it names (product numbers, order names, emails)."""
    entity = TOPICS.get(topic)
    if entity is Entity.product:
        numbers = [m["value"] for m in payload.get("metafields") or [] if m.get("namespace") == key_namespace]
        return entity, [[value] for value in numbers]
    if entity is Entity.stock:  # names an inventory item and a location, not a SKU: the whole flow runs
        return entity, []
    if entity is Entity.order:
        return entity, [[str(payload.get("name") or payload.get("admin_graphql_api_id"))]]
    if entity is Entity.customer:
        return entity, [[str(payload.get("email") or "").lower()]] if payload.get("email") else []
    return None, []


def verify_delivery(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether a delivery's `X-Shopify-Hmac-Sha256` header signs its body."""
    return verify(secret, body, headers.get("x-shopify-hmac-sha256"))


def read_delivery(headers: Mapping[str, str], payload: Mapping[str, Any], settings: BaseModel) -> Event:
    """A delivery as the engine's `Event`: its topic, webhook id, entity and keys."""
    topic = headers.get("x-shopify-topic", "")
    entity, keys = affected(topic, payload, getattr(settings, "key_namespace", "tillsync"))
    return Event(topic, headers.get("x-shopify-webhook-id", ""), entity, keys)


def subscribe(session: Session, topic: str, uri: str) -> str:
    """Have Shopify send `topic` events (e.g. `orders/paid`) to `uri`; returns the subscription id.
    The product number's metafield namespace rides along, so a product event names its product."""
    variables = {"topic": topic_enum(topic), "uri": uri, "namespaces": [session.settings.key_namespace]}
    payload = session.request("WebhookSubscriptionCreate", variables)["webhookSubscriptionCreate"]
    if payload["userErrors"]:
        raise FatalConnectorError(f"Shopify refused the webhook subscription: {user_errors(payload['userErrors'])}")
    return str(payload["webhookSubscription"]["id"])
