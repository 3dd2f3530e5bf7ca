"""Prices per price group as Shopify price lists: a group is the price list of that name, and each
price is a fixed price for one variant, in the list's currency."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.errors import RecordError
from engine.records import Money, Price

PRICES_PER_PAGE = 200  # keeps a page of prices under Shopify's 1000-point query limit
PRICES_PER_WRITE = 250


def from_node(group: str, node: Mapping[str, Any]) -> Price:
    return Price(
        sku=node["variant"]["sku"] or "",
        price_group=group,
        price=_money(node["price"]),
        compare_at_price=_money(node["compareAtPrice"]) if node.get("compareAtPrice") else None,
    )


def price_input(price: Price, variant_id: str, currency: str) -> dict[str, Any]:
    for money in (price.price, price.compare_at_price):
        if money is not None and money.currency != currency:
            raise RecordError(
                f"price list {price.price_group} is in {currency}; the price of {price.sku} is in {money.currency}",
                "price",
            )
    data: dict[str, Any] = {"variantId": variant_id, "price": _input(price.price)}
    if price.compare_at_price is not None:
        data["compareAtPrice"] = _input(price.compare_at_price)
    return data


def _input(money: Money) -> dict[str, str]:
    return {"amount": str(money.amount), "currencyCode": money.currency}


def _money(node: Mapping[str, Any]) -> Money:
    return Money(amount=Decimal(str(node["amount"])).quantize(Decimal("0.01")), currency=node["currencyCode"])
