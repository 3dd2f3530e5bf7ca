"""The CCV connector's contract inputs (see `connectors.testing.suite`).

Samples are in the form CCV keeps them: one VAT rate and stock setting per product (its variants
share them), variant prices that differ by an extra price of one attribute's values, a category by
its CCV id (made by `prepare`, the first id the sandbox gives), an order read back with its
number from `reservationnumber` and the store the account is. Pages are three records long.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.testing.suite import ContractInputs, Paging, Refusal, Samples, WebhookCase
from engine.connector import Client
from engine.records import Address, Contact, Customer, Entity, Money, Order, OrderLine, Product, Variant

PAGE = 3


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


CUP = Product(
    sku="3000",
    title="Espresso cup",
    description="Porcelain, 80 ml",
    categories=("1001",),
    options=("colour",),
    variants=(
        Variant(sku="3001", barcode="8712345300015", options={"colour": "blue"}, price=eur("8.95"),
                tax_rate=Decimal(21), tracked=True),
        Variant(sku="3002", options={"colour": "red"}, price=eur("9.50"), tax_rate=Decimal(21), tracked=True),
    ),
    prices_include_tax=True,
)  # fmt: skip
SAUCER = Product(sku="3100", title="Saucer", description="Porcelain, 12 cm", variants=(
    Variant(sku="3100", barcode="8712345310007", price=eur("4.00"), compare_at_price=eur("5.00"), tax_rate=Decimal(9),
            tracked=False),), prices_include_tax=True)  # fmt: skip
INES = Customer(email="ines@example.com", first_name="Ines", last_name="Bakker", phone="+31612345678",
                billing_address=Address(street="Prinsengracht", house_number="263", house_number_suffix="B",
                                        postal_code="1016 GV", city="Amsterdam", country="NL"))  # fmt: skip
KORF = Customer(email="inkoop@dekorf.example", kind="company", company_name="De Korf BV", vat_number="NL001234567B01",
                contact=Contact(first_name="Sanne", last_name="de Vries"))  # fmt: skip
ORDER = Order(
    number="W3001",
    status="completed",
    financial_status="paid",
    currency="EUR",
    customer=INES,
    lines=(OrderLine(sku="3001", quantity=Decimal(2), price=eur("8.95"), tax_rate=Decimal(21)),),
    total=eur("17.90"),
    branch="1",
)


def _mug(n: int) -> Product:
    return Product(sku=f"40{n:02d}", title=f"Mug {n}",
                   variants=(Variant(sku=f"40{n:02d}", price=eur("5.00"), tax_rate=Decimal(21)),))  # fmt: skip


def _prepare(sandbox: Any) -> None:
    from connectors.ccv.sandbox import CcvSandbox

    assert isinstance(sandbox, CcvSandbox)
    made = sandbox.store.create_category({"name": "Cups"})
    assert made["id"] == 1001, "the samples name the first category the sandbox makes"


def _subscribe(client: Client, url: str) -> None:
    from connectors.ccv.client import CcvClient

    assert isinstance(client, CcvClient), f"webhooks are made with the CCV client, not {client!r}"
    client.subscribe("products.created", url)


INPUTS = ContractInputs(
    samples=(
        Samples(Entity.product, (CUP, SAUCER)),
        Samples(Entity.customer, (INES, KORF)),
        Samples(Entity.order, (ORDER,)),
    ),
    # CCV refuses a product without a name (HTTP 400); the connector sends it as it is
    refusal=Refusal(
        Entity.product,
        Product(sku="9999", title="", variants=(Variant(sku="9999", price=eur("1.00"), tax_rate=Decimal(21)),)),
    ),
    paging=(
        Paging(Entity.product, tuple(_mug(n) for n in range(2 * PAGE + 1)), PAGE),
        Paging(
            Entity.customer,
            tuple(Customer(email=f"page{n}@example.com", first_name=f"Page {n}") for n in range(2 * PAGE + 1)),
            PAGE,
        ),
    ),
    webhook=WebhookCase(_subscribe, Entity.product, _mug(90)),
    prepare=_prepare,
    settings={"page_size": PAGE, "rate_limit_wait": 0.2},
)
