"""The Rackbeat client against its sandbox: headers, pages, stock, orders in their state, refusals,
numbers with `/`, deletes of stocked items, lost answers and rate limits."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connectors.rackbeat.sandbox import cases
from connectors.testing.faults import Faults
from engine.connector import ReadFilter
from engine.records import Category, Customer, Entity, Order, OrderLine, Product, StockLevel
from tests.connectors.rackbeat.conftest import RunningRackbeat

SEEDED_CUSTOMER = "indkob@nordiskcafe.example"


def _order(number: str, email: str = SEEDED_CUSTOMER, sku: str = "RB-1002", quantity: int = 1) -> Order:
    return Order(number=number, currency="DKK", customer=Customer(email=email, first_name="New", last_name="Buyer"),
                 lines=(OrderLine(sku=sku, quantity=Decimal(quantity), price=cases.dkk("100.00")),),
                 prices_include_tax=False)  # fmt: skip


def test_every_request_carries_the_token_and_the_integrator_headers(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client(consumer_name="Acme Sync", consumer_contact="ops@acme.example")
    client.read(Entity.category)
    method, path, headers = rackbeat.sandbox.requests_seen[-1]
    assert (method, path) == ("GET", "/api/product-groups")
    assert headers["authorization"] == f"Bearer {rackbeat.sandbox.token}"
    assert headers["consumer-name"] == "Acme Sync"
    assert headers["consumer-contact"] == "ops@acme.example"
    assert headers["user-agent"] == "Acme Sync (ops@acme.example)"


def test_lists_answered_206_are_read_page_by_page_to_the_end(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client(page_size=2)
    answer = httpx.get(f"{rackbeat.url}/api/products", params={"limit": 2},
                       headers={"Authorization": f"Bearer {rackbeat.sandbox.token}"})  # fmt: skip
    assert answer.status_code == 206 and answer.json()["pages"] == 2
    skus = sorted(p.sku for p in client.read(Entity.product))
    assert skus == ["RB-1001", "RB-1002", "RB-2001"]
    assert client.transport.log == ["GET products", "GET products"]


def test_stock_is_available_as_in_stock_less_what_booked_orders_reserve(rackbeat: RunningRackbeat) -> None:
    # the seeded booked order reserves 3 linen towels at the default warehouse (1)
    everywhere = rackbeat.client().read(Entity.stock, [("RB-1001", "all")])
    assert everywhere == [StockLevel(sku="RB-1001", location="all", on_hand=Decimal(25), reserved=Decimal(3),
                                     available=Decimal(22))]  # fmt: skip
    store = rackbeat.client(stock_location="2").read(Entity.stock)
    assert {(s.sku, s.location, s.available) for s in store} == {
        ("RB-1001", "2", Decimal(5)), ("RB-1002", "2", Decimal(0)), ("RB-2001", "2", Decimal(12))}  # fmt: skip


def test_an_order_lands_once_booked_with_the_customer_found_by_email(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client()
    [outcome] = client.write(Entity.order, [_order("#1001", quantity=2)])
    assert outcome.error is None and outcome.response["customer"] == 10001
    [again] = client.write(Entity.order, [_order("#1001", quantity=2)])
    assert again.response["existed"] is True
    orders = [o for o in rackbeat.sandbox.account.orders.values() if o["your_reference"] == "#1001"]
    assert len(orders) == 1 and orders[0]["is_booked"] and not orders[0]["is_shipped"]
    assert len(rackbeat.sandbox.account.customers) == 1
    [read] = client.read(Entity.stock, [("RB-1002", "all")])
    assert (read.reserved, read.available) == (Decimal(2), Decimal(6))


def test_a_new_customer_takes_the_next_number_of_the_series(rackbeat: RunningRackbeat) -> None:
    [outcome] = rackbeat.client().write(Entity.order, [_order("#1002", email="ny@example.dk")])
    assert outcome.response["customer"] == 10002
    [customer] = rackbeat.client().read(Entity.customer, [("ny@example.dk",)])
    assert (customer.number, customer.first_name, customer.last_name) == ("10002", "New", "Buyer")


@pytest.mark.parametrize(
    ("state", "flags", "on_hand"),
    [
        ("ready_to_ship", {"is_booked", "is_ready_for_shipping", "is_ready_for_invoicing"}, 8),
        ("shipped", {"is_booked", "is_shipped", "is_ready_for_invoicing"}, 7),
        ("invoiced", {"is_booked", "is_invoiced"}, 7),
        ("shipped_and_invoiced", {"is_booked", "is_shipped", "is_invoiced"}, 7),
    ],
)
def test_an_order_is_brought_to_the_state_the_settings_ask(
    rackbeat: RunningRackbeat, state: str, flags: set[str], on_hand: int
) -> None:
    client = rackbeat.client(order_state=state)
    [outcome] = client.write(Entity.order, [_order("#2001")])
    assert outcome.error is None
    order = rackbeat.sandbox.account.orders[int(outcome.target_id or 0)]
    assert {name for name, value in order.items() if name.startswith("is_") and value} == flags
    [read] = client.read(Entity.order, [("#2001",)])
    assert read.status == state
    [stock] = client.read(Entity.stock, [("RB-1002", "all")])
    assert stock.on_hand == on_hand and stock.reserved == (1 if state == "ready_to_ship" else 0)


def test_booking_twice_is_refused(rackbeat: RunningRackbeat) -> None:
    [outcome] = rackbeat.client().write(Entity.order, [_order("#3001")])
    auth = {"Authorization": f"Bearer {rackbeat.sandbox.token}"}
    answer = httpx.post(f"{rackbeat.url}/api/orders/{outcome.target_id}/book", json={"mail": {"send": False}},
                        headers=auth)  # fmt: skip
    assert answer.status_code == 422 and answer.json()["errors"] == {"order": ["The order is already booked."]}


def test_an_order_with_an_unknown_item_fails_whole_naming_the_line(rackbeat: RunningRackbeat) -> None:
    [outcome] = rackbeat.client().write(Entity.order, [_order("#4001", sku="NOPE")])
    assert outcome.error == "Rackbeat: order #4001: Rackbeat has no item NOPE; nothing was created"
    assert not [o for o in rackbeat.sandbox.account.orders.values() if o["your_reference"] == "#4001"]


def test_a_refusal_is_the_records_error_naming_the_field(rackbeat: RunningRackbeat) -> None:
    outcomes = rackbeat.client().write(Entity.category, [Category(key="77", name=""), Category(key="78", name="Ok")])
    assert outcomes[0].error == "Rackbeat: Rackbeat refused product group 77: name: The name field is required."
    assert outcomes[1].error is None and "78" in rackbeat.sandbox.account.groups


def test_numbers_with_a_slash_are_addressed_by_their_urlfriendly_number(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client()
    product = cases.item("RB/77", "Brass hook", "30", group="50")
    assert client.write(Entity.product, [product])[0].error is None
    assert client.write(Entity.product, [product.model_copy(update={"title": "Brass hook, large"})])[0].error is None
    assert [p.title for p in client.read(Entity.product, [("RB/77",)])] == ["Brass hook, large"]
    assert "PUT products/RB-77" in client.transport.log
    assert client.delete(Entity.product, [("RB/77",)])[0].error is None
    assert "RB/77" not in rackbeat.sandbox.account.products


def test_an_item_with_stock_is_not_deleted(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client()
    client.write(Entity.product, [cases.item("RB-9", "Spare", "1", group="50")])
    stocked, empty = client.delete(Entity.product, [("RB-2001",), ("RB-9",)])
    assert stocked.error == ("Rackbeat: Rackbeat refused to delete product RB-2001: number: The item has registered "
                             "stock and cannot be deleted.")  # fmt: skip
    assert empty.error is None
    assert "RB-2001" in rackbeat.sandbox.account.products and "RB-9" not in rackbeat.sandbox.account.products


def test_a_plan_is_told_which_deletes_rackbeat_would_refuse(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client()
    client.write(Entity.product, [cases.item("RB-9", "Spare", "1", group="50")])
    refused = client.refused_deletes(Entity.product, [("RB-2001",), ("RB-9",), ("RB-404",)])
    assert refused == {("RB-2001",): "item RB-2001 has 12 registered in stock, and Rackbeat keeps an item with stock"}
    assert client.refused_deletes(Entity.category, [("50",)]) == {}


def test_a_product_needs_its_group(rackbeat: RunningRackbeat) -> None:
    orphan = Product(sku="RB-10", title="Orphan")
    [outcome] = rackbeat.client().write(Entity.product, [orphan])
    assert outcome.error is not None and "has no product group" in outcome.error
    [outcome] = rackbeat.client(default_group="50").write(Entity.product, [orphan])
    assert outcome.error is None and rackbeat.sandbox.account.products["RB-10"]["group"]["number"] == "50"


def _requests_before_create(client_log: list[str]) -> int:
    return client_log.index("POST orders")


@pytest.mark.parametrize("fault", ["lost", "500"])
def test_an_order_whose_answer_was_lost_is_found_not_made_twice(rackbeat: RunningRackbeat, fault: str) -> None:
    client = rackbeat.client()
    client.write(Entity.order, [_order("#5001")])
    before = _requests_before_create(client.transport.log)
    client.transport.log.clear()
    rackbeat.sandbox.faults = Faults(script=["ok"] * before + [fault])
    [outcome] = client.write(Entity.order, [_order("#5002")])
    assert rackbeat.sandbox.app.injected[-1] == fault
    made = [o for o in rackbeat.sandbox.account.orders.values() if o["your_reference"] == "#5002"]
    if fault == "lost":  # the order was made and its answer cut off: found by its webshop id
        assert outcome.error is None and len(made) == 1 and made[0]["is_booked"]
    else:  # a 500 before it ran: not made, not sent again; the next run makes it
        assert outcome.error is not None and "not sent again" in outcome.error and made == []
    assert client.transport.log.count("POST orders") == 1


def test_a_429_is_waited_out(rackbeat: RunningRackbeat) -> None:
    rackbeat.sandbox.faults = Faults(script=["429"])
    assert len(rackbeat.client().read(Entity.category)) == 2
    assert rackbeat.waits == [1.0]  # the sandbox's Retry-After


def test_orders_changed_since_the_cursor_are_read_with_updated_at_from(rackbeat: RunningRackbeat) -> None:
    client = rackbeat.client()
    assert [o.number for o in client.read(Entity.order, wanted=ReadFilter(since="2000-01-01T00:00:00Z"))] == ["PO-77"]
    assert client.read(Entity.order, wanted=ReadFilter(since="2999-01-01T00:00:00Z")) == []
    seen = [path for method, path, _ in rackbeat.sandbox.requests_seen if path == "/api/orders"]
    assert len(seen) == 2


def test_stock_is_counted_in_per_location_and_a_count_rackbeat_holds_already_sends_nothing(
    rackbeat: RunningRackbeat,
) -> None:
    client = rackbeat.client()
    levels = [StockLevel(sku="RB-1001", location="2", on_hand=Decimal(9)),  # it has 5 there
              StockLevel(sku="RB-1002", location="1", on_hand=Decimal(8))]  # it has 8 there  # fmt: skip
    assert [o.error for o in client.write(Entity.stock, levels)] == [None, None]
    account = rackbeat.sandbox.account
    assert account.stock[("RB-1001", "2")] == 9 and account.stock[("RB-1002", "1")] == 8
    assert [(d["item_number"], d["location_number"], d["is_booked"]) for d in account.checking_drafts.values()] == [
        ("RB-1001", "2", True)
    ], "one count, booked, and none where the stock was right"
    [level] = client.read(Entity.stock, [("RB-1001", "2")])
    assert (level.location, level.on_hand) == ("2", 9), "a key names one location, whatever stock_location says"


def test_a_count_of_all_locations_together_or_of_an_unknown_item_is_refused_naming_the_field(
    rackbeat: RunningRackbeat,
) -> None:
    levels = [StockLevel(sku="RB-1001", location="all", on_hand=Decimal(3)),
              StockLevel(sku="NOPE", location="1", on_hand=Decimal(3))]  # fmt: skip
    refused = rackbeat.client().write(Entity.stock, levels)
    assert [o.error and "location_map" in o.error for o in refused] == [True, False]
    assert refused[1].error is not None and "no item NOPE" in refused[1].error
    assert rackbeat.sandbox.account.checking_drafts == {}


@pytest.mark.parametrize("fault", ["lost", "500"])
def test_a_count_whose_answer_was_lost_is_booked_once_not_made_twice(rackbeat: RunningRackbeat, fault: str) -> None:
    client = rackbeat.client()
    client.write(Entity.stock, [StockLevel(sku="RB-1002", location="2", on_hand=Decimal(1))])
    before = client.transport.log.index("POST inventory/checking-drafts")
    client.transport.log.clear()
    rackbeat.sandbox.faults = Faults(script=["ok"] * before + [fault])
    [outcome] = client.write(Entity.stock, [StockLevel(sku="RB-1001", location="1", on_hand=Decimal(30))])
    assert rackbeat.sandbox.app.injected[-1] == fault
    drafts = [d for d in rackbeat.sandbox.account.checking_drafts.values() if d["item_number"] == "RB-1001"]
    if fault == "lost":  # made, its answer cut off: found open and booked
        assert outcome.error is None and [d["is_booked"] for d in drafts] == [True]
        assert rackbeat.sandbox.account.stock[("RB-1001", "1")] == 30
    else:  # refused before it ran: not made, not sent again; the next run counts it
        assert outcome.error is not None and drafts == []
    assert client.transport.log.count("POST inventory/checking-drafts") == 1
