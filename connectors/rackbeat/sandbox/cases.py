"""The Rackbeat connector's contract inputs (see `connectors.testing.suite`).

Samples are in the form Rackbeat keeps them: a product group before the products in it, simple
products (one item each; one number holds a `/`, addressed by its urlfriendly number), customers
numbered by Rackbeat, and an order on an item and a customer found by email, its prices without VAT.
The contract's client pages in threes, so a page boundary is crossed with a handful of records.
Rackbeat signs no webhook body: the delivery's static token is what is checked.
"""

from __future__ import annotations

from decimal import Decimal

from connectors.testing.suite import ContractInputs, Paging, Refusal, Samples, WebhookCase
from engine.connector import Client
from engine.records import Address, Category, Customer, Entity, Money, Order, OrderLine, Product, Variant

PAGE = 3


def dkk(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="DKK")


def item(number: str, title: str, price: str, group: str = "30", barcode: str | None = None) -> Product:
    return Product(
        sku=number,
        title=title,
        categories=(group,),
        prices_include_tax=False,
        variants=(Variant(sku=number, barcode=barcode, price=dkk(price)),),
    )


CANDLE = item("RB-3001", "Beeswax candle", "59.95", barcode="5712345300017").model_copy(
    update={"description": "Hand-dipped, 20 cm"}
)
SLASHED = item("RB/3002", "Candle holder, brass", "149").model_copy(update={"description": "For 2 cm candles"})
INES = Customer(
    email="ines@example.com",
    first_name="Ines",
    last_name="Bakker",
    phone="+4512345678",
    billing_address=Address(
        street="Vesterbrogade", house_number="12", postal_code="1620", city="København V", country="DK"
    ),
)
KORF = Customer(email="inkoeb@korf.example", kind="company", company_name="Korf ApS", vat_number="DK87654321")
ORDER = Order(
    number="#1001",
    currency="DKK",
    customer=Customer(email="ines@example.com"),
    lines=(
        OrderLine(
            sku="RB-3001", quantity=Decimal(2), price=dkk("59.95"), title="Beeswax candle", discount=dkk("11.99")
        ),
    ),
    prices_include_tax=False,
    note="Gift wrap",
)


def _prepare(sandbox: object) -> None:
    from connectors.rackbeat.sandbox import RackbeatSandbox

    assert isinstance(sandbox, RackbeatSandbox)
    sandbox.account.save_group({"number": "90", "name": "Seasonal"})  # the webhook case's product's group


def _subscribe(client: Client, url: str) -> None:
    from connectors.rackbeat.client import RackbeatClient

    assert isinstance(client, RackbeatClient), f"webhooks are made with the Rackbeat client, not {client!r}"
    client.subscribe("product.created", url)


INPUTS = ContractInputs(
    samples=(
        Samples(Entity.category, (Category(key="30", name="Candles"),)),
        Samples(Entity.product, (CANDLE, SLASHED)),
        Samples(Entity.customer, (INES, KORF)),
        Samples(Entity.order, (ORDER,)),
    ),
    # a product group needs a name: Rackbeat answers 422 naming it
    refusal=Refusal(Entity.category, Category(key="31", name="")),
    paging=(
        Paging(Entity.product, tuple(item(f"RB-40{n:02d}", f"Taper {n}", "25") for n in range(2 * PAGE + 1)), PAGE),
        Paging(
            Entity.customer,
            tuple(Customer(email=f"page{n}@example.com", first_name=f"Page{n}") for n in range(2 * PAGE + 1)),
            PAGE,
        ),
    ),
    webhook=WebhookCase(
        _subscribe, Entity.product, item("RB-5001", "Tealights, 50", "79", group="90"), signed_body=False
    ),
    prepare=_prepare,
    settings={"page_size": PAGE},
)
