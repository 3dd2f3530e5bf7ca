"""The EasyCashier connector's contract inputs (see `connectors.testing.suite`).

Samples are in the form the Back Office keeps them: one variant per product with the article
number as its SKU, prices in SEK including VAT, VAT rates the fractions make (25, 6). Orders are
not among them: the till keeps no trace of an order that can be read back (they are tested end to
end). The sandbox starts with its small seeded Back Office; `prepare` caps its pages at a few
items, so a page boundary is reached with a handful of articles.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.testing.suite import ContractInputs, Paging, Refusal, Samples
from engine.records import Entity, Money, Product, StockLevel, Variant

PAGE = 3  # articles per page in the contract's sandbox


def sek(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SEK")


SOCKS = Product(
    sku="5001",
    title="Wool socks",
    variants=(Variant(sku="5001", barcode="07340012350016", price=sek("149"), cost=sek("40.50"),
                      tax_rate=Decimal(25), tracked=True),),
    prices_include_tax=True,
)  # fmt: skip
BOOK = Product(sku="5002", title="Cookbook: Smörgås", prices_include_tax=True,
               variants=(Variant(sku="5002", price=sek("249.00"), tax_rate=Decimal(6)),))  # fmt: skip


def _article(n: int) -> Product:
    return Product(sku=f"60{n:02d}", title=f"Candle {n}", variants=(Variant(sku=f"60{n:02d}", price=sek("59")),))


def _prepare(sandbox: Any) -> None:
    from connectors.easycashier.sandbox import EasyCashierSandbox

    assert isinstance(sandbox, EasyCashierSandbox)
    sandbox.office.page_cap = PAGE


INPUTS = ContractInputs(
    samples=(
        Samples(Entity.product, (SOCKS, BOOK)),
        Samples(
            Entity.stock,
            (
                StockLevel(sku="5001", location="1", on_hand=Decimal(7), available=Decimal(7)),
                StockLevel(sku="1001", location="3", on_hand=Decimal(2), available=Decimal(2)),
            ),
        ),
    ),
    # the Back Office refuses an article without a description (400)
    refusal=Refusal(Entity.product, Product(sku="5999", title="", variants=(Variant(sku="5999"),))),
    paging=(Paging(Entity.product, tuple(_article(n) for n in range(2 * PAGE + 1)), PAGE),),
    prepare=_prepare,
)
