"""`tillsync webhooks serve` as an operator runs it: a real server that stores signed deliveries, with
its limits set on the command line, and one line on stderr for a sender that went away."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from connectors.shopify.webhooks import sign
from engine.state import StateStore, default_url, tables

REPO = Path(__file__).parents[2]
INTEGRATION = "mpluskassa-shopify-pos"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    root: Path
    stdout: Path
    stderr: Path

    @property
    def endpoint(self) -> str:
        return f"{self.url}/webhooks/{INTEGRATION}/shop"

    def connect(self, head: str) -> socket.socket:
        conn = socket.create_connection(("127.0.0.1", int(self.url.rsplit(":", 1)[1])), timeout=10)
        conn.sendall(f"POST /webhooks/{INTEGRATION}/shop HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
        return conn


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`webhooks serve --queue-only` on the sandbox environment, with a 64 KiB body limit and a 1 s
    read timeout; its output goes to files the tests read."""
    root = tmp_path_factory.mktemp("repo")
    for folder in ("specs", "environments"):
        shutil.copytree(REPO / folder, root / folder)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SANDBOX_SHOPIFY_TOKEN": "t",
           "SANDBOX_SHOPIFY_WEBHOOK_SECRET": "s3cret"}  # fmt: skip
    command = [sys.executable, "-m", "engine.cli", "webhooks", "serve", "--env", "sandbox", "--port", str(port),
               "--queue-only", "--max-body", "64KiB", "--read-timeout", "1"]  # fmt: skip
    served = Server(f"http://127.0.0.1:{port}", root, root / "stdout.txt", root / "stderr.txt")
    with served.stdout.open("w") as out, served.stderr.open("w") as err, \
            subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=err, text=True) as process:  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"{served.url}/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None, served.stderr.read_text()
                    time.sleep(0.1)
            yield served
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_the_receiver_serves_verifies_and_stores(server: Server) -> None:
    body = json.dumps({"name": "#1001", "admin_graphql_api_id": "gid://shopify/Order/1"}).encode()
    headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": "abc", "Content-Type": "application/json"}
    signed, forged = (
        httpx.post(server.endpoint, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": sign(secret, body)})
        for secret in ("s3cret", "guess")
    )
    # no flow of the integration reads stock from the shop: acknowledged, and nothing kept
    stock = json.dumps({"inventory_item_id": 1, "location_id": 1}).encode()
    unread = httpx.post(server.endpoint, content=stock, headers={
        **headers, "X-Shopify-Topic": "inventory_levels/update", "X-Shopify-Webhook-Id": "def",
        "X-Shopify-Hmac-Sha256": sign("s3cret", stock)})  # fmt: skip
    assert (signed.status_code, signed.json()) == (200, {"status": "stored", "flows": ["orders"]})
    assert forged.status_code == 401
    assert (unread.status_code, unread.json()["status"]) == (200, "ignored")
    with StateStore(default_url(server.root, "sandbox")) as store, store.engine.connect() as connection:
        rows = connection.execute(tables.events.select()).fetchall()
    assert [(row.topic, row.entity, row.status, row.keys) for row in rows] == [
        ("orders/paid", "order", "pending", [["#1001"]])
    ]


def test_the_limits_are_settings_of_the_command(server: Server) -> None:
    assert "bodies up to 64 KiB, arriving within 1 s" in server.stdout.read_text()
    declared = server.connect(f"Content-Type: application/json\r\nContent-Length: {64 * 1024 + 1}\r\n")
    slow = server.connect(f"Content-Type: application/json\r\nContent-Length: {64 * 1024}\r\n")
    slow.sendall(b"0123456789")
    start = time.monotonic()
    with declared, slow:
        assert _answer(declared).startswith(b"HTTP/1.1 413 ")
        assert _answer(slow).startswith(b"HTTP/1.1 408 ") and time.monotonic() - start < 3


def test_a_sender_that_goes_away_is_one_line_on_stderr(server: Server) -> None:
    conn = server.connect("Content-Type: application/json\r\nContent-Length: 1000\r\n")
    conn.sendall(b"0123456789")
    time.sleep(0.2)
    conn.close()
    line = f"webhook for {INTEGRATION}/shop dropped: the sender went away after 10 bytes of the body"
    deadline = time.monotonic() + 10
    while line not in server.stderr.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # and whatever uvicorn would have logged after it
    logged = server.stderr.read_text()
    assert logged.count(line) == 1 and "Traceback" not in logged and "Exception in ASGI application" not in logged


def _answer(conn: socket.socket) -> bytes:
    got = b""
    conn.settimeout(5)
    while chunk := conn.recv(65536):
        got += chunk
    return got
