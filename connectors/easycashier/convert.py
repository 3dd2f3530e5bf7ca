"""Canonical records to and from EasyCashier's data (in the shapes `protocol` describes). Pure.

An article is a product with one variant: EasyCashier has no variants, so its article number is
both the product's SKU and its one variant's. Its price includes VAT, its cost excludes it, and
its VAT is a fraction (0.25), which canonical records hold in percent (25).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.easycashier import protocol as p
from engine.errors import RecordError
from engine.records import Money, Product, StockLevel, Variant

HUNDRED = Decimal(100)


def number(value: Any) -> Decimal | None:
    """A JSON number (or numeric text) as a Decimal, floats by their shortest text; None when absent."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{value!r} is not a number") from None


def json_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number EasyCashier takes: an int when whole."""
    return int(value) if value == value.to_integral_value() else float(value)


# ---- VAT ------------------------------------------------------------------------------------


def vat_percent(fraction: Any) -> Decimal | None:
    """EasyCashier's VAT fraction (0.25) in percent (25)."""
    value = number(fraction)
    return None if value is None else (value * HUNDRED).normalize()


def vat_fraction(percent: Decimal) -> Decimal:
    """A VAT rate in percent (25) as EasyCashier's fraction (0.25); a rate outside 0-100 % is the record's error."""
    if not Decimal(0) <= percent <= HUNDRED:
        raise RecordError(f"a VAT rate of {percent} % is not one EasyCashier can hold (0 to 100 %)", "variants")
    return (percent / HUNDRED).normalize()


# ---- articles -------------------------------------------------------------------------------


def product_from(article: Mapping[str, Any]) -> Product:
    sku = str(article[p.ARTICLE_NUMBER])
    title = str(article.get(p.ARTICLE_TITLE) or "")
    price, cost = number(article.get(p.PRICE_INCL_VAT)), number(article.get(p.COST_EXCL_VAT))
    variant = Variant(
        sku=sku,
        barcode=_text(article.get(p.ARTICLE_BARCODE)),
        price=Money(amount=price, currency=p.CURRENCY) if price is not None else None,
        cost=Money(amount=cost, currency=p.CURRENCY) if cost is not None else None,
        tax_rate=vat_percent(article.get(p.VAT)),
        tracked=bool(article[p.STOCK_ITEM]) if article.get(p.STOCK_ITEM) is not None else None,
    )
    return Product(sku=sku, title=title, variants=(variant,), prices_include_tax=True)


def article_to(product: Product, existing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The whole article to send: the existing one with the product's values laid over it (an
    update sends every field back, as the Back Office expects), or a new one with the defaults."""
    variant = one_variant(product)
    if product.prices_include_tax is False:
        raise RecordError(f"{product.sku}: EasyCashier's prices include VAT; this product's do not",
                          "prices_include_tax")  # fmt: skip
    article: dict[str, Any] = dict(existing) if existing is not None else {**p.ARTICLE_DEFAULTS, p.WEBSHOP: True}
    article[p.ARTICLE_NUMBER] = product.sku
    article[p.ARTICLE_TITLE] = product.title
    if variant.barcode is not None:
        article[p.ARTICLE_BARCODE] = variant.barcode
    for name, money in ((p.PRICE_INCL_VAT, variant.price), (p.COST_EXCL_VAT, variant.cost)):
        if money is not None:
            if money.currency != p.CURRENCY:
                raise RecordError(f"{product.sku}: EasyCashier keeps prices in {p.CURRENCY}, not {money.currency}",
                                  "variants")  # fmt: skip
            article[name] = json_number(money.amount)
    if variant.tax_rate is not None:
        article[p.VAT] = json_number(vat_fraction(variant.tax_rate))
    if variant.tracked is not None:
        article[p.STOCK_ITEM] = variant.tracked
    return article


def one_variant(product: Product) -> Variant:
    """A product's one variant, with the product's SKU: EasyCashier has no variants."""
    if len(product.variants) > 1:
        raise RecordError(f"{product.sku} has {len(product.variants)} variants; EasyCashier has none: map each "
                          "variant to an article of its own", "variants")  # fmt: skip
    variant = product.variants[0] if product.variants else Variant(sku=product.sku)
    if variant.sku != product.sku:
        raise RecordError(f"{product.sku}: its variant's SKU {variant.sku} is not the article number", "variants")
    return variant


# ---- stock ----------------------------------------------------------------------------------


def stock_entries(article: Mapping[str, Any]) -> dict[int, Decimal]:
    """An article's stock per store number."""
    found: dict[int, Decimal] = {}
    for entry in article.get(p.STOCK_ENTRIES) or []:
        if isinstance(entry, Mapping) and entry.get(p.ENTRY_STORE) is not None:
            found[int(entry[p.ENTRY_STORE])] = number(entry.get(p.ENTRY_QUANTITY)) or Decimal(0)
    return found


def stock_from(article: Mapping[str, Any], store: int) -> StockLevel:
    """An article's stock at one store; a store it has no entry for holds none. EasyCashier reserves
    nothing, so all of it is available."""
    on_hand = stock_entries(article).get(store, Decimal(0))
    return StockLevel(sku=str(article[p.ARTICLE_NUMBER]), location=str(store), on_hand=on_hand, available=on_hand)


def stock_change(store: int, quantities: Mapping[str, Decimal], comment: str) -> dict[str, Any]:
    """The body of an increase or decrease: these articles, each by a quantity above zero."""
    articles = [{p.ARTICLE_NUMBER: sku, p.ENTRY_QUANTITY: json_number(q)} for sku, q in sorted(quantities.items())]
    return {p.CHANGE_STORE: store, p.CHANGE_ARTICLES: articles, p.CHANGE_COMMENT: comment}


def store_number(location: str, field: str = "location") -> int:
    """A canonical location or branch as EasyCashier's store number."""
    if not location.isdigit() or int(location) < 1:
        raise RecordError(f"{location!r} is not an EasyCashier store number; map it in the spec", field)
    return int(location)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
