"""The EasyCashier client against its sandbox over loopback HTTP: the token's life, the sales
report read incrementally (within a day, returns, across midnight in Stockholm), stock changed
relatively, lost answers settled, and the pure conversions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.easycashier import convert
from connectors.easycashier.client import EasyCashierClient
from connectors.easycashier.sandbox import EasyCashierSandbox, start
from connectors.easycashier.settings import EasyCashierSettings
from connectors.testing.faults import Faults
from connectors.testing.server import serving
from engine.errors import FatalConnectorError, RecordError
from engine.records import Entity, Money, Order, OrderLine, Product, StockLevel, Variant

# 23:30 in Stockholm (summer, UTC+2) on 14 June, then 00:10 on 15 June
EVENING = datetime(2026, 6, 14, 21, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 6, 14, 22, 10, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


OPENED: list[EasyCashierClient] = []


@pytest.fixture
def sandbox() -> Iterator[tuple[EasyCashierSandbox, str]]:
    office = start()
    with serving(office) as url:
        yield office, url
        while OPENED:
            OPENED.pop().close()


def client_of(running: tuple[EasyCashierSandbox, str], clock: Clock | None = None) -> EasyCashierClient:
    sandbox, url = running
    settings = EasyCashierSettings.model_validate(sandbox.settings(url))
    client = EasyCashierClient(settings, sandbox.credentials, now=clock or Clock(EVENING))
    client.transport.sleep = lambda seconds: None
    OPENED.append(client)
    return client


def test_a_token_refused_mid_run_is_renewed_once_and_a_second_refusal_is_fatal(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    office = sandbox[0].office
    client = client_of(sandbox)
    assert [p.sku for p in client.read(Entity.product, [("1001",)])] == ["1001"]
    office.expire_tokens()
    assert [p.sku for p in client.read(Entity.product, [("1002",)])] == ["1002"]
    assert client.transport.logins == 2
    office.token_lifetime = 0  # every token is dead on arrival
    office.expire_tokens()
    with pytest.raises(FatalConnectorError, match=r"refused .*right after logging in") as refused:
        client.read(Entity.product, [("1003",)])
    assert "sandbox-password" not in str(refused.value)


def test_a_token_is_renewed_before_it_expires(sandbox: tuple[EasyCashierSandbox, str]) -> None:
    now = [0.0]
    client = client_of(sandbox)
    client.transport.clock = lambda: now[0]
    client.read(Entity.product, [("1001",)])
    now[0] = sandbox[0].office.token_lifetime - 10  # within the margin: a new one first
    client.read(Entity.product, [("1001",)])
    assert client.transport.logins == 2 and "POST /v1/login" in sandbox[0].calls[-2:]


def test_the_sales_report_is_read_incrementally_with_returns_and_across_midnight(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    office = sandbox[0].office
    clock = Clock(EVENING)
    client = client_of(sandbox, clock)
    office.sell("1001", 1, Decimal(3), EVENING)
    sold, seen = client.sales_since(None)
    assert sold == {} and seen.totals == {("1001", 1): Decimal(3)}, "a first look only sees"
    office.sell("1001", 1, Decimal(2), EVENING)
    office.sell("1002", 3, Decimal(-1), EVENING)  # a return
    sold, seen = client.sales_since(seen)
    assert sold == {("1001", 1): Decimal(2), ("1002", 3): Decimal(-1)}
    office.sell("1001", 1, Decimal(1), EVENING)  # late on the 14th, not yet looked at
    clock.moment = AFTER_MIDNIGHT
    office.sell("1001", 1, Decimal(4), AFTER_MIDNIGHT)  # the 15th in Stockholm (still the 14th in UTC)
    sold, seen = client.sales_since(seen)
    assert sold == {("1001", 1): Decimal(5)}, "the rest of the 14th and the 15th so far"
    assert str(seen.day) == "2026-06-15"
    assert client.sales_since(seen)[0] == {}


def test_stock_is_changed_by_the_difference_so_a_sale_meanwhile_stays(sandbox: tuple[EasyCashierSandbox, str]) -> None:
    office = sandbox[0].office
    client = client_of(sandbox)
    [outcome] = client.write(Entity.stock, [StockLevel(sku="1001", location="1", on_hand=Decimal(15))])
    assert outcome.error is None and office.changes[-1]["sign"] == 1 and office.stock("1001", 1) == 15
    assert outcome.sent is not None and outcome.sent["increaseStock"]["articles"] == [
        {"articleNumber": "1001", "quantity": 3}
    ]
    [same] = client.write(Entity.stock, [StockLevel(sku="1001", location="1", on_hand=Decimal(15))])
    assert same.sent is None and len(office.changes) == 1, "nothing to change, nothing sent"


def web_order(number: str, *lines: tuple[str, int, str | None]) -> Order:
    """A web order of these (article, quantity, location) lines."""
    price = Money.model_validate("129 SEK")
    return Order(number=number, currency="SEK", lines=tuple(
        OrderLine(sku=sku, quantity=Decimal(quantity), price=price, location=location)
        for sku, quantity, location in lines
    ))  # fmt: skip


# before a web order's change: the sales report, the articles, the report again; then the change
BEFORE_THE_CHANGE = ["ok", "ok", "ok"]


def test_a_stock_change_whose_answer_is_lost_is_settled_not_sent_again(sandbox: tuple[EasyCashierSandbox, str]) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])  # logged in: the script hits the order's calls
    running.faults = Faults(script=[*BEFORE_THE_CHANGE, "lost"])  # the decrease runs, then its answer is lost
    [outcome] = client.write(Entity.order, [web_order("#9", ("1001", 2, None))])
    assert running.app.injected == ["lost"], "the decrease's answer was lost"
    assert outcome.error is None and not outcome.held, outcome.error
    assert office.stock("1001", 1) == 10 and len(office.changes) == 1, "booked once"


def test_a_stock_change_lost_before_it_ran_is_sent_once_more_in_the_same_run(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])
    running.faults = Faults(script=[*BEFORE_THE_CHANGE, "500"])  # a server error: it may have run, so it is looked for
    [outcome] = client.write(Entity.order, [web_order("#10", ("1001", 1, None))])
    assert running.app.injected == ["500"]
    assert outcome.error is None and office.stock("1001", 1) == 11 and len(office.changes) == 1, "booked once"


def test_a_change_never_booked_after_sending_it_once_more_fails_for_the_next_run(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])
    # the decrease fails; the stock is read (report, article) and it is sent again, and fails again
    running.faults = Faults(script=[*BEFORE_THE_CHANGE, "500", "ok", "ok", "500"])
    [outcome] = client.write(Entity.order, [web_order("#11", ("1001", 1, None))])
    assert running.app.injected == ["500", "500"]
    assert outcome.error is not None and "did not move besides the till's sales" in outcome.error
    assert not outcome.held and office.changes == []


def test_a_lost_change_the_stock_cannot_tell_is_held_not_failed(
    sandbox: tuple[EasyCashierSandbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])
    call = client.transport.call

    def goods_received_meanwhile(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "decreaseStock":
            office.change_stock({"storeNumber": 1, "articles": [{"articleNumber": "1001", "quantity": 5}]}, 1)
        return call(name, *args, **kwargs)

    monkeypatch.setattr(client.transport, "call", goods_received_meanwhile)
    running.faults = Faults(script=[*BEFORE_THE_CHANGE, "lost"])
    [outcome] = client.write(Entity.order, [web_order("#12", ("1001", 2, None))])
    assert outcome.held and outcome.error is not None
    assert "moved 1001 by +3, where the change was 1001 by -2" in outcome.error, outcome.error
    assert office.stock("1001", 1) == 12 - 2 + 5 and len(office.changes) == 2, "sent once, not again"


def test_a_lost_change_whose_stock_cannot_be_read_to_tell_is_held(sandbox: tuple[EasyCashierSandbox, str]) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])
    running.faults = Faults(script=[*BEFORE_THE_CHANGE, "lost", *["500"] * 20])  # then the Back Office is down
    [outcome] = client.write(Entity.order, [web_order("#16", ("1001", 2, None))])
    assert outcome.held and outcome.error is not None and "reading the stock to tell" in outcome.error, outcome
    assert len(office.changes) == 1, "sent once, not again"


def test_an_order_shipped_from_two_locations_lowers_each_store_by_its_lines(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    office = sandbox[0].office
    client = client_of(sandbox)
    order = web_order("#13", ("1001", 2, "1"), ("1002", 1, "3"), ("1003", 1, None))  # the last: the order's store
    [outcome] = client.write(Entity.order, [order.model_copy(update={"branch": "3"})])
    assert outcome.error is None, outcome.error
    assert sorted((c["store"], c["articles"]) for c in office.changes) == [
        (1, [("1001", Decimal(2))]),
        (3, [("1002", Decimal(1)), ("1003", Decimal(1))]),
    ]
    assert (office.stock("1001", 1), office.stock("1002", 3), office.stock("1003", 3)) == (10, -1, -1)


def test_an_order_booked_at_one_store_whose_other_store_is_in_doubt_is_held_saying_so(
    sandbox: tuple[EasyCashierSandbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])
    call = client.transport.call

    def counted_meanwhile(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "decreaseStock" and kwargs["body"]["storeNumber"] == 3:
            office.set_stock("1002", 3, Decimal(7))  # a stock count at store 3 meanwhile
        return call(name, *args, **kwargs)

    monkeypatch.setattr(client.transport, "call", counted_meanwhile)
    # the report, an article per line, the report; store 1's decrease; store 3's answer is lost
    running.faults = Faults(script=["ok", "ok", "ok", "ok", "ok", "lost"])
    [outcome] = client.write(Entity.order, [web_order("#15", ("1001", 1, "1"), ("1002", 1, "3"))])
    assert running.app.injected == ["lost"]
    assert outcome.held and outcome.error is not None and "its change at store 1 was booked" in outcome.error
    assert [c["store"] for c in office.changes] == [1, 3], "each sent once"


def test_an_order_with_an_unknown_article_or_store_is_that_orders_error(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    client = client_of(sandbox)
    line = OrderLine(sku="9999", quantity=Decimal(1), price=Money.model_validate("10 SEK"))
    unknown, elsewhere, good = client.write(Entity.order, [
        Order(number="#1", currency="SEK", lines=(line,)),
        Order(number="#2", currency="SEK", branch="7", lines=(line.model_copy(update={"sku": "1001"}),)),
        Order(number="#3", currency="SEK", branch="1", lines=(line.model_copy(update={"sku": "1001"}),)),
    ])  # fmt: skip
    assert unknown.error is not None and "no article 9999" in unknown.error
    assert elsewhere.error is not None and "store 7 is not one of this system's stores" in elsewhere.error
    assert good.error is None and sandbox[0].office.stock("1001", 1) == 11


def test_articles_convert_with_vat_as_a_fraction_and_one_variant() -> None:
    assert convert.vat_percent(0.25) == Decimal(25) and convert.vat_percent(0.06) == Decimal(6)
    assert convert.vat_fraction(Decimal(12)) == Decimal("0.12")
    with pytest.raises(RecordError, match="VAT rate of 125"):
        convert.vat_fraction(Decimal(125))
    product = convert.product_from({"id": 7, "articleNumber": "0042", "description": "Mug", "vat": 0.25,
                                    "retailPriceIncludingVat": 189.5, "barcode": "07340012300028"})  # fmt: skip
    assert product.variants[0].price == Money.model_validate("189.5 SEK") and product.variants[0].tax_rate == 25
    article = convert.article_to(product, {"id": 7, "articleNumber": "0042", "accountNumber": 3051, "stockEntries": []})
    assert article["vat"] == 0.25 and article["retailPriceIncludingVat"] == 189.5 and article["accountNumber"] == 3051
    two = Product(sku="A", title="Shirt", variants=(Variant(sku="A-S"), Variant(sku="A-M")))
    with pytest.raises(RecordError, match="EasyCashier has none"):
        convert.article_to(two, None)
