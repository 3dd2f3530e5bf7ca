"""The sandbox shop's price lists: each in one currency, with fixed prices per variant, which
`priceListFixedPricesAdd` adds all or none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.shopify.sandbox.ledger import Ledger, user_error
from connectors.shopify.sandbox.product_store import ProductStore


class PriceListStore:
    """Price lists by id; their prices name variants of the product store."""

    def __init__(self, ledger: Ledger, products: ProductStore) -> None:
        self.ledger = ledger
        self.products = products
        self.price_lists: dict[str, dict[str, Any]] = {}

    def add_price_list(self, name: str, currency: str = "EUR") -> str:
        """A new, empty price list."""
        with self.ledger.lock:
            list_id = self.ledger.new_id("PriceList")
            self.price_lists[list_id] = {"id": list_id, "name": name, "currency": currency, "prices": {}}
            return list_id

    def add_fixed_prices(
        self, list_id: str, prices: Sequence[Mapping[str, Any]]
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """priceListFixedPricesAdd: all prices or none."""
        price_list = self.price_lists.get(list_id)
        if price_list is None:
            return [], [user_error(["priceListId"], "Price list not found.", "PRICE_LIST_NOT_FOUND")]
        errors = []
        for index, price in enumerate(prices):
            path: list[str | int] = ["prices", index]
            if price["variantId"] not in self.products.variants:
                errors.append(user_error([*path, "variantId"], "Variant not found.", "VARIANT_NOT_FOUND"))
            for key in ("price", "compareAtPrice"):
                money = price.get(key)
                if money and money.get("currencyCode") != price_list["currency"]:
                    message = "The currency must match the price list's currency."
                    errors.append(user_error([*path, key, "currencyCode"], message, "PRICE_LIST_CURRENCY_MISMATCH"))
        if errors:
            return [], errors
        with self.ledger.changing():
            for price in prices:
                price_list["prices"][price["variantId"]] = {"price": dict(price["price"]),
                                                            "compareAtPrice": price.get("compareAtPrice")}  # fmt: skip
        return [p["variantId"] for p in prices], []
