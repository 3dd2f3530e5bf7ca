"""A small Back Office to start the sandbox with: a few webshop articles with stock at two
stores, an article that is not in the webshop, and a service that keeps no stock."""

from __future__ import annotations

from decimal import Decimal

from connectors.easycashier import protocol as p
from connectors.easycashier.sandbox.store import BackOffice

# article number, description, price incl. VAT, VAT fraction, webshop, stock item, barcode
ARTICLES = (
    ("1001", "Linen tea towel", 129, 0.25, True, True, "07340012300011"),
    ("1002", "Ceramic mug", 189, 0.25, True, True, "07340012300028"),
    ("1003", "Cookbook: Fika", 299, 0.06, True, True, "09789100000001"),
    ("2001", "Gift wrapping", 25, 0.25, False, False, None),
    ("2002", "Shop display stand", 1500, 0.25, False, True, None),
)
# (article, store) → quantity
STOCK = {("1001", 1): 12, ("1001", 3): 4, ("1002", 1): 8, ("1002", 3): 0, ("1003", 1): 5, ("2002", 1): 1}


def seed(office: BackOffice) -> None:
    for number, title, price, vat, webshop, stock_item, barcode in ARTICLES:
        office.create_article({
            **p.ARTICLE_DEFAULTS, p.ARTICLE_NUMBER: number, p.ARTICLE_TITLE: title, p.PRICE_INCL_VAT: price,
            p.VAT: vat, p.WEBSHOP: webshop, p.STOCK_ITEM: stock_item, p.ARTICLE_BARCODE: barcode,
            p.ARTICLE_TYPE: "PRODUCT" if stock_item else "SERVICE",
        })  # fmt: skip
    for (number, store), quantity in STOCK.items():
        office.set_stock(number, store, Decimal(quantity))
