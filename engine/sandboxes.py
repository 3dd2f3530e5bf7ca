"""The sandboxes of every connector that has one, served together on 127.0.0.1.

`tillsync sandbox up`, `make demo` and the end-to-end tests start them here. Each sandbox has a
fixed port by default (so `environments/sandbox.yaml` can point at it) and credentials a client
passes through the environment variables named below.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.mpluskassa.sandbox.seed import seed as seed_till
from connectors.sandbox_server import serving
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.seed import seed

PORTS = {"shopify": 8701, "mpluskassa": 8702}


@dataclass(frozen=True)
class RunningSandbox:
    name: str
    url: str
    credentials: dict[str, str]  # environment variable → value a client needs
    server: Any


def shopify_sandbox(catalogue: bool = False) -> ShopifySandbox:
    """The Shopify sandbox with its locations and price lists; with `catalogue`, products and orders."""
    sandbox = ShopifySandbox()
    seed(sandbox.shop, catalogue)
    return sandbox


def mplus_sandbox() -> MplusSandbox:
    """The MplusKASSA sandbox with its small catalogue, stock, customers and default debtor."""
    sandbox = MplusSandbox()
    seed_till(sandbox.till)
    return sandbox


@contextmanager
def running(ports: dict[str, int] | None = None, catalogue: bool = False) -> Iterator[list[RunningSandbox]]:
    """Serve every sandbox for the block (port 0 picks a free port)."""
    chosen = {**PORTS, **(ports or {})}
    with ExitStack() as stack:
        shop = shopify_sandbox(catalogue)
        url = stack.enter_context(serving(shop, chosen["shopify"]))
        credentials = {"SANDBOX_SHOPIFY_TOKEN": shop.token, "SANDBOX_SHOPIFY_WEBHOOK_SECRET": shop.webhook_secret}
        till = mplus_sandbox()
        till_url = stack.enter_context(serving(till, chosen["mpluskassa"]))
        till_credentials = {"SANDBOX_MPLUS_IDENT": till.ident, "SANDBOX_MPLUS_SECRET": till.secret}
        yield [RunningSandbox("shopify", url, credentials, shop),
               RunningSandbox("mpluskassa", till_url, till_credentials, till)]  # fmt: skip
