"""The MplusKASSA connector's contract inputs (see `connectors.testing.suite`).

Samples are in the form the till keeps them: numeric article, product, group and relation numbers;
prices to the cent; an order on the default debtor (relation 1000, seeded) and read back as a till
order (`source: pos`, what the connector reads every MplusKASSA order as). The sandbox starts
with its small seeded till; `prepare` caps its change feeds at a few items a page, so a page
boundary is reached with a handful of records, and gives it prices per price group, which the connector
reads but cannot write.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.testing.suite import ContractInputs, Paging, Refusal, Samples
from engine.records import Address, Category, Contact, Customer, Entity, Money, Order, OrderLine, Product, StockLevel
from engine.records import Variant as Article

PAGE = 3  # items per page of a change feed (getProducts, getRelations, getOrderChanges) in the contract's sandbox


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


CUP = Product(
    sku="3000",
    title="Espresso cup",
    description="Porcelain, 80 ml",
    vendor="Tillhome",
    categories=("30",),
    options=("colour",),
    features={"country_of_origin": "NL"},
    variants=(
        Article(
            sku="3001",
            barcode="8712345300015",
            title="Espresso cup blue",
            options={"colour": "blue"},
            price=eur("8.95"),
            tax_rate=Decimal(21),
            tracked=True,
        ),
        Article(
            sku="3002",
            title="Espresso cup red",
            options={"colour": "red"},
            price=eur("9.50"),
            tax_rate=Decimal(9),
            tracked=False,
        ),
    ),
    prices_include_tax=True,
)
INES = Customer(email="ines@example.com", first_name="Ines", last_name="Bakker", phone="+31612345678",
                billing_address=Address(street="Prinsengracht", house_number="263", house_number_suffix="B",
                                        postal_code="1016 GV", city="Amsterdam", country="NL"))  # fmt: skip
KORF = Customer(email="inkoop@dekorf.example", kind="company", company_name="De Korf BV", vat_number="NL001234567B01",
                contact=Contact(first_name="Sanne", last_name="de Vries", email="sanne@dekorf.example"))  # fmt: skip
ORDER = Order(
    number="W3001",
    source="pos",
    currency="EUR",
    financial_status="pending",
    customer_number="1000",
    lines=(OrderLine(sku="3001", quantity=Decimal(2), price=eur("8.95"), title="Espresso cup blue"),),
    total=eur("17.90"),
    note="Pick up Saturday",
)


def _mug(n: int) -> Product:
    return Product(sku=f"40{n:02d}", title=f"Mug {n}", variants=(Article(sku=f"40{n:02d}", price=eur("5.00")),))


def _order(n: int) -> Order:
    return Order(number=f"P{n:04d}", source="pos", currency="EUR", customer_number="1000",
                 lines=(OrderLine(sku="3001", quantity=Decimal(1), price=eur("8.95")),))  # fmt: skip


def _prepare(sandbox: Any) -> None:
    from connectors.mpluskassa.sandbox import MplusSandbox

    assert isinstance(sandbox, MplusSandbox)
    sandbox.till.page_cap = PAGE
    sandbox.till.group_prices.update({(1, 1001): Decimal("29.95"), (2, 1001): Decimal("24.95")})


INPUTS = ContractInputs(
    samples=(
        Samples(Entity.category, (Category(key="30", name="Cups", parent="20"),)),
        Samples(Entity.product, (CUP,)),
        Samples(
            Entity.stock,
            (
                StockLevel(sku="3001", location="1", on_hand=Decimal("5.5")),
                StockLevel(sku="3002", location="2", on_hand=Decimal(0)),
            ),
        ),
        Samples(Entity.customer, (INES, KORF)),
        Samples(Entity.order, (ORDER,)),
    ),
    # setStock of an article the till does not have is a Client fault; 9999 is numeric, so it is sent
    refusal=Refusal(Entity.stock, StockLevel(sku="9999", location="1", on_hand=Decimal(1))),
    paging=(
        Paging(Entity.product, tuple(_mug(n) for n in range(2 * PAGE + 1)), PAGE),
        Paging(
            Entity.customer,
            tuple(Customer(email=f"page{n}@example.com", first_name=f"Page {n}") for n in range(2 * PAGE + 1)),
            PAGE,
        ),
        Paging(Entity.order, tuple(_order(n) for n in range(2 * PAGE + 1)), PAGE),
    ),
    prepare=_prepare,
)
