"""A sandbox of Shopify's Admin GraphQL API. See `app` for what it does."""

from collections.abc import Collection

from connectors.shopify.sandbox.app import ShopifySandbox
from connectors.shopify.sandbox.seed import seed
from connectors.shopify.sandbox.shop import Shop
from connectors.testing.faults import Faults


def start(catalogue: bool = False, name: str = "", synced_with: Collection[str] = ()) -> ShopifySandbox:
    """A Shopify shop of its own, named `name` (its myshopify domain `NAME.myshopify.com`), with its
    locations and price lists; with `catalogue`, products and orders that suit the systems it is
    `synced_with` (see `seed`)."""
    sandbox = ShopifySandbox(Shop(name) if name else Shop())
    seed(sandbox.shop, catalogue, synced_with)
    return sandbox


__all__ = ["Faults", "Shop", "ShopifySandbox", "start"]
