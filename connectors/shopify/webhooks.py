"""Shopify webhooks: how they are signed, and which records an event is about.

Shopify signs each delivery with a base64 HMAC-SHA256 of the raw body, keyed with the app's
secret. `verify` checks it in constant time; `affected` reads from a payload which entity changed
and the keys Tillsync can match on; `subscribe` asks a shop to send a topic's events.

Quirks (https://shopify.dev/docs/apps/build/webhooks/delivery-structure, and Shopify's own
`shopify-app-js` for the newer format):
- A webhook delivery's headers are `X-Shopify-Topic`, `X-Shopify-Hmac-Sha256`,
  `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`, `X-Shopify-Webhook-Id` (one per delivery, the
  same on its retries), `X-Shopify-Triggered-At` and `X-Shopify-Event-Id`, "shared across all
  deliveries produced by the same merchant action": two subscriptions to a topic get one change
  twice, with one event id and two webhook ids ("Ignore duplicate webhooks" advises keying on the
  event id). Header names come in any case (HTTP/2 lowercases them).
- Deliveries of Shopify's newer Events (a developer preview) carry the same names without `X-`
  (`Shopify-Hmac-Sha256`, `Shopify-Topic`, `Shopify-Webhook-Id`, `Shopify-Event-Id`, …), sometimes
  beside the old ones, plus `Shopify-Action`; their topic is a resource (`Product`) and the action
  says what happened to it (`update`). Where `Shopify-Hmac-Sha256` is present those names are read
  first, as Shopify's library does. Their body names no product number, order name or e-mail, so
  such an event runs its flow whole (incrementally).
- A rotated app secret can take up to an hour before Shopify signs with it ("Verify webhook
  deliveries"), hence the optional `previous_webhook_secret`.
- `inventory_levels/update` names a level by `inventory_item_id` and `location_id` (numbers), not by
  SKU; its `admin_graphql_api_id` (`gid://shopify/InventoryLevel/<level>?inventory_item_id=<item>`)
  carries the item's id too, exactly where a JSON reader that parses numbers as doubles would round
  the number (Shopify's published example shows one rounded so), so the item is read from there
  first. The event names them as ids (`Event.refs`); the client looks up their SKU and location name.
- Bodies are `application/json`, compact, with `/` written `\\/` (Shopify's encoder): the HMAC is
  over those bytes, never over re-serialised JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

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


# Events topics are resources; those Tillsync reads (the rest affect no flow and are not stored)
EVENT_TOPICS: dict[str, Entity] = {
    "Product": Entity.product,
    "InventoryLevel": Entity.stock,
    "Order": Entity.order,
    "Customer": Entity.customer,
}
EVENTS_SIGNATURE = "shopify-hmac-sha256"


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
    """Whether a delivery's signature header (`Shopify-Hmac-Sha256` on Events deliveries, else
    `X-Shopify-Hmac-Sha256`; names lower-cased) signs its body."""
    return verify(secret, body, headers.get(EVENTS_SIGNATURE) or headers.get("x-shopify-hmac-sha256"))


def read_delivery(headers: Mapping[str, str], payload: Mapping[str, Any], settings: BaseModel) -> Event:
    """A delivery (header names lower-cased) as the engine's `Event`: its topic, webhook id, entity,
    keys and event id, from webhook or Events headers alike."""
    topic, action = _header(headers, "topic"), _header(headers, "action")
    webhook_id, event_id = _header(headers, "webhook-id"), _header(headers, "event-id")
    if action and topic in EVENT_TOPICS:  # an Events delivery: a resource, and what happened to it
        return Event(f"{topic}/{action}", webhook_id, EVENT_TOPICS[topic], [], event_id)
    entity, keys = affected(topic, payload, getattr(settings, "key_namespace", "tillsync"))
    return Event(topic, webhook_id, entity, keys, event_id, level_refs(topic, payload))


def level_refs(topic: str, payload: Mapping[str, Any]) -> list[list[str]]:
    """The inventory item and location an `inventory_levels/update` names, as GraphQL ids; [] for
    other topics, or a payload that names neither."""
    if topic != "inventory_levels/update":
        return []
    named = parse_qs(urlsplit(str(payload.get("admin_graphql_api_id") or "")).query).get("inventory_item_id")
    item = named[0] if named else payload.get("inventory_item_id")
    location = payload.get("location_id")
    if item in (None, "") or location in (None, ""):
        return []
    return [[_gid("InventoryItem", item), _gid("Location", location)]]


def _gid(kind: str, value: object) -> str:
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def _header(headers: Mapping[str, str], name: str) -> str:
    """`Shopify-<name>` first on an Events delivery, `X-Shopify-<name>` first otherwise."""
    names = [f"shopify-{name}", f"x-shopify-{name}"]
    if EVENTS_SIGNATURE not in headers:
        names.reverse()
    return next((headers[n].strip() for n in names if headers.get(n)), "")


def subscribe(session: Session, topic: str, uri: str) -> str:
    """Have Shopify send `topic` events (e.g. `orders/paid`) to `uri`; returns the subscription id.
    The product number's metafield namespace rides along, so a product event names its product."""
    variables = {"topic": topic_enum(topic), "uri": uri, "namespaces": [session.settings.key_namespace]}
    payload = session.request("WebhookSubscriptionCreate", variables)["webhookSubscriptionCreate"]
    if payload["userErrors"]:
        raise FatalConnectorError(f"Shopify refused the webhook subscription: {user_errors(payload['userErrors'])}")
    return str(payload["webhookSubscription"]["id"])
