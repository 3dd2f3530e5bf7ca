"""Shopify writes that take no idempotency key, their answer lost: settled by looking in the shop by
the record's key, never sent twice. Orders by name, shipments by order and tracking number,
collections by the handle Shopify makes of the category's key, which is compared as Shopify
normalises it."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from connectors.shopify.categories import handle_of
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.ledger import handle_of as shopify_makes
from engine.records import Category, Entity, Money, Order, OrderLine, Product, Shipment, Variant
from tests.connectors.shopify.conftest import Running
from tests.connectors.test_faults_lost import losing

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
    sandbox.faults.slow_seconds = 2.0  # far beyond the client's wait and its look, even on a busy machine
    with losing(sandbox, "mutation OrderCreate", kind="timeout") as (url, _):  # runs after the wait
        running = Running(sandbox, url)
        client = running.client(timeout=0.2)
        client.write(Entity.product, [MUG])
        [outcome] = client.write(Entity.order, [SALE])
        assert outcome.error is not None and "no answer within 0.2 s" in outcome.error
        time.sleep(2.1)
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


# ---- collections --------------------------------------------------------------------------------

# What Shopify is documented or seen to make of a title or handle (see categories.handle_of)
HANDLES = {
    "Summer Catalog 2022": "summer-catalog-2022",  # the schema's Collection.handle
    "Black Sunglasses": "black-sunglasses",  # the schema's ProductSetInput.handle
    "a b-c_d.e": "a-b-c_d-e",  # the ASCII test: underscores kept, dots a hyphen
    "x\"x'x(x)x[x]": "xxxxxx",  # removed
    "x!x#x ": "x-x-x",  # a hyphen, and none at the end
    "Crème brûlée": "creme-brulee",  # plain ASCII for a letter with accents
    "Ærø Straße": "aero-strasse",
    "日本": "日本",  # no ASCII equivalent: kept (UTF-8 handles since 2017)
    "ünï cødé": "uni-code",
}


@pytest.mark.parametrize("text", HANDLES)
def test_the_connector_and_the_sandbox_make_the_handle_shopify_makes(text: str) -> None:
    assert handle_of(text) == shopify_makes(text) == HANDLES[text]


def categories(*keys: str) -> list[Category]:
    return [Category(key=key, name=key.title()) for key in keys]


def handles(sandbox: ShopifySandbox) -> list[str]:
    return sorted(c["handle"] for c in sandbox.shop.collections.values())


def test_a_key_shopify_makes_another_handle_of_is_the_same_collection_on_every_run(shopify: Running) -> None:
    [unicode] = categories("ünï cødé")
    for _ in range(3):
        [outcome] = shopify.client().write(Entity.category, [unicode])  # a client per run
        assert outcome.error is None
    assert handles(shopify.sandbox) == ["uni-code"]
    assert shopify.client().read(Entity.category, [("ünï cødé",)]) == [unicode], "read back under its own key"
    assert shopify.client().read(Entity.category) == [unicode]
    mug = Product(sku="2000", title="Mug", categories=("ünï cødé",),
                  variants=(Variant(sku="2000", price=Money.model_validate("12.50 EUR")),))  # fmt: skip
    shopify.client().write(Entity.product, [mug])
    assert shopify.client().read(Entity.product, [("2000",)])[0].categories == ("ünï cødé",)


def test_two_keys_of_one_handle_are_told_apart_and_the_second_is_refused(shopify: Running) -> None:
    client = shopify.client()
    client.write(Entity.category, categories("ünï cødé"))
    [second] = client.write(Entity.category, categories("Uni Code"))
    assert second.error == "Shopify gave the collection the handle uni-code-1; uni-code is taken"
    assert shopify.client().read(Entity.category, [("ünï cødé",), ("Uni Code",)]) == categories("ünï cødé")


def test_a_collection_made_by_hand_is_taken_over_by_the_key_of_its_handle(shopify: Running) -> None:
    shopify.sandbox.shop.collection_set({"title": "Mugs"}, creating=True)
    [outcome] = shopify.client().write(Entity.category, [Category(key="mugs", name="Our mugs")])
    assert outcome.error is None and handles(shopify.sandbox) == ["mugs"]


def test_a_batch_of_creates_whose_answer_was_lost_leaves_each_collection_once(sandbox: ShopifySandbox) -> None:
    keys = [f"group-{n}" for n in range(100, 110)] + ["ünï cødé"]
    with losing(sandbox, "mutation CollectionCreateBatch", times=5) as (url, front):
        running = Running(sandbox, url)
        outcomes = running.client().write(Entity.category, categories(*keys))
        again = running.client().write(Entity.category, categories(*keys))  # the next run
        running.close()
    assert len(front.lost) == 2, "both batches were sent once, and both answers lost"
    assert [o.error for o in outcomes + again] == [None] * 22
    assert handles(sandbox) == sorted([*keys[:-1], "uni-code"])


def test_a_batch_lost_before_shopify_made_it_fails_and_the_next_run_makes_it(sandbox: ShopifySandbox) -> None:
    with losing(sandbox, "mutation CollectionCreateBatch", kind="drop") as (url, front):
        running = Running(sandbox, url)
        outcomes = running.client().write(Entity.category, categories("group-10", "group-20"))
        assert handles(sandbox) == [] and len(front.lost) == 1
        assert all(o.error and o.error.endswith("so the next run makes it") for o in outcomes)
        again = running.client().write(Entity.category, categories("group-10", "group-20"))
        running.close()
    assert [o.error for o in again] == [None, None] and handles(sandbox) == ["group-10", "group-20"]
