"""The receiver against what Shopify publishes (the shared folder's `SOURCES.md` names each source):
the HMAC test vectors of Shopify's own libraries, and its example payloads and anonymised real
deliveries, sent byte for byte as Shopify sends them, within the default limits."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from connectors.shopify.webhooks import sign, verify, verify_delivery
from tests.webhooks.receiving import SECRET, served, workspace

FLOWS = {"orders": "orders", "customers": "customers", "products": "products"}  # topic resource → flow here


def test_shopifys_hmac_vectors_verify_as_its_libraries_expect(shopify_fixtures: Path) -> None:
    vectors = json.loads((shopify_fixtures / "hmac-vectors.json").read_text())
    got = [verify(v["secret"], v["body"].encode(), v["hmac"]) for v in vectors]
    assert got == [v["valid"] for v in vectors] and len(vectors) >= 10
    for v in vectors:  # under either header name Shopify signs with
        for header in ("x-shopify-hmac-sha256", "shopify-hmac-sha256"):
            assert verify_delivery(v["secret"], v["body"].encode(), {header: v["hmac"]}) is v["valid"], v["source"]


def test_the_previous_secret_of_shopify_apps_rotation_vectors_signs_only_while_configured(
    shopify_fixtures: Path, tmp_path: Path
) -> None:
    """shopify_app's 'authorized request validated with old secret': secret `secret`, old `old_secret`."""
    vectors = json.loads((shopify_fixtures / "hmac-vectors.json").read_text())
    current = next(v for v in vectors if v["secret"] == "secret" and v["valid"])
    old = next(v for v in vectors if v["secret"] == "old_secret" and v["valid"])
    statuses = {}
    for previous in ("old_secret", None):
        (root := tmp_path / str(previous)).mkdir()
        with served(workspace(root, secret="secret", previous=previous), f"sqlite:///{root / 'state.db'}") as running:
            for name, vector in (("current", current), ("old", old)):
                answered = running.post(vector["body"].encode(), headers={"X-Shopify-Hmac-Sha256": vector["hmac"]})
                statuses[(previous, name)] = answered.status_code
    # 400: verified, then refused because this vector's body is a form, not JSON; 401: not verified
    assert statuses == {("old_secret", "current"): 400, ("old_secret", "old"): 400,
                        (None, "current"): 400, (None, "old"): 401}  # fmt: skip


def test_shopifys_example_and_real_deliveries_are_taken_as_sent(shopify_fixtures: Path, tmp_path: Path) -> None:
    deliveries = json.loads((shopify_fixtures / "deliveries.json").read_text())
    got, expected = [], []
    with served(workspace(tmp_path), f"sqlite:///{tmp_path / 'state.db'}") as running:
        for delivery in deliveries:
            body, payload = _body(shopify_fixtures, delivery)
            headers = {
                "Content-Type": "application/json", "User-Agent": "Shopify-Captain-Hook",
                "X-Shopify-Topic": delivery["topic"], "X-Shopify-API-Version": delivery["api_version"],
                "X-Shopify-Hmac-Sha256": sign(SECRET, body), "X-Shopify-Shop-Domain": "example.myshopify.com",
                "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-Event-Id": str(uuid.uuid4()),
                "X-Shopify-Triggered-At": "2026-04-01T12:00:00.000Z",
            }  # fmt: skip
            answered = httpx.post(running.endpoint, content=body, headers=headers)
            got.append((delivery["file"], answered.status_code, answered.json()))
            flow = FLOWS.get(delivery["topic"].split("/")[0])
            expected.append((delivery["file"], 200, {"status": "stored", "flows": [flow]} if flow
                             else {"status": "ignored", "flows": []}))  # fmt: skip
            if flow:
                row = running.rows()[-1]
                assert (row.topic, row.keys) == (delivery["topic"], _keys(flow, payload)), delivery["file"]
                assert row.payload == payload, "stored as it came"
    assert got == expected
    assert max(len(_body(shopify_fixtures, d)[0]) for d in deliveries) > 10_000  # the orders, well inside 10 MiB


def _body(folder: Path, delivery: dict[str, Any]) -> tuple[bytes, Any]:
    """The bytes Shopify sends for a fixture (the file, or its `response` member compact, with `/` as
    `\\/` where marked), and the payload they hold."""
    raw = (folder / delivery["file"]).read_bytes()
    if delivery["body"] == "file":
        return raw, json.loads(raw)
    payload = json.loads(raw)["response"]
    text = json.dumps(payload, separators=(",", ":"))
    return (text.replace("/", "\\/") if delivery.get("escape_slashes") else text).encode(), payload


def _keys(flow: str, payload: dict[str, Any]) -> list[list[str]]:
    """The keys Tillsync reads from a payload: order names, lower-cased e-mails; the examples carry no
    product number metafield, so a product event runs its flow whole."""
    if flow == "orders":
        return [[str(payload.get("name") or payload.get("admin_graphql_api_id"))]]
    if flow == "customers":
        return [[payload["email"].lower()]] if payload.get("email") else []
    return []
