"""What the receiver takes and what it refuses, with which status, on SQLite and on PostgreSQL: content
types, signed bodies that are not a JSON object, deliveries no flow here reads, ids and topics longer
than the state store keeps, one change sent to two subscriptions, and the previous secret; and the
state store's side: values longer than its columns refused before the database sees them, and
migration 5 bringing a store of version 4 to event ids without losing what it holds."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import CONNECTORS
from engine.connector import Event
from engine.records import Entity
from engine.state import StateStore
from engine.state import tables as t
from engine.state.events import TooLong
from tests.webhooks.receiving import PREVIOUS, Hooks, served, workspace


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", "application/x-www-form-urlencoded", None])
def test_a_content_type_other_than_json_is_415(hooks: Hooks, content_type: str | None) -> None:
    answered = hooks.post(content_type=content_type)
    assert answered.status_code == 415 and "not application/json" in answered.json()["error"]
    assert hooks.rows() == []


def test_json_with_parameters_or_a_json_suffix_is_taken(hooks: Hooks) -> None:
    kinds = ("application/json; charset=utf-8", "Application/JSON", "application/vnd.shop+json")
    statuses = [hooks.post(content_type=kind).status_code for kind in kinds]
    assert statuses == [200, 200, 200] and len(hooks.rows()) == 3


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[1, 2]", "the body is a JSON array, not an object"),
        (b'"#1001"', "the body is a JSON string, not an object"),
        (b"1001", "the body is a JSON number, not an object"),
        (b"null", "the body is a JSON null, not an object"),
        (b'{"name": NaN}', "the body is not JSON (NaN is not a JSON value)"),
        (b'{"name": "#1001"', "the body is not JSON (Expecting ',' delimiter: line 1 column 17 (char 16))"),
        (b"\xff\xfe{}", "the body is not JSON ("),
        (b"[" * 100_000 + b"]" * 100_000, "the body is JSON nested too deeply"),
    ],
    ids=["array", "string", "number", "null", "nan", "cut", "not-utf8", "deep"],
)
def test_a_signed_body_that_is_not_a_json_object_is_400_with_one_line(hooks: Hooks, body: bytes, reason: str) -> None:
    answered = hooks.post(body)
    assert answered.status_code == 400
    assert answered.json()["error"].startswith(reason) and "\n" not in answered.json()["error"]
    assert hooks.rows() == []


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("shop/update", {"name": "A shop", "email": "owner@example.com"}),  # a topic Tillsync does not know
        ("fulfillments/create", {"order_id": 1}),
        ("inventory_levels/update", {"inventory_item_id": 1, "location_id": 1}),  # known; no flow reads it here
    ],
)
def test_a_delivery_no_flow_reads_is_acknowledged_and_not_stored(hooks: Hooks, topic: str, payload: Any) -> None:
    answered = hooks.post(payload, topic=topic)
    assert (answered.status_code, answered.json()) == (200, {"status": "ignored", "flows": []})
    assert hooks.rows() == []


@pytest.mark.parametrize(
    ("field", "length", "reason"),
    [
        ("webhook_id", 300, "the webhook id is 300 characters long; at most 200 are kept"),
        ("event_id", 300, "the event id is 300 characters long; at most 200 are kept"),
    ],
)
def test_an_id_longer_than_the_state_store_keeps_is_400_never_500(
    hooks: Hooks, field: str, length: int, reason: str
) -> None:
    answered = hooks.post(**{field: "w" * length})
    assert (answered.status_code, answered.json()) == (400, {"error": reason})
    fitting = hooks.post(**{field: "w" * 200})
    assert fitting.status_code == 200 and len(hooks.rows()) == 1


def test_a_topic_longer_than_the_state_store_keeps_is_400_never_500(tmp_path: Path, state_url: str) -> None:
    # Shopify's topics are short and unknown ones are not stored: a connector that names a long one
    shopify = CONNECTORS["shopify"]
    assert shopify.webhooks is not None

    def read(headers: Any, payload: Any, settings: Any) -> Event:
        return Event("orders/" + "x" * 150, headers["x-shopify-webhook-id"], Entity.order, [["#1001"]])

    hooked = dataclasses.replace(shopify, webhooks=dataclasses.replace(shopify.webhooks, read=read))
    with served(workspace(tmp_path, connectors={**CONNECTORS, "shopify": hooked}), state_url) as running:
        answered = running.post()
        assert (answered.status_code, answered.json()) == (
            400, {"error": "the topic is 157 characters long; at most 100 are kept"})  # fmt: skip
        assert running.rows() == []


def test_one_change_sent_to_two_subscriptions_is_stored_once(hooks: Hooks) -> None:
    first = hooks.post(topic="orders/paid", webhook_id="w-1", event_id="e-1")
    second = hooks.post(topic="orders/paid", webhook_id="w-2", event_id="e-1")  # another subscription's
    retried = hooks.post(topic="orders/paid", webhook_id="w-2", event_id="e-1")
    assert [a.json()["status"] for a in (first, second, retried)] == ["stored", "duplicate", "duplicate"]
    assert [(row.webhook_id, row.event_id) for row in hooks.rows()] == [("w-1", "e-1")]
    assert len(hooks.store.events.pending()) == 1


def test_deliveries_of_other_topics_from_one_change_are_each_kept(hooks: Hooks) -> None:
    # Shopify's event id is "shared across all deliveries produced by the same merchant action": an
    # order placed and paid at once is one action with deliveries of two topics, which may affect
    # different flows; only the same topic's is a duplicate
    answers = [hooks.post({"name": "#1001"}, topic=topic, event_id="e-1").json()["status"]
               for topic in ("orders/create", "orders/paid")]  # fmt: skip
    assert answers == ["stored", "stored"]
    assert [row.topic for row in hooks.rows()] == ["orders/create", "orders/paid"]


def test_a_delivery_signed_with_the_previous_secret_is_taken_while_it_is_configured(hooks: Hooks) -> None:
    previous = hooks.post(secret=PREVIOUS)
    other = hooks.post(secret="not-a-secret-of-ours")
    assert (previous.status_code, previous.json()["status"], other.status_code) == (200, "stored", 401)
    assert len(hooks.rows()) == 1


def test_without_a_previous_secret_only_the_current_one_signs(tmp_path: Path, state_url: str) -> None:
    with served(workspace(tmp_path, previous=None), state_url) as running:
        assert [running.post(secret=s).status_code for s in (PREVIOUS, "current-secret")] == [401, 200]


def test_what_is_stored_keeps_the_payload_the_keys_and_the_event_id(hooks: Hooks) -> None:
    answered = hooks.post({"name": "#1001", "email": "a@example.com"}, topic="orders/paid", event_id="e-9")
    assert answered.json() == {"status": "stored", "flows": ["orders"]}
    [row] = hooks.rows()
    assert (row.topic, row.entity, row.event_id, row.keys, json.loads(json.dumps(row.payload))) == (
        "orders/paid", "order", "e-9", [["#1001"]], {"name": "#1001", "email": "a@example.com"})  # fmt: skip


def _as_version_4(url: str) -> None:
    """Turn a new state store into one as version 4 left it: no event id, no index on it."""
    with StateStore(url) as store, store.engine.begin() as connection:
        connection.execute(sa.text("DROP INDEX events_change_once"))
        connection.execute(sa.text("ALTER TABLE events DROP COLUMN event_id"))
        connection.execute(sa.delete(t.schema_version).where(t.schema_version.c.version > 4))
        connection.execute(sa.text(
            "INSERT INTO events (integration, system, webhook_id, topic, entity, flows, keys, payload, status,"
            " received_at) VALUES ('shop-sync', 'shop', 'w-old', 'orders/paid', 'order', '[\"orders\"]',"
            " '[[\"#1\"]]', '{}', 'pending', CURRENT_TIMESTAMP)"))  # fmt: skip


def test_migration_5_adds_event_ids_to_a_version_4_store_and_keeps_its_events(state_url: str) -> None:
    _as_version_4(state_url)
    with StateStore(state_url) as store:
        with store.engine.connect() as connection:
            versions = connection.execute(sa.select(t.schema_version.c.version)).scalars().all()
            old = connection.execute(sa.select(t.events.c.webhook_id, t.events.c.event_id)).all()
        assert versions == list(range(1, t.LATEST + 1)) and [tuple(row) for row in old] == [("w-old", None)]
        record = ("shop-sync", "shop")
        assert store.events.record(*record, "w-1", "orders/paid", "order", ["orders"], [], {}, event_id="e-1")
        assert not store.events.record(*record, "w-2", "orders/paid", "order", ["orders"], [], {}, event_id="e-1")
        assert store.events.record(*record, "w-3", "orders/paid", "order", ["orders"], [], {})  # no event id
        assert store.events.record(*record, "w-4", "orders/paid", "order", ["orders"], [], {})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"webhook_id": "w" * 201}, "the webhook id is 201 characters long; at most 200 are kept"),
        ({"topic": "t" * 101}, "the topic is 101 characters long; at most 100 are kept"),
        ({"event_id": "e" * 201}, "the event id is 201 characters long; at most 200 are kept"),
    ],
)
def test_a_value_longer_than_its_column_is_refused_before_the_database_sees_it(
    state_url: str, values: dict[str, str], message: str
) -> None:
    given = {"webhook_id": "w-1", "topic": "orders/paid", "event_id": None, **values}
    with StateStore(state_url) as store:
        with pytest.raises(TooLong, match=message):
            store.events.record("shop-sync", "shop", given["webhook_id"], given["topic"], "order", ["orders"], [],
                                {}, event_id=given["event_id"])  # fmt: skip
        assert store.events.pending() == []
