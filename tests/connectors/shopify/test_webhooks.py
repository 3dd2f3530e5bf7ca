"""Webhooks from the Shopify sandbox to the receiver, over loopback HTTP: accepted, refused,
deduplicated; the sandbox sends what Shopify sends, and Events deliveries are read too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors import CONNECTORS
from connectors.shopify.webhooks import sign
from connectors.testing.server import Receiver, serving
from engine.records import Entity
from engine.run.workspace import load_workspace
from engine.state import StateStore, default_url
from engine.webhooks.receiver import receiver
from tests.connectors.shopify.conftest import Running
from tests.connectors.shopify.test_client import MUG

SPEC = """\
version: 1
name: shop-sync
systems:
  shop:
    connector: shopify
    settings: {url: "http://127.0.0.1:1"}
    credentials: {access_token: env:SHOP_TOKEN, webhook_secret: env:SHOP_WEBHOOK_SECRET}
  erp: {connector: files, settings: {path: erp}}
flows:
  products:
    entity: product
    from: shop
    to: erp
    trigger: {webhook: true}
  stock:
    entity: stock
    from: shop
    to: erp
"""


@pytest.fixture
def receiving(tmp_path: Path, shopify: Running) -> Iterator[tuple[str, StateStore]]:
    for folder in ("specs", "environments", "erp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "specs" / "shop-sync.yaml").write_text(SPEC)
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  shop-sync:\n    spec: specs/shop-sync.yaml\n"
    )
    environ = {"SHOP_TOKEN": shopify.sandbox.token, "SHOP_WEBHOOK_SECRET": shopify.sandbox.webhook_secret,
               "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shopify.url}  # fmt: skip
    workspace = load_workspace(tmp_path, "test", connectors=CONNECTORS, environ=environ)
    store = StateStore(default_url(tmp_path, "test"))
    with serving(receiver(workspace, store)) as url:
        yield f"{url}/webhooks/shop-sync/shop", store
    store.close()


def test_a_shopify_event_is_verified_stored_and_marks_its_flow(
    shopify: Running, receiving: tuple[str, StateStore]
) -> None:
    endpoint, store = receiving
    client = shopify.client()
    for topic in ("products/create", "products/update", "inventory_levels/update"):
        client.subscribe(topic, endpoint)
    client.write(Entity.product, [MUG])
    client.write(Entity.product, [MUG.model_copy(update={"title": "Big mug"})])
    shopify.sandbox.webhooks.wait_idle()
    assert [d.status for d in shopify.sandbox.webhooks.deliveries] == [200, 200]
    events = store.events.pending()
    assert [(e.topic, e.flows, e.keys) for e in events] == [
        ("products/create", ["products"], [["2000"]]),
        ("products/update", ["products"], [["2000"]]),
    ]
    store.events.finish_flow([e.id for e in events], "products")
    assert store.events.pending() == []


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(receiving: tuple[str, StateStore]) -> None:
    endpoint, store = receiving
    body = json.dumps({"name": "#1001"}).encode()
    headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": "w-1", "Content-Type": "application/json"}
    with httpx.Client() as http:
        forged = http.post(endpoint, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": sign("wrong", body)})
        unsigned = http.post(endpoint, content=body, headers=headers)
        tampered = http.post(
            endpoint,
            content=body + b" ",
            headers={**headers, "X-Shopify-Hmac-Sha256": sign("sandbox_webhook_secret", body)},
        )
    assert (forged.status_code, unsigned.status_code, tampered.status_code) == (401, 401, 401)
    with store.engine.connect() as connection:
        from engine.state import tables

        assert connection.execute(tables.events.select()).fetchall() == []


def test_a_redelivery_is_acknowledged_once_stored(receiving: tuple[str, StateStore]) -> None:
    endpoint, store = receiving
    body = json.dumps({"admin_graphql_api_id": "gid://shopify/Product/1", "metafields": []}).encode()
    headers = {"X-Shopify-Topic": "products/update", "X-Shopify-Webhook-Id": "same-id",
               "X-Shopify-Hmac-Sha256": sign("sandbox_webhook_secret", body),
               "Content-Type": "application/json"}  # fmt: skip
    with httpx.Client() as http:
        answers = [http.post(endpoint, content=body, headers=headers).json()["status"] for _ in range(3)]
    assert answers == ["stored", "duplicate", "duplicate"]
    assert len(store.events.pending()) == 1


def test_an_unknown_system_is_404(receiving: tuple[str, StateStore]) -> None:
    endpoint, _ = receiving
    with httpx.Client() as http:
        assert http.post(endpoint.replace("/shop", "/till"), content=b"{}").status_code == 404
        assert http.post(endpoint.replace("/shop", "/erp"), content=b"{}").status_code == 404


# What Shopify's "Webhooks delivery structure" page lists, and real deliveries carry
SHOPIFY_HEADERS = {
    "content-type", "user-agent", "x-shopify-topic", "x-shopify-hmac-sha256", "x-shopify-shop-domain",
    "x-shopify-api-version", "x-shopify-webhook-id", "x-shopify-triggered-at", "x-shopify-event-id",
}  # fmt: skip


def test_the_sandbox_sends_one_change_as_shopify_does_to_every_subscription(shopify: Running) -> None:
    client = shopify.client()
    receiver = Receiver()
    with serving(receiver) as url:
        client.subscribe("products/create", f"{url}/a")
        client.subscribe("products/create", f"{url}/b")  # a second subscription to the topic
        client.write(Entity.product, [MUG])
        first, second = receiver.wait(2)
    assert {first.path, second.path} == {"/a", "/b"}
    for delivery in (first, second):
        assert set(delivery.headers) >= SHOPIFY_HEADERS, SHOPIFY_HEADERS - set(delivery.headers)
        assert (delivery.headers["content-type"], delivery.headers["user-agent"]) == (
            "application/json", "Shopify-Captain-Hook")  # fmt: skip
        assert delivery.headers["x-shopify-hmac-sha256"] == sign(shopify.sandbox.webhook_secret, delivery.body)
        # Shopify's encoder: compact, "/" written as "\/" (the signature is over those bytes)
        compact = json.dumps(json.loads(delivery.body), separators=(",", ":"), ensure_ascii=False)
        assert b"\\/" in delivery.body and delivery.body == compact.replace("/", "\\/").encode()
    # one merchant action: one event id and time, a webhook id per delivery
    assert first.headers["x-shopify-event-id"] == second.headers["x-shopify-event-id"]
    assert first.headers["x-shopify-triggered-at"] == second.headers["x-shopify-triggered-at"]
    assert first.headers["x-shopify-webhook-id"] != second.headers["x-shopify-webhook-id"]


def test_one_change_sent_to_two_subscriptions_is_one_event(shopify: Running, receiving: tuple[str, StateStore]) -> None:
    endpoint, store = receiving
    client = shopify.client()
    client.subscribe("products/create", endpoint)
    client.subscribe("products/create", endpoint)
    client.write(Entity.product, [MUG])
    shopify.sandbox.webhooks.wait_idle()
    assert [d.status for d in shopify.sandbox.webhooks.deliveries] == [200, 200]
    assert [(e.topic, e.flows) for e in store.events.pending()] == [("products/create", ["products"])]


def test_an_events_delivery_signed_without_the_x_prefix_is_taken(receiving: tuple[str, StateStore]) -> None:
    endpoint, store = receiving
    # the example payload of Shopify's "Events delivery structure" page, and the headers its library
    # reads from an Events delivery (shopify-app-js: Shopify-Hmac-Sha256, -Topic, -Action, -Webhook-Id, …)
    body = json.dumps({
        "topic": "Product", "action": "update", "handle": "product-updates",
        "fields_changed": ["product[id: 'gid://shopify/Product/123'].variants[id: 'gid://shopify/ProductVariant/456'].price"],
        "query_variables": {"productId": "gid://shopify/Product/123", "variantsId": "gid://shopify/ProductVariant/456"},
    }, separators=(",", ":")).encode()  # fmt: skip
    headers = {
        "Content-Type": "application/json", "Shopify-Hmac-Sha256": sign("sandbox_webhook_secret", body),
        "Shopify-Topic": "Product", "Shopify-Action": "update", "Shopify-Handle": "product-updates",
        "Shopify-Webhook-Id": "webhook-456", "Shopify-Event-Id": "evt-123", "Shopify-API-Version": "unstable",
        "Shopify-Shop-Domain": "example.myshopify.com", "Shopify-Resource-Id": "gid://shopify/Product/123",
        "Shopify-Triggered-At": "2026-01-27T12:00:00Z",
    }  # fmt: skip
    with httpx.Client() as http:
        answers = [http.post(endpoint, content=body, headers=headers) for _ in range(2)]
        forged = http.post(endpoint, content=body, headers={**headers, "Shopify-Hmac-Sha256": sign("guess", body)})
    assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "stored"), (200, "duplicate")]
    assert forged.status_code == 401
    # the body names no product number: the flow runs whole, incrementally
    assert [(e.topic, e.entity, e.flows, e.keys) for e in store.events.pending()] == [
        ("Product/update", "product", ["products"], [])]  # fmt: skip
