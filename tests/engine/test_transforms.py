"""Named transforms, on their own and as JMESPath functions in a mapping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import jmes
from engine.errors import RecordError
from engine.records import Money
from engine.transforms import numeric_sku, price_excl_tax, price_incl_tax, split_street, value_map


@pytest.mark.parametrize(
    ("line", "street", "number", "suffix"),
    [
        ("Keizersgracht 123-A", "Keizersgracht", "123", "A"),
        ("Laan van Meerdervoort 12a", "Laan van Meerdervoort", "12", "a"),
        ("Hoofdstraat 5", "Hoofdstraat", "5", None),
        ("Rue Neuve 7 bis", "Rue Neuve", "7", "bis"),
        ("  Prinsengracht    263  ", "Prinsengracht", "263", None),
        ("Plein 1944 12", "Plein 1944", "12", None),
        ("Kerkstraat 12-2", "Kerkstraat", "12", "2"),
        ("Hoofdweg 7 / H", "Hoofdweg", "7", "H"),
        ("Dorpsstraat", "Dorpsstraat", None, None),
    ],
)
def test_split_street(line: str, street: str, number: str | None, suffix: str | None) -> None:
    assert split_street(line) == {"street": street, "house_number": number, "house_number_suffix": suffix}


def test_numeric_sku() -> None:
    assert numeric_sku(" 00123 ") == "123"
    for bad in ("AB-12", "12.5", "", "١٢٣"):
        with pytest.raises(RecordError, match="is not numeric") as caught:
            numeric_sku(bad)
        assert caught.value.field == "sku"


def test_prices_with_and_without_tax_round_half_up_to_the_cent() -> None:
    assert price_excl_tax("12.10 EUR", 21) == Money(amount=Decimal("10.00"), currency="EUR")
    assert price_incl_tax({"amount": "10.00", "currency": "EUR"}, "21%") == Money.model_validate("12.10 EUR")
    assert price_incl_tax("0.05 USD", 10) == Money.model_validate("0.06 USD")  # 0.055 rounds up
    assert price_excl_tax("1.09 EUR", 9).amount == Decimal("1.00")
    for rate in ("abc", 100, -1):
        with pytest.raises(RecordError, match="tax rate"):
            price_excl_tax("1.00 EUR", rate)
    with pytest.raises(RecordError, match="not a price"):
        price_incl_tax("cheap", 21)


def test_value_map() -> None:
    table = {"ideal": "IDEAL", "1": "CASH"}
    assert value_map(table, "payment_methods", "ideal") == "IDEAL"
    assert value_map(table, "payment_methods", 1) == "CASH"
    assert value_map(table, "payment_methods", "klarna", "OTHER") == "OTHER"
    with pytest.raises(
        RecordError, match=r"value map 'payment_methods' has no entry for 'klarna' \(known: '1', 'ideal'\)"
    ):
        value_map(table, "payment_methods", "klarna")


def test_transforms_as_jmespath_functions() -> None:
    compile_expression = jmes.compiler({"payment_methods": {"ideal": "IDEAL"}})
    record = {
        "payment_method": "paypal",
        "street": "Keizersgracht 123-A",
        "price": {"amount": Decimal("12.10"), "currency": "EUR"},
    }
    assert compile_expression("value_map('payment_methods', payment_method, 'OTHER')").search(record) == "OTHER"
    assert compile_expression("split_street(street).house_number").search(record) == "123"
    assert compile_expression("price_excl_tax(price, `21`).amount").search(record) == Decimal("10.00")
    with pytest.raises(RecordError, match="value map 'payment_methods' has no entry for 'paypal'"):
        compile_expression("value_map('payment_methods', payment_method)").search(record)
    with pytest.raises(RecordError, match="value map 'statuses' is not declared"):
        compile_expression("value_map('statuses', payment_method)").search(record)


def test_static_check_finds_unknown_functions_arity_and_fields() -> None:
    [problem] = jmes.check("trim(value_mapp('a', b))").problems
    assert problem.column == 6 and "unknown function value_mapp(); did you mean value_map()?" in problem.message
    [arity] = jmes.check("value_map('a')").problems
    assert arity.message == "value_map() takes 2 to 3 arguments, got 1"
    analysis = jmes.check("value_map('pm', customer.email) || lines[0].sku")
    assert analysis.problems == () and analysis.value_maps == ("pm",)
    assert analysis.fields == (("customer",), ("customer", "email"), ("lines",), ("lines", "sku"))
    [broken] = jmes.check("title ||").problems
    assert broken.column == 9 and broken.message.startswith("invalid JMESPath")
