"""The Shopify side of the benchmarks: a client on the virtual clock that counts what it spends, and
a workspace that syncs a `files` export into the sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.clock import VirtualClock
from connectors import CONNECTORS
from connectors.shopify.client import ShopifyClient
from connectors.shopify.cost import Plan
from connectors.shopify.documents import Document
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.settings import ShopifySettings
from connectors.shopify.transport import Transport
from engine.run.workspace import Workspace, load_workspace


@dataclass
class Tally:
    calls: int = 0
    points: int = 0  # the actual cost Shopify charged


BULK_OPERATIONS = ("BulkOperationRunQuery", "BulkOperation")


@dataclass
class CountingTransport(Transport):
    """The connector's transport, counting calls and cost points of queries, of mutations and of
    bulk operations (starting one, polling it) apart."""

    reads: Tally = field(default_factory=Tally)
    writes: Tally = field(default_factory=Tally)
    bulk: Tally = field(default_factory=Tally)
    bulk_operations: int = 0  # started

    def request(self, document: Document, variables: Mapping[str, Any]) -> dict[str, Any]:
        calls, points = self.usage.calls, self.usage.actual_points
        try:
            return super().request(document, variables)
        finally:
            if document.operation in BULK_OPERATIONS:
                tally = self.bulk
                self.bulk_operations += document.operation == BULK_OPERATIONS[0]
            else:
                tally = self.writes if document.text.lstrip().startswith("mutation") else self.reads
            tally.calls += self.usage.calls - calls
            tally.points += self.usage.actual_points - points


def client(
    sandbox: ShopifySandbox, url: str, clock: VirtualClock, **settings: Any
) -> tuple[ShopifyClient, CountingTransport]:
    """A client of the sandbox whose waits for the bucket move the virtual clock instead of sleeping."""
    transport = CountingTransport(url, sandbox.token, sleep=clock.sleep, clock=clock)
    # the sandbox writes a bulk export while asked for it, which takes a loaded machine longer than 30 s
    chosen = ShopifySettings(url=url, currency="EUR", **{"timeout": 300, **settings})
    return ShopifyClient(chosen, sandbox.token, transport), transport


def refill(clock: VirtualClock, plan: Plan) -> None:
    """Let the bucket fill up: each measured run starts as on a shop that was idle."""
    clock.sleep(plan.bucket / plan.restore_rate)


SYSTEMS = """\
version: 1
name: bench
systems:
  erp: {connector: files, settings: {path: erp, format: csv}}
  shop:
    connector: shopify
    settings: {url: "http://127.0.0.1:1", currency: EUR}
    credentials: {access_token: env:SHOP_TOKEN}
flows:
"""


def workspace(root: Path, flows: str, export: Path, url: str, token: str) -> Workspace:
    """A repository with one integration, `erp` (a `files` export at `export`) → `shop` (the sandbox),
    running these flows (the spec's `flows:` entries)."""
    (root / "specs").mkdir()
    (root / "environments").mkdir()
    (root / "specs" / "bench.yaml").write_text(SYSTEMS + flows)
    environment = "name: bench\nintegrations:\n  bench:\n    spec: specs/bench.yaml\n"
    (root / "environments" / "bench.yaml").write_text(environment)
    environ = {
        "SHOP_TOKEN": token,
        "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": url,
        "TILLSYNC__SYSTEMS__ERP__SETTINGS__PATH": str(export),
    }
    return load_workspace(root, "bench", connectors=CONNECTORS, environ=environ)


def note(plan: Plan) -> str:
    return (
        f"virtual clock: waits for the bucket were skipped and added to the clock, so wall times are those a "
        f"{plan.name} plan ({plan.bucket:g}-point bucket, {plan.restore_rate:g} points/s) would take; each run "
        "starts with a full bucket"
    )
