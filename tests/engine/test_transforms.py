"""Named transforms, on their own and as JMESPath functions in a mapping."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from engine.errors import RecordError
from engine.mapping import jmes
from engine.mapping.transforms import numeric_sku, price_excl_tax, price_incl_tax, split_street, value_map
from engine.records import Money

Compile = Callable[[str], jmes.Expression]
PAYMENT_METHODS = {"ideal": "IDEAL", "1": "CASH", "bancontact": "BANCONTACT"}


# split_street


@pytest.mark.parametrize(
    ("line", "street", "number", "suffix"),
    [
        ("Keizersgracht 123-A", "Keizersgracht", "123", "A"),
        ("Keizersgracht 123 - A", "Keizersgracht", "123", "A"),
        ("Laan van Meerdervoort 12a", "Laan van Meerdervoort", "12", "a"),
        ("Hoofdstraat 5", "Hoofdstraat", "5", None),
        ("Rue 7 bis", "Rue", "7", "bis"),
        ("Rue Neuve 7 bis", "Rue Neuve", "7", "bis"),
        ("Hoofdstraat 12bis", "Hoofdstraat", "12", "bis"),
        ("Kerkstraat 12-2", "Kerkstraat", "12", "2"),
        ("Hoofdweg 7 / H", "Hoofdweg", "7", "H"),
        ("Plein 1944 12", "Plein 1944", "12", None),
        ("1e Constantijn Huygensstraat 12", "1e Constantijn Huygensstraat", "12", None),
        ("Hauptstraße 5a", "Hauptstraße", "5", "a"),
        ("Dorpsstraat, 8", "Dorpsstraat", "8", None),
    ],
)
def test_split_street(line: str, street: str, number: str, suffix: str | None) -> None:
    assert split_street(line) == {"street": street, "house_number": number, "house_number_suffix": suffix}


@pytest.mark.parametrize(
    ("line", "street", "number", "suffix"),
    [
        ("  Prinsengracht    263  ", "Prinsengracht", "263", None),
        ("Laan  van\tMeerdervoort   12   a", "Laan van Meerdervoort", "12", "a"),
        ("Keizersgracht  123  -  A ", "Keizersgracht", "123", "A"),
    ],
)
def test_split_street_collapses_extra_whitespace(
    line: str,
    street: str,
    number: str,
    suffix: str | None,
) -> None:
    assert split_street(line) == {"street": street, "house_number": number, "house_number_suffix": suffix}


@pytest.mark.parametrize(
    ("line", "street"),
    [
        ("Dorpsstraat", "Dorpsstraat"),
        ("  Laan   van Meerdervoort ", "Laan van Meerdervoort"),
        ("Postbus", "Postbus"),
        ("", None),
        ("   ", None),
    ],
)
def test_split_street_without_a_number_keeps_the_whole_line(line: str, street: str | None) -> None:
    assert split_street(line) == {"street": street, "house_number": None, "house_number_suffix": None}


@pytest.mark.parametrize("line", ["Rue de la Loi 16 bus 3", "Rue de la Loi 16 bte 3"])
def test_split_street_belgian_box_number_is_not_the_house_number(line: str) -> None:
    parts = split_street(line)
    assert (parts["street"], parts["house_number"]) == ("Rue de la Loi", "16")


# numeric_sku


@pytest.mark.parametrize(
    ("sku", "expected"),
    [
        ("00123", "123"),
        ("123", "123"),
        (" 00123 ", "123"),
        ("0", "0"),
        ("000", "0"),
        ("8712345678906", "8712345678906"),
    ],
)
def test_numeric_sku_accepts_digits_and_drops_leading_zeros(sku: str, expected: str) -> None:
    assert numeric_sku(sku) == expected


@pytest.mark.parametrize("sku", ["AB-12", "12.5", "", "   ", "١٢٣", "１２３", "²", "+123", "-1", "1 2"])
def test_numeric_sku_rejects_anything_but_ascii_digits(sku: str) -> None:
    with pytest.raises(RecordError, match="is not numeric") as caught:
        numeric_sku(sku)
    assert caught.value.field == "sku"


# price_excl_tax / price_incl_tax


def test_price_excl_tax_takes_the_tax_off() -> None:
    result = price_excl_tax("12.10 EUR", 21)
    assert isinstance(result, Money)
    assert result == Money(amount=Decimal("10.00"), currency="EUR")


def test_price_incl_tax_puts_the_tax_on() -> None:
    result = price_incl_tax(Money(amount=Decimal("10.00"), currency="EUR"), 21)
    assert isinstance(result, Money)
    assert result == Money(amount=Decimal("12.10"), currency="EUR")


def test_prices_round_trip() -> None:
    price = Money.model_validate("12.10 EUR")
    assert price_incl_tax(price_excl_tax(price, 21), 21) == price


@pytest.mark.parametrize(
    "price",
    [
        "12.10 EUR",
        {"amount": "12.10", "currency": "EUR"},
        Money(amount=Decimal("12.10"), currency="EUR"),
    ],
)
def test_prices_accept_text_mappings_and_money(price: Any) -> None:
    assert price_excl_tax(price, 21) == Money(amount=Decimal("10.00"), currency="EUR")


@pytest.mark.parametrize("currency", ["EUR", "USD", "GBP"])
def test_prices_keep_the_currency(currency: str) -> None:
    assert price_excl_tax(f"12.10 {currency}", 21).currency == currency
    assert price_incl_tax(f"10.00 {currency}", 21).currency == currency


@pytest.mark.parametrize(
    ("function", "price", "rate", "expected"),
    [
        (price_incl_tax, "0.50 EUR", 21, "0.61"),  # 0.605
        (price_incl_tax, "0.05 EUR", 10, "0.06"),  # 0.055
        (price_incl_tax, "0.25 EUR", 9, "0.27"),  # 0.2725
        (price_excl_tax, "0.04 EUR", 60, "0.03"),  # 0.025
        (price_excl_tax, "1.00 EUR", 21, "0.83"),  # 0.8264...
        (price_excl_tax, "1.09 EUR", 9, "1.00"),
        (price_incl_tax, "10 EUR", 21, "12.10"),
        (price_incl_tax, "10.00 EUR", 0, "10.00"),
    ],
)
def test_prices_round_half_up_to_the_cent(function: Any, price: str, rate: int, expected: str) -> None:
    amount = function(price, rate).amount
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize("rate", [21, "21", "21%", "21 %", " 21", Decimal("21"), 21.0, "21.0%"])
def test_tax_rate_forms(rate: Any) -> None:
    assert price_excl_tax("12.10 EUR", rate) == Money.model_validate("10.00 EUR")
    assert price_incl_tax("10.00 EUR", rate) == Money.model_validate("12.10 EUR")


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("abc", "is not a number"),
        ("", "is not a number"),
        ("%", "is not a number"),
        (None, "is not a number"),
        (100, "must be a percentage from 0 to 100"),
        (-1, "must be a percentage from 0 to 100"),
        ("150%", "must be a percentage from 0 to 100"),
        ("Infinity", "must be a percentage from 0 to 100"),
    ],
)
def test_an_invalid_tax_rate_is_a_record_error(rate: Any, message: str) -> None:
    with pytest.raises(RecordError, match=f"tax rate .* {message}"):
        price_excl_tax("1.00 EUR", rate)
    with pytest.raises(RecordError, match=f"tax rate .* {message}"):
        price_incl_tax("1.00 EUR", rate)


@pytest.mark.parametrize("rate", ["NaN", "nan%", "sNaN"])
def test_a_nan_tax_rate_is_a_record_error(rate: str) -> None:
    with pytest.raises(RecordError, match="tax rate"):
        price_excl_tax("1.00 EUR", rate)


def test_a_tax_rate_with_a_percent_sign_and_trailing_space() -> None:
    assert price_excl_tax("12.10 EUR", " 21% ") == Money.model_validate("10.00 EUR")


@pytest.mark.parametrize(
    "price",
    ["cheap", "12.10", "12.10 eur", None, 12, {"amount": "x", "currency": "EUR"}],
)
def test_not_a_price_is_a_record_error(price: Any) -> None:
    with pytest.raises(RecordError, match="not a price"):
        price_incl_tax(price, 21)
    with pytest.raises(RecordError, match="not a price"):
        price_excl_tax(price, 21)


# value_map


def test_value_map_hit() -> None:
    assert value_map(PAYMENT_METHODS, "payment_methods", "ideal") == "IDEAL"


def test_value_map_compares_keys_as_text() -> None:
    assert value_map(PAYMENT_METHODS, "payment_methods", 1) == "CASH"
    assert value_map({"3": 30}, "codes", "3") == 30


def test_value_map_miss_without_default_names_the_map_and_its_keys() -> None:
    with pytest.raises(RecordError) as caught:
        value_map(PAYMENT_METHODS, "payment_methods", "klarna")
    assert str(caught.value) == (
        "value map 'payment_methods' has no entry for 'klarna' (known: '1', 'bancontact', 'ideal')"
    )


def test_value_map_miss_in_an_empty_map() -> None:
    with pytest.raises(RecordError, match=r"value map 'empty' has no entry for 'x' \(known: none\)"):
        value_map({}, "empty", "x")


@pytest.mark.parametrize("default", ["OTHER", None, "", 0])
def test_value_map_miss_with_default_returns_the_default(default: Any) -> None:
    assert value_map(PAYMENT_METHODS, "payment_methods", "klarna", default) == default


def test_value_map_none_looks_up_the_empty_key() -> None:
    assert value_map({"": "UNKNOWN"}, "codes", None) == "UNKNOWN"
    with pytest.raises(RecordError, match="no entry for None"):
        value_map(PAYMENT_METHODS, "payment_methods", None)


# through JMESPath


@pytest.fixture
def compile_expression() -> Compile:
    return jmes.compiler({"payment_methods": PAYMENT_METHODS})


RECORD = {
    "payment_method": "paypal",
    "method_code": 1,
    "street": "Laan van Meerdervoort 12a",
    "sku": "00123",
    "bad_sku": "AB-12",
    "price": {"amount": Decimal("12.10"), "currency": "EUR"},
    "net": {"amount": Decimal("10.00"), "currency": "EUR"},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("value_map('payment_methods', payment_method, 'OTHER')", "OTHER"),
        ("value_map('payment_methods', 'ideal')", "IDEAL"),
        ("value_map('payment_methods', method_code)", "CASH"),
        ("value_map('payment_methods', payment_method, null)", None),
        (
            "split_street(street)",
            {"street": "Laan van Meerdervoort", "house_number": "12", "house_number_suffix": "a"},
        ),
        ("split_street(street).house_number_suffix", "a"),
        ("numeric_sku(sku)", "123"),
        ("numeric_sku(`42`)", "42"),
        ("price_excl_tax(price, `21`)", {"amount": Decimal("10.00"), "currency": "EUR"}),
        ("price_excl_tax(price, '21%').amount", Decimal("10.00")),
        ("price_incl_tax(net, '21%')", {"amount": Decimal("12.10"), "currency": "EUR"}),
    ],
)
def test_transforms_as_jmespath_functions(
    compile_expression: Compile,
    expression: str,
    expected: Any,
) -> None:
    assert compile_expression(expression).search(RECORD) == expected


def test_jmespath_value_map_miss_is_a_record_error(compile_expression: Compile) -> None:
    with pytest.raises(RecordError, match="value map 'payment_methods' has no entry for 'paypal'"):
        compile_expression("value_map('payment_methods', payment_method)").search(RECORD)
    with pytest.raises(RecordError, match="value map 'statuses' is not declared"):
        compile_expression("value_map('statuses', payment_method)").search(RECORD)


def test_jmespath_numeric_sku_keeps_the_field(compile_expression: Compile) -> None:
    with pytest.raises(RecordError) as caught:
        compile_expression("numeric_sku(bad_sku)").search(RECORD)
    assert caught.value.field == "sku"


def test_jmespath_invalid_rate_is_a_record_error(compile_expression: Compile) -> None:
    with pytest.raises(RecordError, match="tax rate"):
        compile_expression("price_excl_tax(price, 'abc')").search(RECORD)


# static checks


UNKNOWN = "unknown function value_mapp(); did you mean value_map()?"


@pytest.mark.parametrize(
    ("expression", "column"),
    [
        ("value_mapp(a)", 1),
        ("trim(value_mapp('a', b))", 6),
        ("a || value_mapp(b)", 6),
        ("x.y | value_mapp (b)", 7),
    ],
)
def test_check_reports_an_unknown_function_with_a_hint(expression: str, column: int) -> None:
    [problem] = jmes.check(expression).problems
    assert problem.column == column
    assert problem.message.startswith(UNKNOWN)


def test_check_reports_an_unknown_function_without_a_near_name() -> None:
    [problem] = jmes.check("frobnicate(a)").problems
    assert problem.column == 1
    assert problem.message.startswith("unknown function frobnicate() (transforms: ")
    assert "did you mean" not in problem.message


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        ("value_map('a')", 1, "value_map() takes 2 to 3 arguments, got 1"),
        ("value_map('a', b, c, d)", 1, "value_map() takes 2 to 3 arguments, got 4"),
        ("trim(split_street(a, b))", 6, "split_street() takes 1 arguments, got 2"),
        ("price_excl_tax(price)", 1, "price_excl_tax() takes 2 arguments, got 1"),
    ],
)
def test_check_reports_arity_problems(expression: str, column: int, message: str) -> None:
    [problem] = jmes.check(expression).problems
    assert (problem.column, problem.message) == (column, message)


@pytest.mark.parametrize(
    "expression",
    [
        "value_map('pm', payment_method)",
        "value_map('pm', payment_method, 'OTHER')",
        "split_street(street).house_number",
        "price_incl_tax(price, '21%')",
        "numeric_sku(sku)",
    ],
)
def test_check_accepts_well_formed_transform_calls(expression: str) -> None:
    assert jmes.check(expression).problems == ()


def test_check_collects_value_maps_and_fields() -> None:
    analysis = jmes.check("value_map('pm', customer.email) || lines[0].sku")
    assert analysis.problems == () and analysis.value_maps == ("pm",)
    assert analysis.fields == (("customer",), ("customer", "email"), ("lines",), ("lines", "sku"))


def test_check_reports_a_syntax_error_with_its_column() -> None:
    [broken] = jmes.check("title ||").problems
    assert broken.column == 9 and broken.message.startswith("invalid JMESPath")


def test_check_points_at_the_call_that_has_the_problem() -> None:
    [problem] = jmes.check("value_map('a', b) || value_map('c')").problems
    assert problem.message == "value_map() takes 2 to 3 arguments, got 1"
    assert problem.column == 22
