"""Rackbeat's webhooks from its sandbox: the static token header, compared in constant time, and
renames naming the record under its old and its new number."""

from __future__ import annotations

import json

from connectors.rackbeat import CONNECTOR, RackbeatSettings
from connectors.rackbeat.webhooks import read_delivery, verify_delivery
from connectors.testing.server import Receiver, serving
from engine.records import Entity
from tests.connectors.rackbeat.conftest import RunningRackbeat


def test_a_renamed_product_is_delivered_with_its_token_and_both_numbers(rackbeat: RunningRackbeat) -> None:
    receiver = Receiver()
    with serving(receiver) as url:
        rackbeat.client().subscribe("product.updated", url + "/hook")
        account = rackbeat.sandbox.account
        account.save_product({"number": "RB-1001-N"}, "RB-1001")
        [delivery] = receiver.wait(1)
    headers, payload = delivery.headers, json.loads(delivery.body)
    assert headers["rackbeat-webhook-token"] == rackbeat.sandbox.webhook_token
    assert headers["rackbeat-webhook-event"] == "product.updated" and headers["user-agent"] == "Rackbeat Webhook"
    assert (payload["key"], payload["key_name"], payload["old_key"], payload["new_key"]) == (
        "RB-1001-N", "number", "RB-1001", "RB-1001-N")  # fmt: skip
    assert "number" in payload["changed"]
    assert verify_delivery(rackbeat.sandbox.webhook_token, delivery.body, headers)
    assert not verify_delivery("another-token", delivery.body, headers)
    assert not verify_delivery(rackbeat.sandbox.webhook_token, delivery.body, {})
    event = read_delivery(headers, payload, RackbeatSettings())
    assert event.entity is Entity.product and event.keys == [["RB-1001-N"], ["RB-1001"]]
    assert event.webhook_id == read_delivery(headers, payload, RackbeatSettings()).webhook_id  # a retry is one delivery


def test_a_second_webhook_for_the_same_event_and_url_updates_the_first(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client()
    assert client.subscribe("order.created", "http://127.0.0.1:9/hook") == rackbeat.sandbox.webhook_token
    assert client.subscribe("order.created", "http://127.0.0.1:9/hook") == ""  # the token is shown once
    assert len(rackbeat.sandbox.webhooks.hooks) == 1


def test_order_events_in_either_spelling_name_no_keys_to_match_on() -> None:
    for event in ("order.created", "orders.created"):
        read = read_delivery({}, {"event": event, "key": 5001, "key_name": "number", "data": {}}, RackbeatSettings())
        assert read.entity is Entity.order and read.keys == []
    assert CONNECTOR.webhooks is not None and CONNECTOR.webhooks.secret_credential == "webhook_token"
