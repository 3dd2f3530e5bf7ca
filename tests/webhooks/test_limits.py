"""The receiver's limits over real sockets: a body over the size limit is refused (before it is read
when its length is declared, where it crosses the limit otherwise), a body too slow to arrive is
dropped at the read timeout, and a sender that goes away is one line in the log, not a traceback,
while an error of the receiver's own still is one."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from connectors import CONNECTORS
from connectors.shopify.webhooks import sign
from engine.connector import WebhookSupport
from engine.state import StateStore
from engine.webhooks.body import Limits
from engine.webhooks.receiver import receiver
from tests.webhooks.receiving import SECRET, Hooks, served, workspace

LIMITS = Limits(max_body=64 * 1024, read_timeout_s=1.0)
PATH = "/webhooks/shop-sync/shop"


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[Hooks]:
    with served(workspace(tmp_path), f"sqlite:///{tmp_path / 'state.db'}", LIMITS) as running:
        yield running


@contextmanager
def logged() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn and the receiver log meanwhile (attached after uvicorn configured its loggers)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    loggers = [logging.getLogger("uvicorn.error"), logging.getLogger("engine.webhooks.receiver")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def connect(url: str, head: dict[str, str]) -> socket.socket:
    """A connection that has sent a POST's request line and headers, and no body yet."""
    parts = urlsplit(url)
    conn = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
    lines = [f"POST {PATH} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json",
             *(f"{name}: {value}" for name, value in head.items())]  # fmt: skip
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return conn


def answer(conn: socket.socket, wait_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    start, got = time.monotonic(), b""
    conn.settimeout(wait_s)
    try:
        while chunk := conn.recv(65536):
            got += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open {wait_s:g} s; it sent {got[:80]!r}")
    except ConnectionResetError:
        pass  # it closed with bytes of ours unread: what it answered came first
    return got, time.monotonic() - start


def test_a_declared_length_over_the_limit_is_refused_before_anything_is_read(hooks: Hooks) -> None:
    conn = connect(hooks.url, {"Content-Length": str(1_000_000_000), "X-Shopify-Topic": "orders/paid"})
    with conn:
        got, took = answer(conn, wait_s=5)
    assert got.startswith(b"HTTP/1.1 413 ") and b"over the 64 KiB limit" in got
    assert took < 1.0 and hooks.rows() == []


def test_a_signed_body_over_the_limit_is_refused_and_not_stored(hooks: Hooks) -> None:
    padding = "x" * LIMITS.max_body  # a well-signed object, one byte over is enough
    answered = hooks.post({"name": "#1001", "note": padding})
    assert answered.status_code == 413 and answered.headers["connection"] == "close"
    assert hooks.rows() == []


def test_an_unsigned_body_growing_past_the_limit_is_cut_off_there(tmp_path: Path) -> None:
    read: list[int] = []

    def counting(app: Any) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            async def counted() -> Any:
                message = await receive()
                read.append(len(message.get("body", b"")))
                return message

            await app(scope, counted, send)

        return wrapped

    from connectors.testing.server import serving

    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store, \
            serving(counting(receiver(workspace(tmp_path), store, limits=LIMITS))) as url:  # fmt: skip
        conn = connect(url, {"Transfer-Encoding": "chunked", "X-Shopify-Topic": "orders/paid"})
        chunk = b"%x\r\n%s\r\n" % (16 * 1024, b"x" * 16 * 1024)
        sender = threading.Thread(target=_send_quietly, args=(conn, [chunk] * 512), daemon=True)  # 8 MiB
        sender.start()
        with conn:
            got, _ = answer(conn, wait_s=10)
        sender.join(timeout=10)
    assert got.startswith(b"HTTP/1.1 413 "), got[:200]
    # uvicorn hands over what one read of the socket brought; far less than the 8 MiB sent
    assert LIMITS.max_body < sum(read) <= LIMITS.max_body + 512 * 1024


def _send_quietly(conn: socket.socket, parts: list[bytes]) -> None:
    try:
        for part in parts:
            conn.sendall(part)
    except OSError:
        pass  # the server closed the connection: the point


@pytest.mark.parametrize("trickle", [False, True], ids=["stalled", "trickling"])
def test_a_body_that_does_not_arrive_in_time_is_dropped_at_the_read_timeout(hooks: Hooks, trickle: bool) -> None:
    conn = connect(hooks.url, {"Content-Length": str(LIMITS.max_body), "X-Shopify-Topic": "orders/paid"})
    parts = [b"0123456789"] * (30 if trickle else 1)
    sender = threading.Thread(target=_trickle, args=(conn, parts), daemon=True)  # a byte now and then: not idle
    with logged() as records, conn:
        sender.start()
        got, took = answer(conn, wait_s=5)
    assert got.startswith(b"HTTP/1.1 408 ") and took < LIMITS.read_timeout_s + 1.0
    [record] = records
    assert record.getMessage().startswith("webhook for shop-sync/shop refused with 408: the body did not arrive "
                                          "within 1 s (") and record.exc_info is None  # fmt: skip
    assert hooks.rows() == []


def _trickle(conn: socket.socket, parts: list[bytes]) -> None:
    try:
        for part in parts:
            conn.sendall(part)
            time.sleep(0.2)
    except OSError:
        pass


def test_a_sender_that_goes_away_is_one_line_in_the_log_not_a_traceback(hooks: Hooks) -> None:
    with logged() as records:
        conn = connect(hooks.url, {"Content-Length": "1000", "X-Shopify-Topic": "orders/paid"})
        conn.sendall(b"0123456789")
        time.sleep(0.2)
        conn.close()
        deadline = time.monotonic() + 5
        while not records and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # anything uvicorn would log after it
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in records] == [
        ("WARNING", "webhook for shop-sync/shop dropped: the sender went away after 10 bytes of the body", None)
    ]


def test_an_error_of_the_receivers_own_is_still_logged_with_its_traceback(tmp_path: Path) -> None:
    shopify = CONNECTORS["shopify"]
    assert shopify.webhooks is not None

    def broken(headers: Any, payload: Any, settings: Any) -> Any:
        raise RuntimeError("a bug in reading deliveries")

    hooked = dataclasses.replace(shopify, webhooks=WebhookSupport(
        shopify.webhooks.secret_credential, shopify.webhooks.verify, broken))  # fmt: skip
    ws = workspace(tmp_path, connectors={**CONNECTORS, "shopify": hooked})
    with served(ws, f"sqlite:///{tmp_path / 'state.db'}", LIMITS) as running, logged() as records:
        body = json.dumps({"name": "#1001"}).encode()
        answered = running.post(body, headers={"X-Shopify-Hmac-Sha256": sign(SECRET, body)})
    assert answered.status_code == 500
    assert [(r.levelname, r.getMessage()) for r in records if r.exc_info] == [
        ("ERROR", "Exception in ASGI application\n")
    ]
