"""The EasyCashier client against its sandbox over loopback HTTP: the token's life, the sales
report read incrementally (within a day, returns, across midnight in Stockholm), stock changed
relatively, lost answers settled, and the pure conversions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

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


def test_a_stock_change_whose_answer_is_lost_is_settled_not_sent_again(sandbox: tuple[EasyCashierSandbox, str]) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    order = Order(
        number="#9",
        currency="SEK",
        lines=(OrderLine(sku="1001", quantity=Decimal(2), price=Money.model_validate("129 SEK")),),
    )
    client.read(Entity.product, [("1001",)])  # logged in: the script hits the order's calls
    # the article read, the sales report, then the decrease: its answer is lost after it ran
    running.faults = Faults(script=["ok", "ok", "lost"])
    [outcome] = client.write(Entity.order, [order])
    assert outcome.error is None, outcome.error
    assert office.stock("1001", 1) == 10 and len(office.changes) == 1, "booked once"


def test_a_stock_change_lost_before_it_ran_fails_the_record_for_the_next_run(
    sandbox: tuple[EasyCashierSandbox, str],
) -> None:
    running, office = sandbox[0], sandbox[0].office
    client = client_of(sandbox)
    client.read(Entity.product, [("1001",)])
    running.faults = Faults(script=["ok", "ok", "500"])  # a server error: it may have run, so it is looked for
    order = Order(
        number="#10",
        currency="SEK",
        lines=(OrderLine(sku="1001", quantity=Decimal(1), price=Money.model_validate("129 SEK")),),
    )
    [outcome] = client.write(Entity.order, [order])
    assert outcome.error is not None and "did not move besides the till's sales" in outcome.error
    assert office.changes == []


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
