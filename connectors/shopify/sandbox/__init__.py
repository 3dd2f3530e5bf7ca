"""A sandbox of Shopify's Admin GraphQL API. See `app` for what it does."""

from connectors.shopify.sandbox.app import ShopifySandbox
from connectors.shopify.sandbox.seed import seed
from connectors.shopify.sandbox.shop import Shop
from connectors.testing.faults import Faults


def start(catalogue: bool = False) -> ShopifySandbox:
    """The Shopify sandbox with its locations and price lists; with `catalogue`, products and orders."""
    sandbox = ShopifySandbox()
    seed(sandbox.shop, catalogue)
    return sandbox


__all__ = ["Faults", "Shop", "ShopifySandbox", "start"]
