"""CCV webhooks against the sandbox: made through the API once, delivered signed with their key,
naming the record they are about; a delivery that does not verify is not read."""

from __future__ import annotations

import json

import pytest

from connectors.ccv import CONNECTOR, CcvSettings, protocol
from connectors.ccv.webhooks import read_delivery, verify_delivery
from connectors.testing.server import Receiver, serving
from engine.errors import FatalConnectorError
from engine.records import Entity
from tests.connectors.ccv.conftest import RunningAccount


def settings(account: RunningAccount) -> CcvSettings:
    return CcvSettings.model_validate(account.sandbox.settings(account.url))


def test_a_till_sale_is_delivered_signed_and_names_its_order(account: RunningAccount) -> None:
    receiver = Receiver()
    with serving(receiver) as url:
        client = account.client()
        key = client.subscribe("orders.created", url + "/hook")
        assert key == account.sandbox.credentials["webhook_key"]
        mug = next(p["id"] for p in account.sandbox.store.products.values() if p["productnumber"] == "2000")
        account.sandbox.store.create_order({"status": 7, "paid": True, "orderrows": [{"product_id": mug, "count": 1}]})
        [delivery] = receiver.wait()
    assert delivery.path == "/hook"
    assert verify_delivery(key, delivery.body, delivery.headers)
    event = read_delivery(delivery.headers, json.loads(delivery.body), settings(account))
    assert (event.topic, event.entity, event.keys) == ("orders.created", Entity.order, [["SP-2"]])
    assert CONNECTOR.webhooks is not None and CONNECTOR.webhooks.secret_credential == "webhook_key"


def test_a_status_change_is_delivered_as_orders_updated(account: RunningAccount) -> None:
    receiver = Receiver()
    with serving(receiver) as url:
        account.client().subscribe("orders.updated", url)
        sale = next(o for o in account.sandbox.store.orders.values() if o["ordernumber_full"] == "SP-1")
        account.sandbox.store.patch_order(sale["id"], {"status": 5, "track_and_trace_code": "3SABC123"})
        [delivery] = receiver.wait()
    payload = json.loads(delivery.body)
    assert (payload["event"], payload["id"], payload["data"]["status"]) == ("orders.updated", sale["id"], 5)
    assert payload["href"] == f"{protocol.PREFIX}orders/{sale['id']}/"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda body, headers: (body.replace(b"SP-2", b"SP-9"), headers), "another body"),
        (lambda body, headers: (body, {}), "no x-hash"),
        (lambda body, headers: (body, {"x-hash": protocol.webhook_signature("guess", body)}), "another key"),
        (
            lambda body, headers: (body, {"x-hash": protocol.signature("k", "p", "POST", "/", body, "d")}),
            "the API's request recipe",
        ),
    ],
)
def test_a_delivery_that_does_not_verify_is_refused(change: object, why: str) -> None:
    body = json.dumps({"event": "orders.created", "id": 7, "data": {"ordernumber_full": "SP-2"}}).encode()
    headers = {"x-hash": protocol.webhook_signature("the-key", body)}
    assert verify_delivery("the-key", body, headers)
    sent, sent_headers = change(body, headers)  # type: ignore[operator]
    assert not verify_delivery("the-key", sent, sent_headers), why
    assert not verify_delivery("", body, headers), "no key configured verifies nothing"


def test_a_webhook_is_made_once_and_an_unknown_event_is_refused(account: RunningAccount) -> None:
    client = account.client()
    first = client.subscribe("products.updated", "http://127.0.0.1:9/hook")
    again = client.subscribe("products.updated", "http://127.0.0.1:9/hook")
    assert first == again and len(account.sandbox.store.webhooks) == 1
    with pytest.raises(FatalConnectorError, match=r"no webhook 'orders\.paid'"):
        client.subscribe("orders.paid", "http://127.0.0.1:9/hook")


def test_a_delivery_without_data_names_no_record_and_its_id_follows_its_body() -> None:
    bare = read_delivery({}, {"event": "products.updated", "id": 12}, bare_settings())
    assert (bare.entity, bare.keys) == (Entity.product, [])
    one = read_delivery({}, {"event": "orders.updated", "data": {"id": 3, "status": 1}}, bare_settings())
    other = read_delivery({}, {"event": "orders.updated", "data": {"id": 3, "status": 7}}, bare_settings())
    assert one.keys == other.keys == [["3"]] and one.webhook_id != other.webhook_id


def bare_settings() -> CcvSettings:
    return CcvSettings(url="https://x.example", public_key="p")
