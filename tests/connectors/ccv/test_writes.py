"""Writes as merchants rely on them, against the sandbox: orders once, products checked first,
customers found by email, variants made as attribute combinations, lost answers settled, rows
locked once an order is completed."""

from __future__ import annotations

from decimal import Decimal

import httpx

from connectors.ccv import protocol
from connectors.ccv.sandbox.store import Refused
from connectors.ccv.signing import Signature
from connectors.testing.faults import Faults
from engine.records import Customer, Entity, Money, Order, OrderLine, Product, Variant
from tests.connectors.ccv.conftest import RunningAccount


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def order(number: str, *skus: str, customer: Customer | None = None) -> Order:
    lines = tuple(OrderLine(sku=sku, quantity=Decimal(1), price=eur("29.95")) for sku in skus)
    return Order(number=number, currency="EUR", financial_status="paid", lines=lines,
                 customer=customer or Customer(email="new@example.com", first_name="Nieuw"))  # fmt: skip


def made_orders(account: RunningAccount) -> list[str]:
    return [o["reservationnumber"] for o in account.sandbox.store.orders.values() if o["reservationnumber"]]


def test_an_order_is_made_once_with_its_variant_rows_and_customer(account: RunningAccount) -> None:
    client = account.client()
    [first] = client.write(Entity.order, [order("#1001", "1002", "2000")])
    [again] = client.write(Entity.order, [order("#1001", "1002", "2000")])
    assert first.error is None and again.response.get("existed") and made_orders(account) == ["#1001"]
    made = account.sandbox.store.orders[int(first.target_id or 0)]
    rows = account.sandbox.store.order_rows(made["id"])
    assert [(r["product_number"], r["sub_sku_number"]) for r in rows] == [("1000", "1002"), ("2000", None)]
    user = account.sandbox.store.users[made["user"]["id"]]
    assert user["userinfo"]["email"] == "new@example.com" and made["status"] == 1 and made["paid"] is True


def test_an_order_with_an_unknown_product_fails_whole_and_makes_nothing(account: RunningAccount) -> None:
    client = account.client()
    users = len(account.sandbox.store.users)
    [outcome] = client.write(Entity.order, [order("#1002", "1001", "9001")])
    assert outcome.error and "does not know: 9001" in outcome.error
    assert made_orders(account) == [] and len(account.sandbox.store.users) == users, "nothing half-created"


def test_a_known_customer_is_found_by_email_and_updated_not_doubled(account: RunningAccount) -> None:
    client = account.client()
    korf = Customer(email="INKOOP@bakkerijdekorf.nl", kind="company", company_name="Bakkerij De Korf", phone="+3120")
    [outcome] = client.write(Entity.order, [order("#1003", "2000", customer=korf)])
    assert outcome.error is None and len(account.sandbox.store.users) == 3  # walk-in, the company, the person
    [found] = client.read(Entity.customer, [("inkoop@bakkerijdekorf.nl",)])
    assert found.phone == "+3120" and found.kind == "company"  # type: ignore[attr-defined]


def test_a_lost_order_answer_is_settled_by_looking_not_by_sending_it_again(account: RunningAccount) -> None:
    client = account.client()
    calls = []  # the reads before it are answered; the POST runs, and its answer is cut off
    original = client.transport.call

    def call(method: str, path: str, params: object = None, body: object = None) -> object:
        if method == "POST" and path == "orders":
            account.sandbox.faults = Faults(script=["lost"])
        calls.append((method, path))
        return original(method, path, params, body)  # type: ignore[arg-type]

    client.transport.call = call  # type: ignore[method-assign]
    [outcome] = client.write(Entity.order, [order("#1004", "2000")])
    assert outcome.error is None and made_orders(account) == ["#1004"]
    assert calls.count(("POST", "orders")) == 1 and account.sandbox.app.injected == ["lost"]


def test_a_variant_product_is_made_as_attribute_combinations_and_reads_back(account: RunningAccount) -> None:
    client = account.client()
    cap = Product(sku="5000", title="Cap", options=("colour",), categories=("1001",), variants=(
        Variant(sku="5001", options={"colour": "black"}, price=eur("15.00"), tax_rate=Decimal(21)),
        Variant(sku="5002", options={"colour": "white"}, price=eur("17.50"), tax_rate=Decimal(21))))  # fmt: skip
    [outcome] = client.write(Entity.product, [cap])
    assert outcome.error is None
    store = account.sandbox.store
    combinations = store.product_combinations(int(outcome.target_id or 0))
    assert sorted((c["sku_number"], c["netto_extra_price"]) for c in combinations) == [("5001", 0.0), ("5002", 2.5)]
    [read] = client.read(Entity.product, [("5000",)])
    assert [(v.sku, v.price) for v in read.variants] == [("5001", eur("15")), ("5002", eur("17.5"))]  # type: ignore[attr-defined]
    [again] = client.write(Entity.product, [cap])
    assert again.error is None and len(store.product_combinations(int(outcome.target_id or 0))) == 2


