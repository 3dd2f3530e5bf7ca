"""`tillsync webhooks serve` as an operator runs it: a real server that stores signed deliveries."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from connectors.shopify.webhooks import sign
from engine.state import StateStore, default_url, tables

REPO = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_receiver_serves_verifies_and_stores(tmp_path: Path) -> None:
    for folder in ("specs", "environments"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SANDBOX_SHOPIFY_TOKEN": "t",
        "SANDBOX_SHOPIFY_WEBHOOK_SECRET": "s3cret",
    }
    command = [sys.executable, "-m", "engine.cli", "webhooks", "serve", "--env", "sandbox", "--port", str(port)]
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"{url}/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and server.poll() is None, server.stderr
                    time.sleep(0.1)
            body = json.dumps(
                {"inventory_item_id": "gid://shopify/InventoryItem/1", "location_id": "gid://shopify/Location/1"}
            ).encode()
            headers = {"X-Shopify-Topic": "inventory_levels/update", "X-Shopify-Webhook-Id": "abc"}
            endpoint = f"{url}/webhooks/mpluskassa-shopify-pos/shop"
            signed = httpx.post(
                endpoint, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": sign("s3cret", body)}
            )
            forged = httpx.post(
                endpoint, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": sign("guess", body)}
            )
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert (signed.status_code, signed.json()["status"], forged.status_code) == (200, "stored", 401)
    with StateStore(default_url(tmp_path, "sandbox")) as store, store.engine.connect() as connection:
        rows = connection.execute(tables.events.select()).fetchall()
    # stored once; no flow of the integration reads stock from the shop, so nothing waits to run
    assert [(row.topic, row.entity, row.status) for row in rows] == [("inventory_levels/update", "stock", "ignored")]
