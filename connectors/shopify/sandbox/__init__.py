"""A sandbox of Shopify's Admin GraphQL API. See `app` for what it does."""

from connectors.faults import Faults
from connectors.shopify.sandbox.app import ShopifySandbox
from connectors.shopify.sandbox.shop import Shop

__all__ = ["Faults", "Shop", "ShopifySandbox"]