def mug(account: RunningAccount) -> int:
    return next(p["id"] for p in account.sandbox.store.products.values() if p["productnumber"] == "2000")


def test_rows_are_editable_only_before_completion(account: RunningAccount) -> None:
    store = account.sandbox.store
    basket = store.create_order({"is_completed": False, "orderrows": [{"product_id": mug(account), "count": 1.0}]})
    store.replace_rows(basket["id"], [{"product_id": mug(account), "count": 3.0}])
    assert [r["count"] for r in store.order_rows(basket["id"])] == [3.0]
    sale = next(o for o in store.orders.values() if o["is_completed"])
    try:
        store.replace_rows(sale["id"], [{"product_id": mug(account), "count": 1.0}])
    except Refused as refused:
        assert refused.code == "405.10"
    else:
        raise AssertionError("the rows of a completed order were changed")


def test_stock_is_on_hand_less_reserved_orders(account: RunningAccount) -> None:
    client = account.client()
    account.sandbox.store.create_order({"status": 14, "orderrows": [{"product_id": mug(account), "count": 3.0}]})
    levels = {s.sku: s for s in client.read(Entity.stock)}  # type: ignore[attr-defined]
    level = levels["2000"]
    assert (level.on_hand, level.reserved, level.available) == (Decimal(38), Decimal(3), Decimal(35))  # type: ignore[attr-defined]


def test_a_new_product_without_a_vat_rate_is_the_records_error_and_nothing_is_sent(account: RunningAccount) -> None:
    client = account.client()
    untaxed = Product(sku="6000", title="Tea towel", variants=(Variant(sku="6000", price=eur("7.50")),))
    [outcome] = client.write(Entity.product, [untaxed])
    assert outcome.error is not None and "no VAT rate" in outcome.error and "tax_rate" in outcome.error
    assert "POST products" not in client.transport.log
    assert not [p for p in account.sandbox.store.products.values() if p["productnumber"] == "6000"]


def signed(account: RunningAccount) -> httpx.Client:
    """A plain HTTP client that signs as CCV's clients do, to see the sandbox's answers as they are."""
    return httpx.Client(base_url=account.url + protocol.PREFIX, auth=Signature(account.sandbox.public,
                                                                               account.sandbox.secret))  # fmt: skip


def test_over_http_a_completed_orders_rows_are_refused_in_ccvs_error_shape(account: RunningAccount) -> None:
    store = account.sandbox.store
    basket = store.create_order({"is_completed": False, "orderrows": [{"product_id": mug(account), "count": 1.0}]})
    sale = next(o for o in store.orders.values() if o["ordernumber_full"] == "SP-1")
    with signed(account) as http:
        [open_row] = store.order_rows(basket["id"])
        assert http.patch(f"orderrows/{open_row['id']}/", json={"count": 2.0}).status_code == 204
        [sold_row] = store.order_rows(sale["id"])
        refused = http.patch(f"orderrows/{sold_row['id']}", json={"count": 5.0})
        replaced = http.put(f"orders/{sale['id']}/orderrows", json=[{"product_id": mug(account), "count": 9.0}])
        status = http.patch(f"orders/{sale['id']}", json={"status": 5, "track_and_trace_code": "3SABC123"})
    assert [r["count"] for r in store.order_rows(basket["id"])] == [2.0]
    message = f"order {sale['id']} is completed; its rows cannot be changed"
    for answer in (refused, replaced):
        assert answer.status_code == 405
        assert answer.json() == {"code": "405.10", "status": 405, "developermessage": message}
    assert [r["count"] for r in store.order_rows(sale["id"])] == [2.0], "the sale's rows are as sold"
    assert status.status_code == 204 and (sale["status"], sale["track_and_trace_code"]) == (5, "3SABC123")


def test_an_invoice_for_an_order_carries_its_numbers_and_totals(account: RunningAccount) -> None:
    sale = next(o for o in account.sandbox.store.orders.values() if o["ordernumber_full"] == "SP-1")
    with signed(account) as http:
        made = http.post(f"orders/{sale['id']}/invoices", json={})
        listed = http.get("invoices", params={"start": 0, "size": 10}).json()
        one = http.get(f"invoices/{made.json()['id']}/")
        missing = http.post("orders/999999/invoices", json={})
    assert made.status_code == 201 and one.status_code == 200 and listed["items"] == [one.json()]
    invoice = one.json()
    assert (invoice["ordernumber_full"], invoice["status"], invoice["total_price_inc_tax"], invoice["order"]) == (
        "SP-1", "paid", sale["total_price"], {"id": sale["id"]})  # fmt: skip
    assert missing.status_code == 404 and missing.json()["code"] == "404.10"
