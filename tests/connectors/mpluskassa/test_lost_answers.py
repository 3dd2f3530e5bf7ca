"""MplusKASSA writes whose answer was lost: which are sent again (`protocol.WRITES`), and how the
others are settled by looking in the till: products by number, relations by email, relative stock
by the movements since the one read before it. Orders are sent again: the till keeps one per
external id, and the first is found by it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from connectors.mpluskassa import MplusSettings
from connectors.mpluskassa.client import MplusClient
from connectors.mpluskassa.protocol import WRITES, may_resend
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.mpluskassa.schema import OPERATIONS
from engine.records import Customer, Entity, Money, Order, OrderLine, Product, StockLevel, Variant
from tests.connectors.test_faults_lost import LoseAnswers, losing

MUG = Product(sku="2000", title="Mug", variants=(Variant(sku="2001", price=Money.model_validate("12.50 EUR")),))
LOTTE = Customer(email="lotte@example.com", first_name="Lotte", last_name="Visser")
ORDER = Order(
    number="#1001", financial_status="paid", currency="EUR", customer=LOTTE, payment_method="IDEAL",
    lines=(OrderLine(sku="2001", quantity=Decimal(1), price=Money.model_validate("12.50 EUR")),),
    total=Money.model_validate("12.50 EUR"),
)  # fmt: skip


def test_every_operation_is_a_read_or_a_classified_write() -> None:
    writes = [op for op in OPERATIONS if not op.startswith(("get", "find"))]
    assert sorted(writes) == sorted(WRITES)
    assert [op for op in OPERATIONS if not may_resend(op)] == ["createProduct", "updateStock", "createRelation"]
    assert not may_resend("saveOrder"), "an operation nobody classified is not sent twice"


@pytest.fixture
def sandbox() -> MplusSandbox:
    made = MplusSandbox()
    made.till.products[2000] = {"productNumber": 2000, "description": "Mug", "syncMarker": 0,
                                "articleList": [{"articleNumber": 2001}]}  # fmt: skip
    return made


@pytest.fixture
def lose(sandbox: MplusSandbox) -> Iterator[tuple[LoseAnswers, MplusClient]]:
    """A client of the sandbox behind a front that loses answers once armed (`front.marker`)."""
    with losing(sandbox, "nothing yet") as (url, front):
        credentials = {"ident": sandbox.ident, "secret": sandbox.secret}
        client = MplusClient(MplusSettings(url=url, relative_stock=True), credentials)
        client.transport.sleep = lambda seconds: None
        yield front, client
        client.close()


def arm(front: LoseAnswers, operation: str, kind: str = "lost") -> None:
    front.marker, front.kind = f"<mplus:{operation}>".encode(), kind


def test_an_order_whose_answer_was_lost_is_sent_again_and_the_till_keeps_one(
    sandbox: MplusSandbox, lose: tuple[LoseAnswers, MplusClient]
) -> None:
    front, client = lose
    arm(front, "createOrder")
    [outcome] = client.write(Entity.order, [ORDER])
    [order] = sandbox.till.orders.values()
    assert len(front.lost) == 1 and sandbox.calls.count("createOrder") == 2
    assert outcome.error is None and outcome.target_id == order["orderId"] and outcome.response["existed"] is True


@pytest.mark.parametrize("kind, made", [("lost", 1), ("drop", 0)])
def test_a_relation_whose_answer_was_lost_is_looked_up_by_email_never_made_twice(
    sandbox: MplusSandbox, lose: tuple[LoseAnswers, MplusClient], kind: str, made: int
) -> None:
    front, client = lose
    arm(front, "createRelation", kind)
    [outcome] = client.write(Entity.customer, [LOTTE])
    emails = [r.get("email") for r in sandbox.till.relations.values()]
    assert sandbox.calls.count("createRelation") == made and emails.count(LOTTE.email) == made
    if made:
        assert outcome.error is None and outcome.target_id == str(next(iter(sandbox.till.relations)))
    else:
        assert outcome.error is not None and outcome.error.endswith(
            "has no relation lotte@example.com, so the next run makes it"
        )
        assert client.write(Entity.customer, [LOTTE])[0].error is None
        assert [r.get("email") for r in sandbox.till.relations.values()] == [LOTTE.email]


def test_a_product_whose_answer_was_lost_is_looked_up_by_number(
    sandbox: MplusSandbox, lose: tuple[LoseAnswers, MplusClient]
) -> None:
    front, client = lose
    arm(front, "createProduct")
    shirt = Product(sku="1000", title="Shirt", variants=(Variant(sku="1001"),))
    [outcome] = client.write(Entity.product, [shirt])
    assert outcome.error is None and outcome.response == {"productNumber": "1000", "created": True}
    assert sandbox.calls.count("createProduct") == 1 and 1000 in sandbox.till.products


@pytest.mark.parametrize("kind, booked", [("lost", True), ("500", False)])
def test_a_relative_stock_change_whose_answer_was_lost_is_booked_once(
    sandbox: MplusSandbox, lose: tuple[LoseAnswers, MplusClient], kind: str, booked: bool
) -> None:
    front, client = lose
    sandbox.till.call("setStock", {"request": {"branchNumber": 1, "articleNumber": 2001, "amount": 5}})
    sandbox.till.call("updateStock", {"request": {"branchNumber": 1, "articleNumber": 2001, "amountChanged": 2}})
    arm(front, "updateStock", kind)
    [outcome] = client.write(Entity.stock, [StockLevel(sku="2001", location="1", on_hand=Decimal(10))])
    amounts = [m["amountChanged"] for m in sandbox.till.stock_history]
    assert sandbox.till.stock[(1, 2001)]["amount"] == (10 if booked else 7)
    assert amounts == ([5, 2, 3] if booked else [5, 2]), "never booked twice"
    assert (outcome.error is None) is booked
    if not booked:
        assert outcome.error is not None and outcome.error.endswith(
            "shows no such stock change, so the next run books it"
        )
        assert client.write(Entity.stock, [StockLevel(sku="2001", location="1", on_hand=Decimal(10))])[0].error is None
        assert sandbox.till.stock[(1, 2001)]["amount"] == 10


def test_absolute_stock_is_sent_again_setting_it_twice_leaves_the_same_amount(
    sandbox: MplusSandbox, lose: tuple[LoseAnswers, MplusClient]
) -> None:
    front, client = lose
    client.settings = client.settings.model_copy(update={"relative_stock": False})
    arm(front, "setStock")
    [outcome] = client.write(Entity.stock, [StockLevel(sku="2001", location="1", on_hand=Decimal(4))])
    assert outcome.error is None and sandbox.calls.count("setStock") == 2
    assert sandbox.till.stock[(1, 2001)]["amount"] == 4
