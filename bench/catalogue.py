"""A catalogue as an ERP exports it: one CSV row per variant, the product's columns on its first row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SIZES = ("S", "M", "L")
HEADER = (
    "sku,title,description,vendor,product_type,tags,categories,options,features.country_of_origin,"
    "variants.sku,variants.barcode,variants.title,variants.options.size,variants.price,variants.tax_rate\n"
)


@dataclass(frozen=True)
class Article:
    number: int  # the product number; its variants are number·10 + 0, 1, 2
    title: str
    cents: int


def write_products(path: Path, articles: list[Article], categories: str = "") -> None:
    rows = [HEADER]
    for article in articles:
        for index, size in enumerate(SIZES):
            sku = f"{article.number}{index}"
            price = f"{article.cents // 100}.{article.cents % 100:02d} EUR"
            variant = f"{sku},87{sku},{size},{size},{price},21\n"
            if index == 0:
                product = f'{article.number},"{article.title}",A fine article.,Tillwear,Shirt,organic|summer,'
                rows.append(f"{product}{categories},size,PT,{variant}")
            else:
                rows.append(f"{article.number},,,,,,,,,{variant}")
    path.write_text("".join(rows))
