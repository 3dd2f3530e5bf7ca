"""The webhook receiver served over loopback HTTP for one Shopify system: a repository with one
integration reading from it, deliveries signed as Shopify signs them, and what the receiver stored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from connectors import CONNECTORS
from connectors.shopify.webhooks import sign
from connectors.testing.server import serving
from engine.connector import Connector
from engine.run.workspace import Workspace, load_workspace
from engine.state import StateStore, tables
from engine.webhooks.body import Limits
from engine.webhooks.receiver import receiver

REPO = Path(__file__).parents[2]
SECRET, PREVIOUS = "current-secret", "previous-secret"
SPEC = """\
version: 1
name: shop-sync
systems:
  shop:
    connector: shopify
    settings: {url: "http://127.0.0.1:9"}
    credentials:
      access_token: env:SHOP_TOKEN
      webhook_secret: env:SHOP_WEBHOOK_SECRET
      previous_webhook_secret: env:SHOP_PREVIOUS_WEBHOOK_SECRET
  erp: {connector: files, settings: {path: erp}}
flows:
  products: {entity: product, from: shop, to: erp, trigger: {webhook: true}}
  orders: {entity: order, from: shop, to: erp, trigger: {webhook: true}}
  customers: {entity: customer, from: shop, to: erp, trigger: {webhook: true}}
  stock: {entity: stock, from: shop, to: erp}
"""
ENVIRONMENT = "name: test\nintegrations:\n  shop-sync:\n    spec: specs/shop-sync.yaml\n"


def workspace(root: Path, *, secret: str = SECRET, previous: str | None = PREVIOUS,
              connectors: Mapping[str, Connector] = CONNECTORS, spec: str = SPEC) -> Workspace:  # fmt: skip
    """A repository with one integration reading from a Shopify system whose webhook secret is
    `secret` (and the previous one `previous`, unless None)."""
    for folder in ("specs", "environments", "erp"):
        (root / folder).mkdir(exist_ok=True)
    (root / "specs" / "shop-sync.yaml").write_text(spec)
    (root / "environments" / "test.yaml").write_text(ENVIRONMENT)
    environ = {"SHOP_TOKEN": "token", "SHOP_WEBHOOK_SECRET": secret}
    if previous is not None:
        environ["SHOP_PREVIOUS_WEBHOOK_SECRET"] = previous
    return load_workspace(root, "test", connectors=connectors, environ=environ)


@dataclass
class Hooks:
    """A served receiver: post deliveries to its Shopify system, read what it stored."""

    url: str
    endpoint: str
    store: StateStore

    def post(
        self, payload: Any = None, *, topic: str = "orders/paid", webhook_id: str | None = None,
        event_id: str | None = None, secret: str = SECRET, headers: Mapping[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> httpx.Response:  # fmt: skip
        """Post a delivery signed with `secret`, as Shopify sends it; `payload` bytes go as they are."""
        if not isinstance(payload, bytes):
            payload = json.dumps({"name": "#1001"} if payload is None else payload).encode()
        sent = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
                "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
                "X-Shopify-Hmac-Sha256": sign(secret, payload)}  # fmt: skip
        if content_type is not None:
            sent["Content-Type"] = content_type
        return httpx.post(self.endpoint, content=payload, headers={**sent, **(headers or {})}, timeout=30)

    def rows(self) -> list[sa.Row[Any]]:
        with self.store.engine.connect() as connection:
            return list(connection.execute(tables.events.select().order_by(tables.events.c.id)))


@contextmanager
def served(ws: Workspace, url: str, limits: Limits | None = None) -> Iterator[Hooks]:
    """The receiver over `ws` with its state store at `url`, served for the block."""
    with StateStore(url) as store, serving(receiver(ws, store, limits=limits)) as base:
        yield Hooks(base, f"{base}/webhooks/shop-sync/shop", store)
