"""Shopify writes that take no idempotency key, their answer lost: settled by looking in the shop by
the record's key, never sent twice. Orders by name, shipments by order and tracking number."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from connectors.shopify.sandbox import ShopifySandbox
from engine.records import Entity, Money, Order, OrderLine, Product, Shipment, Variant
from tests.connectors.lost import losing
from tests.connectors.shopify.conftest import Running

EUR = "EUR"
MUG = Product(sku="2000", title="Mug", variants=(Variant(sku="2000", price=Money.model_validate("12.50 EUR")),))
SALE = Order(
    number="1-000002", source="pos", financial_status="paid", currency=EUR, payment_method="cash",
    lines=(OrderLine(sku="2000", quantity=Decimal(2), price=Money.model_validate("12.50 EUR")),),
    total=Money.model_validate("25.00 EUR"),
)  # fmt: skip


def named(sandbox: ShopifySandbox, name: str) -> list[str]:
    return [order_id for order_id, order in sandbox.shop.orders.items() if order["name"] == name]


def test_an_order_whose_answer_was_lost_is_found_by_its_name_and_booked_once(sandbox: ShopifySandbox) -> None:
    with losing(sandbox, "mutation OrderCreate", times=3) as (url, front):
        running = Running(sandbox, url)
        client = running.client()
        client.write(Entity.product, [MUG])
        [outcome] = client.write(Entity.order, [SALE])
        [again] = client.write(Entity.order, [SALE])  # a later run delivers it again
        running.close()
    assert len(front.lost) == 1, "one orderCreate was sent, and its answer lost"
    [made] = named(sandbox, "1-000002")
    assert (outcome.error, outcome.target_id, outcome.response["settled"]) == (
        None,
        made,
        "found after its answer was lost",
    )
    assert again.error is None and again.response == {"existed": True}


@pytest.mark.parametrize("kind", ["drop", "500"])
def test_an_order_lost_before_shopify_made_it_fails_and_the_next_run_books_it(
    sandbox: ShopifySandbox, kind: str
) -> None:
    with losing(sandbox, "mutation OrderCreate", kind=kind) as (url, front):
        running = Running(sandbox, url)
        client = running.client()
        client.transport.sleep = lambda seconds: None
        client.write(Entity.product, [MUG])
        [outcome] = client.write(Entity.order, [SALE])
        assert named(sandbox, "1-000002") == [] and len(front.lost) == 1
        assert outcome.error is not None and outcome.error.startswith("Shopify OrderCreate: the answer was lost")
        assert outcome.error.endswith(
            "Shopify shows no order 1-000002 yet, so the next run books it if it is still missing"
        )
        [next_run] = client.write(Entity.order, [SALE])
        running.close()
    assert next_run.error is None and len(named(sandbox, "1-000002")) == 1


def test_an_order_still_being_made_when_the_client_gave_up_is_not_sent_again(sandbox: ShopifySandbox) -> None:
    """Shopify may still be working on a request the client stopped waiting for: the order is
    not found yet, so it fails rather than being sent again, and a later run finds it made."""
    sandbox.faults.slow_seconds = 0.5
    with losing(sandbox, "mutation OrderCreate", kind="timeout") as (url, _):  # runs after the wait
        running = Running(sandbox, url)
        client = running.client(timeout=0.2)
        client.write(Entity.product, [MUG])
        [outcome] = client.write(Entity.order, [SALE])
        assert outcome.error is not None and "no answer within 0.2 s" in outcome.error
        time.sleep(0.6)
        [later] = client.write(Entity.order, [SALE])
        running.close()
    assert later.response == {"existed": True} and len(named(sandbox, "1-000002")) == 1


def test_a_shipment_whose_answer_was_lost_is_found_among_the_orders_fulfillments(sandbox: ShopifySandbox) -> None:
    with losing(sandbox, "mutation FulfillmentCreate", times=3) as (url, front):
        running = Running(sandbox, url)
        client = running.client()
        client.write(Entity.product, [MUG])
        order_id = sandbox.shop.place_order([("2000", 1)], email="j.jansen@example.com")
        name = sandbox.shop.orders[order_id]["name"]
        shipment = Shipment(key=f"{name}/3SABC123", order_number=name, tracking_number="3SABC123", carrier="PostNL")
        [outcome] = client.write(Entity.shipment, [shipment])
        running.close()
    [fulfillment] = sandbox.shop.orders[order_id]["fulfillments"]
    assert len(front.lost) == 1 and (outcome.error, outcome.target_id) == (None, fulfillment["id"])
