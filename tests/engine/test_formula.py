"""Stock formulas: arithmetic over named fields, and nothing else ever runs."""

from __future__ import annotations

import builtins
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.errors import RecordError
from engine.mapping.formula import FormulaError, parse_formula

FIELDS = ("available", "on_hand", "reserved")
VALUES: dict[str, Decimal | int | None] = {
    "available": Decimal(1),
    "on_hand": Decimal(5),
    "reserved": Decimal(7),
}


def test_max_of_a_difference_and_zero() -> None:
    formula = parse_formula("max(on_hand - reserved, 0)", FIELDS)
    assert formula.evaluate({"on_hand": Decimal(5), "reserved": Decimal(7)}) == 0
    assert formula.evaluate({"on_hand": Decimal(9), "reserved": Decimal(7)}) == 2
    assert formula.names == {"on_hand", "reserved"}
    assert formula.text == "max(on_hand - reserved, 0)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on_hand", "5"),
        ("on_hand + 1", "6"),
        ("on_hand - reserved", "-2"),
        ("on_hand * 2 + 1", "11"),
        ("on_hand * (2 + 1)", "15"),
        ("(on_hand + 1) * 2 - reserved / 2", "8.5"),
        ("((on_hand))", "5"),
        ("-on_hand", "-5"),
        ("+on_hand", "5"),
        ("-(on_hand - reserved)", "2"),
        ("-reserved + min(on_hand, 3)", "-4"),
        ("max(on_hand, reserved, available)", "7"),
        ("min(on_hand, reserved, available)", "1"),
        ("max(min(on_hand, 3), available) * 2", "6"),
        ("on_hand / 2", "2.5"),
        ("(available - 2) * 0.5", "-0.5"),
        ("0.1 + 0.2", "0.3"),
        ("10 - 2 - 3", "5"),
        ("12 / 3 / 2", "2"),
        ("  on_hand - 1  ", "4"),
    ],
)
def test_arithmetic(text: str, expected: str) -> None:
    result = parse_formula(text, FIELDS).evaluate(VALUES)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)


def test_constants_are_exact_decimals() -> None:
    assert parse_formula("on_hand * 1.1", FIELDS).evaluate({"on_hand": 3}) == Decimal("3.3")


def test_int_values_are_accepted() -> None:
    assert parse_formula("on_hand - reserved", FIELDS).evaluate({"on_hand": 5, "reserved": 2}) == 3


def test_names_are_the_fields_read() -> None:
    assert parse_formula("1 + 2", FIELDS).names == frozenset()
    assert parse_formula("min(available, available * 2)", FIELDS).names == {"available"}


@pytest.mark.parametrize(
    ("text", "column", "name", "near"),
    [
        ("on_hand - reservd", 11, "reservd", "reserved"),
        ("reservd", 1, "reservd", "reserved"),
        ("max(on_hand - reservd, 0)", 15, "reservd", "reserved"),
        ("  on_hand - reservd", 13, "reservd", "reserved"),
        ("onhand + 1", 1, "onhand", "on_hand"),
    ],
)
def test_an_unknown_field_names_the_nearest(text: str, column: int, name: str, near: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text, FIELDS)
    assert caught.value.column == column
    assert caught.value.message == (
        f"unknown field '{name}'; did you mean '{near}'? known: available, on_hand, reserved"
    )
    assert str(caught.value) == f"column {column}: {caught.value.message}"


def test_an_unknown_field_without_a_near_name_has_no_hint() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("on_hand - xyz", FIELDS)
    assert caught.value.column == 11
    assert caught.value.message == "unknown field 'xyz'; known: available, on_hand, reserved"


