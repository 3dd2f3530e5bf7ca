"""The pure conversions: status numbers, selling prices, VAT flags, variant prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.ccv import convert, protocol
from engine.errors import RecordError
from engine.records import Money, Product, Variant


def test_every_status_number_reads_as_a_status_that_writes_back_as_it() -> None:
    assert len(protocol.STATUSES) == 14
    for number in range(1, 15):
        name = convert.status_name(number)
        assert name is not None and convert.status_number(name) == number
    assert convert.status_name(15) is None and convert.status_name(None) is None


def test_another_systems_statuses_and_none_have_numbers_and_an_unknown_one_is_the_records_error() -> None:
    assert (convert.status_number("open"), convert.status_number("cancelled"), convert.status_number(None)) == (1, 8, 1)
    with pytest.raises(RecordError, match="'shipped' has no CCV status number"):
        convert.status_number("shipped")


def test_the_selling_price_is_price_less_discount() -> None:
    product = {"productnumber": "1", "name": "Mug", "price": 14.5, "discount": 2.0, "vatrate": 9.0}
    [variant] = convert.product_from(product, [], [], "EUR").variants
    assert variant.price == Money(amount=Decimal("12.5"), currency="EUR")
    assert variant.compare_at_price == Money(amount=Decimal("14.5"), currency="EUR")
    assert variant.tax_rate == Decimal(9)
    row = convert.product_to(Product(sku="1", title="Mug", variants=(variant,)), None)
    assert (row["price"], row["discount"]) == (14.5, 2.0)


def test_a_zero_rated_order_has_no_vat_on_its_rows() -> None:
    rows = [{"product_number": "1", "count": 1, "price": 10.0, "discount": 1.0, "tax": 21.0}]
    normal = convert.order_from({"id": 1, "status": 7, "paid": True}, rows, "1")
    intra = convert.order_from({"id": 1, "status": 7, "is_intra_community_order": True}, rows, "1")
    assert normal.lines[0].tax_rate == Decimal(21) and intra.lines[0].tax_rate == Decimal(0)
    assert normal.lines[0].price.amount == Decimal(9) and normal.financial_status == "paid"
    assert intra.financial_status == "pending" and normal.status == "completed" and normal.branch == "1"


def test_variant_prices_become_extra_prices_of_the_first_attribute_or_the_records_error() -> None:
    def variant(sku: str, size: str, colour: str, price: str) -> Variant:
        return Variant(sku=sku, options={"size": size, "colour": colour}, price=Money.model_validate(f"{price} EUR"))

    good = Product(sku="1", title="Shirt", options=("size", "colour"), variants=(
        variant("a", "S", "red", "10"), variant("b", "L", "red", "12"), variant("c", "L", "blue", "12")))  # fmt: skip
    assert convert.value_prices(good) == {("size", "S"): 0, ("size", "L"): 2, ("colour", "red"): 0,
                                          ("colour", "blue"): 0}  # fmt: skip
    bad = good.model_copy(update={"variants": (*good.variants, variant("d", "S", "blue", "11"))})
    with pytest.raises(RecordError, match="extra price per attribute value"):
        convert.value_prices(bad)
