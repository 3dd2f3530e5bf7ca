"""Prices per price group as Shopify price lists: a group is the price list of that name, and each
price is a fixed price for one variant, in the list's currency.

Prices are written per price list with `priceListFixedPricesAdd`, 250 to a call, which Shopify
applies all or none: one refused price fails the call's others with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connectors.shopify.products import variant_ids
from connectors.shopify.session import Session, chunks, of_type, user_errors
from engine.catalogue import choices
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import RecordError
from engine.keys import Key
from engine.records import Money, Price, Record

PRICES_PER_PAGE = 200  # keeps a page of prices under Shopify's 1000-point query limit
PRICES_PER_WRITE = 250
PRICE_LISTS_PER_PAGE = 50


def from_node(group: str, node: Mapping[str, Any]) -> Price:
    """The canonical price of a fixed price in the price list of `group`."""
    return Price(
        sku=node["variant"]["sku"] or "",
        price_group=group,
        price=_money(node["price"]),
        compare_at_price=_money(node["compareAtPrice"]) if node.get("compareAtPrice") else None,
    )


def price_input(price: Price, variant_id: str, currency: str) -> dict[str, Any]:
    """The PriceListPriceInput of a price, in the price list's `currency`."""
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


class Prices:
    """Reads and writes fixed prices; remembers the shop's price lists by name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._lists: dict[str, dict[str, Any]] | None = None  # name → price list

    def _price_lists(self) -> dict[str, dict[str, Any]]:
        if self._lists is None:
            nodes = self.session.nodes("PriceLists", "priceLists", {"first": PRICE_LISTS_PER_PAGE})
            self._lists = {node["name"]: node for node in nodes}
        return self._lists

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """The prices with these (SKU, price group) keys, or every fixed price of every price list."""
        lists = self._price_lists()
        groups = list(dict.fromkeys(key[1] for key in keys)) if keys is not None else list(lists)
        chosen = set(keys) if keys is not None else None
        found: list[Record] = []
        for group in groups:
            if group not in lists:
                continue
            variables = {"id": lists[group]["id"], "first": PRICES_PER_PAGE}
            for node in self.session.nodes("PriceListPrices", "priceList.prices", variables):
                price = from_node(group, node)
                if chosen is None or (price.sku, group) in chosen:
                    found.append(price)
        return found

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Adds fixed prices to the price list of each price group."""
        prices = of_type(records, Price)
        lists = self._price_lists()
        ids = variant_ids(self.session, [p.sku for p in prices])
        outcomes: dict[Key, WriteOutcome] = {}
        by_list: dict[str, list[tuple[Price, dict[str, Any]]]] = {}
        for price in prices:
            key = (price.sku, price.price_group)
            try:
                if price.price_group not in lists:
                    known = choices(price.price_group, sorted(lists))
                    raise RecordError(f"Shopify has no price list named '{price.price_group}'; {known}", "price_group")
                if price.sku not in ids:
                    raise RecordError(f"Shopify has no variant with SKU {price.sku}", "sku")
                price_list = lists[price.price_group]
                by_list.setdefault(price_list["id"], []).append(
                    (price, price_input(price, ids[price.sku], price_list["currency"]))
                )
            except RecordError as exc:
                outcomes[key] = WriteOutcome(key, error=str(exc))
        with settled_so_far(outcomes):
            for list_id, entries in by_list.items():
                for chunk in chunks(entries, PRICES_PER_WRITE):
                    variables = {"priceListId": list_id, "prices": [data for _, data in chunk]}
                    result = self.session.request("PriceListFixedPricesAdd", variables)
                    errors = result["priceListFixedPricesAdd"]["userErrors"]
                    for price, data in chunk:
                        key = (price.sku, price.price_group)
                        if errors:  # Shopify adds all of a call's prices or none
                            refused = {"userErrors": errors}
                            outcomes[key] = WriteOutcome(key, error=user_errors(errors), response=refused)
                        else:
                            added = {"priceList": list_id}
                            outcomes[key] = WriteOutcome(key, target_id=data["variantId"], response=added)
        return [outcomes[(p.sku, p.price_group)] for p in prices]
