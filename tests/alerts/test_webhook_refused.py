"""Refused webhook deliveries, end to end: `tillsync webhooks serve` as an operator runs it, a shop's
deliveries refused (a signature that does not verify, a body over the limit), one alert to the chat
channel naming the system and what to check, and a resolved notice once a delivery verifies again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from connectors.shopify.webhooks import sign
from connectors.testing.ports import free_port
from tests.alerts.conftest import TOKEN, Chat
from tests.webhooks.receiving import ENVIRONMENT, SPEC

REPO = Path(__file__).parents[2]
SECRET = "the-shops-webhook-s3cret"
REFUSED = "shop-sync/shop: a webhook delivery was refused with HTTP"
TITLE = f"[tillsync test] {REFUSED}"


@dataclass
class Receiver:
    endpoint: str
    stderr: Path

    def post(self, body: bytes, secret: str = SECRET) -> httpx.Response:
        headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                   "Content-Type": "application/json", "X-Shopify-Hmac-Sha256": sign(secret, body)}  # fmt: skip
        return httpx.post(self.endpoint, content=body, headers=headers, timeout=30)


@pytest.fixture
def receiver(tmp_path: Path, chat: Chat) -> Iterator[Receiver]:
    """`webhooks serve --queue-only` with a 1 KiB body limit, its environment alerting to the chat receiver."""
    for folder in ("specs", "environments", "erp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "specs" / "shop-sync.yaml").write_text(SPEC)
    (tmp_path / "environments" / "test.yaml").write_text(ENVIRONMENT + "alerts:\n  chat: {url: env:ALERT_CHAT_URL}\n")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SHOP_TOKEN": "shpat_token", "SHOP_WEBHOOK_SECRET": SECRET,
           "ALERT_CHAT_URL": chat.url}  # fmt: skip
    env.pop("TILLSYNC_STATE_URL", None)
    command = [sys.executable, "-m", "engine.cli", "webhooks", "serve", "--env", "test", "--port", str(port),
               "--queue-only", "--max-body", "1KiB"]  # fmt: skip
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err, subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                                   stderr=err) as process:  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None, stderr.read_text()
                    time.sleep(0.1)
            yield Receiver(f"http://127.0.0.1:{port}/webhooks/shop-sync/shop", stderr)
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_refused_deliveries_are_one_alert_and_resolved_once_one_verifies(receiver: Receiver, chat: Chat) -> None:
    order = json.dumps({"name": "#1001", "admin_graphql_api_id": "gid://shopify/Order/1"}).encode()
    assert receiver.post(order, secret="a-rotated-secret").status_code == 401
    [text] = chat.texts()
    assert text.startswith(f"{TITLE} 401: invalid signature; check webhook_secret (SHOP_WEBHOOK_SECRET) against "
                           "the secret the system signs with")  # fmt: skip
    assert "tillsync status --env test --flow shop-sync" in text

    assert receiver.post(order, secret="a-rotated-secret").status_code == 401
    assert receiver.post(b'{"pad": "' + b"x" * 2048 + b'"}').status_code == 413
    assert len(chat.posts) == 1, "deliveries refused while the problem lasts are one alert"

    assert receiver.post(order).status_code == 200
    assert len(chat.posts) == 2
    assert chat.texts()[1].startswith(f"[tillsync test] resolved: {REFUSED} 401: invalid signature")
    assert receiver.post(order).status_code == 200
    assert len(chat.posts) == 2, "a resolved problem is said resolved once"

    assert receiver.post(order, secret="a-rotated-secret").status_code == 401
    assert len(chat.posts) == 3 and chat.texts()[2].startswith(f"{TITLE} 401"), "refused again: a new problem"

    logged = receiver.stderr.read_text()
    for said in (*chat.texts(), logged):
        assert SECRET not in said and TOKEN not in said and "shpat_token" not in said, said
    assert "Traceback" not in logged