def test_a_formula_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="column 1: "):
        parse_formula("abs(on_hand)", FIELDS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("on_hand.real", "attribute is not allowed"),
        ("__import__('os')", "only max and min() may be called"),
        ("__import__('os').system('true')", "only max and min() may be called"),
        ("abs(on_hand)", "only max and min() may be called"),
        ("round(on_hand)", "only max and min() may be called"),
        ("on_hand > 1", "compare is not allowed"),
        ("on_hand == reserved", "compare is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("(lambda: 1)()", "only max and min() may be called"),
        ("on_hand[0]", "subscript is not allowed"),
        ("max(on_hand, 0)[0]", "subscript is not allowed"),
        ("'ten'", "only numbers may appear as constants, not 'ten'"),
        ("on_hand + 'ten'", "only numbers may appear as constants"),
        ("b'ten'", "only numbers may appear as constants"),
        ("max(on_hand, default=1)", "max() takes one or more plain arguments"),
        ("min(on_hand, key=abs)", "min() takes one or more plain arguments"),
        ("max()", "max() takes one or more plain arguments"),
        ("max(*on_hand)", "starred is not allowed"),
        ("max(x for x in on_hand)", "generatorexp is not allowed"),
        ("on_hand ** 2", "only + - * / are allowed"),
        ("on_hand % 2", "only + - * / are allowed"),
        ("on_hand // 2", "only + - * / are allowed"),
        ("on_hand << 2", "only + - * / are allowed"),
        ("~on_hand", "only + - * / are allowed"),
        ("not on_hand", "only + - * / are allowed"),
        ("on_hand and reserved", "boolop is not allowed"),
        ("on_hand if reserved else 0", "ifexp is not allowed"),
        ("(on_hand := 1)", "namedexpr is not allowed"),
        ("[on_hand]", "list is not allowed"),
        ("{'a': 1}", "dict is not allowed"),
        ("f'{on_hand}'", "joinedstr is not allowed"),
        ("True", "only numbers may appear as constants, not True"),
        ("None", "only numbers may appear as constants, not None"),
        ("1j", "only numbers may appear as constants"),
        ("...", "only numbers may appear as constants"),
    ],
)
def test_anything_but_arithmetic_is_refused(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text, FIELDS)
    assert message in caught.value.message
    assert caught.value.column >= 1


@pytest.mark.parametrize(
    "template",
    [
        "__import__('pathlib').Path({path!r}).touch()",
        "max(__import__('pathlib').Path({path!r}).touch(), 0)",
        "(lambda: __import__('pathlib').Path({path!r}).touch())()",
        "open({path!r}, 'w')",
    ],
)
def test_refused_formulas_never_run(template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a formula was executed")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    marker = tmp_path / "ran"
    with pytest.raises(FormulaError):
        parse_formula(template.format(path=str(marker)), FIELDS)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("on_hand - * 2", 11),
        ("on_hand reserved", 9),
        ("max(on_hand,, 0)", 13),
        ("on_hand -", 1),
        ("", 1),
        ("(on_hand", 1),
    ],
)
def test_a_syntax_error_has_a_column(text: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text, FIELDS)
    assert caught.value.column == column
    assert caught.value.message.startswith("invalid formula: ")


def test_a_syntax_error_column_counts_leading_whitespace() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("   on_hand - * 2", FIELDS)
    assert caught.value.column == 14


@pytest.mark.parametrize(
    ("text", "values", "field"),
    [
        ("on_hand - reserved", {"on_hand": 1}, "reserved"),
        ("on_hand - reserved", {"on_hand": 1, "reserved": None}, "reserved"),
        ("max(on_hand, 0)", {}, "on_hand"),
    ],
)
def test_a_missing_value_is_a_record_error(
    text: str,
    values: dict[str, Decimal | int | None],
    field: str,
) -> None:
    message = f"formula needs '{field}', which this record does not have"
    with pytest.raises(RecordError, match=message) as caught:
        parse_formula(text, FIELDS).evaluate(values)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "text",
    ["on_hand / 0", "on_hand / reserved", "on_hand / (available - 1)", "1 / 0.0"],
)
def test_division_by_zero_is_a_record_error(text: str) -> None:
    with pytest.raises(RecordError, match="formula divides by zero"):
        parse_formula(text, FIELDS).evaluate({"on_hand": 1, "reserved": 0, "available": 1})


@pytest.mark.parametrize("text", ["max(on_hand)", "min(on_hand)"])
def test_max_and_min_of_one_argument(text: str) -> None:
    assert parse_formula(text, FIELDS).evaluate(VALUES) == 5


@pytest.mark.parametrize("text", ["on_hand + max", "min"])
def test_a_function_name_used_as_a_value_is_refused(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(text, FIELDS)
