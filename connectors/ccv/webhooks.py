"""CCV webhooks: how a delivery is checked, which record it names, and how one is asked for.

What a delivery looks like is assumed (see `protocol`, Webhooks): `x-hash` is the hex
HMAC-SHA512 of the raw body keyed by the webhook's key, and the body names the event and carries
the resource it is about. A delivery that does not verify exactly so is refused, never read.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from connectors.ccv import convert, protocol
from engine.connector import Event
from engine.keys import digest
from engine.records import Entity

ENTITIES: dict[str, Entity] = {"products": Entity.product, "orders": Entity.order}


def verify_delivery(key: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether `x-hash` (header names lower-cased) is the signature of `body` made with `key`,
    compared in constant time; False without a key or a hash."""
    given = headers.get(protocol.WEBHOOK_HASH_HEADER, "").strip().lower()
    if not key or not given:
        return False
    return hmac.compare_digest(given, protocol.webhook_signature(key, body))


def read_delivery(headers: Mapping[str, str], payload: Mapping[str, Any], settings: BaseModel) -> Event:
    """A verified delivery as the engine's `Event`: its event, the entity, and the key of the record
    its `data` is (none when it carries no data: the flow then runs whole)."""
    event = str(payload.get("event") or "")
    entity = ENTITIES.get(event.partition(".")[0])
    data = payload.get("data")
    keys: list[list[str]] = []
    if isinstance(data, Mapping):
        if entity is Entity.product and data.get("productnumber"):
            keys = [[str(data["productnumber"])]]
        elif entity is Entity.order and (data.get("id") is not None or data.get(protocol.EXTERNAL_NUMBER)):
            keys = [[convert.order_number(data)]]
    body = repr(sorted((str(k), repr(v)) for k, v in payload.items()))
    return Event(event, digest(body), entity, keys)
