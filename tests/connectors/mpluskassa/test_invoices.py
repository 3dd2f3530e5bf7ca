"""Orders of type invoice booked in MplusKASSA with saveInvoice, over loopback HTTP: once each, found
again by findInvoice, paid by their payments, taking their stock; refusals in the till's words."""

from __future__ import annotations

from decimal import Decimal

from engine.records import Customer, Entity, Money, Order, OrderLine, Product, Variant
from tests.connectors.mpluskassa.conftest import RunningTill

MUG = Product(sku="2000", title="Mug", variants=(Variant(sku="2001", price=Money.model_validate("12.50 EUR")),))


def invoice(number: str, quantity: int = 2, **extra: object) -> Order:
    return Order.model_validate({
        "number": number, "type": "invoice", "currency": "EUR", "financial_status": "paid",
        "payment_method": "IDEAL", "total": {"amount": f"{12.5 * quantity:.2f}", "currency": "EUR"},
        "lines": [OrderLine(sku="2001", quantity=Decimal(quantity), price=Money.model_validate("12.50 EUR"))],
        **extra})  # fmt: skip


def test_an_invoice_is_booked_once_paid_and_takes_its_stock(till: RunningTill) -> None:
    client = till.client()
    client.write(Entity.product, [MUG])
    till.sandbox.till.stock[(1, 2001)]["amount"] = Decimal(10)
    buyer = Customer(email="jan@example.com", first_name="Jan", last_name="Jansen")
    [first] = client.write(Entity.order, [invoice("#2001", customer=buyer, payment_terms="14 days")])
    [again] = client.write(Entity.order, [invoice("#2001", customer=buyer, payment_terms="14 days")])
    [stored] = till.sandbox.till.invoices.values()
    assert first.error is None and first.target_id == stored["invoiceId"] and again.response["existed"] is True
    assert till.sandbox.calls.count("saveInvoice") == 1 and till.sandbox.till.orders == {}
    assert (stored["extInvoiceId"], stored["employeeNumber"], stored["financialBranchNumber"]) == ("#2001", 999999, 1)
    assert (stored["state"], stored["paidAmount"], stored["totalInclAmount"]) == ("INVOICE-STATE-PAID", 2500, 2500)
    assert till.sandbox.till.stock[(1, 2001)] == {"amount": Decimal(8), "reserved": Decimal(0)}
    [relation] = till.sandbox.till.relations.values()
    assert relation["paymentWithinDays"] == 14 and stored["relationNumber"] == relation["relationNumber"]
    [read] = client.read(Entity.order, [("#2001",)])
    assert isinstance(read, Order)
    assert (read.type, read.financial_status, read.total, [(li.sku, li.quantity) for li in read.lines]) == (
        "invoice", "paid", Money.model_validate("25.00 EUR"), [("2001", 2)])  # fmt: skip


def test_an_order_booked_as_an_order_is_not_booked_again_as_an_invoice(till: RunningTill) -> None:
    client = till.client()
    client.write(Entity.product, [MUG])
    till.sandbox.till.relations[1000] = {"relationNumber": 1000, "name": "Kassa", "syncMarker": 0}
    as_order = invoice("#2002", customer_number="1000").model_copy(update={"type": "order"})
    [booked] = client.write(Entity.order, [as_order])
    [skipped] = client.write(Entity.order, [invoice("#2002", customer_number="1000")])
    assert booked.error is None and skipped.response == {"orderId": booked.target_id, "existed": True}
    assert till.sandbox.till.invoices == {}


def test_an_invoice_the_till_refuses_is_that_records_error_in_its_words(till: RunningTill) -> None:
    client = till.client()
    client.write(Entity.product, [MUG])
    till.sandbox.till.relations[1000] = {"relationNumber": 1000, "name": "Kassa", "syncMarker": 0}
    [refused] = client.write(Entity.order, [invoice("#2003", customer_number="1000", employee="12345")])
    assert refused.error == ("MplusKASSA: the till refused invoice #2003: employee 12345 does not exist; an order "
                             "needs a known employee number (SAVE-INVOICE-RESULT-FAILED)")  # fmt: skip
    [unknown] = client.write(
        Entity.order,
        [
            invoice("#2004", customer_number="1000").model_copy(
                update={"lines": (OrderLine(sku="9999", quantity=Decimal(1), price=Money.model_validate("1.00 EUR")),)}
            )
        ],
    )
    assert unknown.error == "MplusKASSA: order #2004 has articles MplusKASSA does not know: 9999; nothing was created"
    assert till.sandbox.till.invoices == {} and till.sandbox.calls.count("saveInvoice") == 1
