"""The Visma.net connector's contract inputs (see `connectors.testing.suite`).

Samples are what the connector writes (customers, orders), in the form Visma.net keeps them: a
person by first and last name, a company with its contact person, an order on the default debtor
(customer 1000, seeded) in the company's currency. The seeded company gives the other entities
something to read. `prepare` cuts the ERP's pages to a few records, so a page boundary is crossed
with a handful of customers, and adds a shipped order, so shipments have something to read. An
address in a country the ERP does not know is refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.testing.suite import ContractInputs, Paging, Refusal, Samples
from engine.records import Address, Contact, Customer, Entity, Money, Order, OrderLine

PAGE = 3  # records per ERP page in the contract's sandbox


def nok(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="NOK")


INES = Customer(email="ines@example.com", first_name="Ines", last_name="Bakker", phone="+4791234567",
                billing_address=Address(street="Prinsengracht", house_number="263", house_number_suffix="B",
                                        postal_code="1016 GV", city="Amsterdam", country="NL"))  # fmt: skip
KORF = Customer(email="inkoop@dekorf.example", kind="company", company_name="De Korf AS", vat_number="NO999999999MVA",
                contact=Contact(first_name="Sanne", last_name="de Vries", email="sanne@dekorf.example"))  # fmt: skip
ORDER = Order(
    number="W3001",
    currency="NOK",
    customer_number="1000",
    branch="1",
    lines=(OrderLine(sku="SHIRT-M", quantity=Decimal(2), price=nok("299"), title="Organic shirt M"),),
    note="Pick up Saturday",
)


def _prepare(sandbox: Any) -> None:
    from connectors.visma_net.sandbox import VismaNetSandbox
    from connectors.visma_net.sandbox.seed import seed_shipped_order

    assert isinstance(sandbox, VismaNetSandbox)
    sandbox.company.max_page_size = PAGE
    seed_shipped_order(sandbox.company)  # shipments to read


INPUTS = ContractInputs(
    samples=(Samples(Entity.customer, (INES, KORF)), Samples(Entity.order, (ORDER,))),
    refusal=Refusal(
        Entity.customer,
        Customer(
            email="nowhere@example.com",
            first_name="No",
            last_name="Where",
            billing_address=Address(city="Atlantis", country="XX"),
        ),
    ),
    paging=(
        Paging(
            Entity.customer,
            tuple(
                Customer(email=f"page{n}@example.com", first_name="Page", last_name=str(n)) for n in range(2 * PAGE + 1)
            ),
            PAGE,
        ),
    ),
    prepare=_prepare,
)
