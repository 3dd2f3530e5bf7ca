"""The CCV sandbox's webhooks: those made through `/webhooks/`, and their deliveries.

A change the store makes (`Store.on_event`) is sent to every active webhook of its event, from a
background thread, as `protocol` assumes CCV sends it: `{"event", "id", "href", "data"}` with the
resource as the API answers it, and `x-hash` over the raw body made with the webhook's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectors.ccv import protocol
from connectors.testing.deliveries import Deliveries as Sender

Data = dict[str, Any]


@dataclass
class Deliveries(Sender):
    """The store's webhooks' deliveries, signed with each webhook's key."""

    hooks: dict[int, Data] = field(default_factory=dict)  # the store's webhooks, by id
    thread_name: str = "ccv-webhooks"

    def emit(self, event: str, resource: Data) -> None:
        """Queue a delivery of `event` about `resource` (as it is now) for each active webhook of it."""
        kind = event.partition(".")[0]
        payload = {"event": event, "id": resource["id"], "href": f"{protocol.PREFIX}{kind}/{resource['id']}/",
                   "data": resource}  # fmt: skip
        body = json.dumps(payload, separators=(",", ":")).encode()
        for hook in [h for h in self.hooks.values() if h["is_active"] and h["event"] == event]:
            headers = {"content-type": "application/json",
                       protocol.WEBHOOK_HASH_HEADER: protocol.webhook_signature(hook["key"], body)}  # fmt: skip
            self.send(hook["address"], body, headers, event)
