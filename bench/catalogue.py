"""A catalogue as an ERP exports it: one CSV row per variant, the product's columns on its first row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SIZES = ("S", "M", "L")
COLOURS = ("white", "white", "navy")  # each size's colour, in a catalogue with colours


@dataclass(frozen=True)
class Article:
    number: int  # the product number; its variants are number·10 + 0, 1, 2
    title: str
    cents: int


def write_products(
    path: Path, articles: list[Article], categories: str = "", *, colours: bool = False, tracked: bool | None = None
) -> None:
    """The export of `articles`, each in the three `SIZES` (and `COLOURS`, when asked for); `tracked`,
    when given, says whether the shop manages every variant's stock."""
    options = "size|colour" if colours else "size"
    variant_columns = ["sku", "barcode", "title", "options.size", *(["options.colour"] if colours else []), "price",
                       "tax_rate", *(["tracked"] if tracked is not None else [])]  # fmt: skip
    header = "sku,title,description,vendor,product_type,tags,categories,options,features.country_of_origin,"
    rows = [header + ",".join(f"variants.{column}" for column in variant_columns) + "\n"]
    for article in articles:
        for index, size in enumerate(SIZES):
            sku = f"{article.number}{index}"
            price = f"{article.cents // 100}.{article.cents % 100:02d} EUR"
            title, colour = (f"{size} / {COLOURS[index]}", f",{COLOURS[index]}") if colours else (size, "")
            flag = "" if tracked is None else f",{str(tracked).lower()}"
            variant = f"{sku},87{sku},{title},{size}{colour},{price},21{flag}\n"
            if index == 0:
                product = f'{article.number},"{article.title}",A fine article.,Tillwear,Shirt,organic|summer,'
                rows.append(f"{product}{categories},{options},PT,{variant}")
            else:
                rows.append(f"{article.number},,,,,,,,,{variant}")
    path.write_text("".join(rows))
