"""Stock formulas: arithmetic over named fields, and nothing else ever runs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import RecordError
from engine.formula import FormulaError, parse_formula

FIELDS = ("available", "on_hand", "reserved")


def test_formulas_evaluate_in_decimals() -> None:
    formula = parse_formula("max(on_hand - reserved, 0)", FIELDS)
    assert formula.names == {"on_hand", "reserved"}
    assert formula.evaluate({"on_hand": Decimal(5), "reserved": Decimal(7)}) == 0
    assert formula.evaluate({"on_hand": Decimal("5.5"), "reserved": 2}) == Decimal("3.5")
    assert parse_formula("(available - 2) * 0.5", FIELDS).evaluate({"available": 10}) == 4
    assert parse_formula("-reserved + min(on_hand, 3)", FIELDS).evaluate({"on_hand": 9, "reserved": 1}) == 2


def test_unknown_field_names_the_nearest() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("on_hand - reservd", FIELDS)
    assert caught.value.column == 11
    assert (
        caught.value.message == "unknown field 'reservd'; known: available, on_hand, reserved; did you mean 'reserved'?"
    )


@pytest.mark.parametrize(
    "text",
    [
        "on_hand.real",
        "__import__('os').system('true')",
        "abs(on_hand)",
        "on_hand > 1",
        "(lambda: 1)()",
        "on_hand[0]",
        "'ten'",
        "max(on_hand, default=1)",
        "on_hand ** 2",
        "True",
    ],
)
def test_anything_but_arithmetic_is_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(text, FIELDS)


def test_a_syntax_error_has_a_column() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("on_hand -", FIELDS)
    assert caught.value.column >= 1 and caught.value.message.startswith("invalid formula")


def test_a_missing_value_or_division_by_zero_is_a_record_error() -> None:
    with pytest.raises(RecordError, match="formula needs 'reserved'"):
        parse_formula("on_hand - reserved", FIELDS).evaluate({"on_hand": 1})
    with pytest.raises(RecordError, match="divides by zero"):
        parse_formula("on_hand / reserved", FIELDS).evaluate({"on_hand": 1, "reserved": 0})
