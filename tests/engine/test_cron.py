"""Cron schedules are checked where they are written, with the column of the mistake."""

from __future__ import annotations

import pytest

from engine.cron import cron_problem


@pytest.mark.parametrize(
    "expression", ["*/15 * * * *", "0 9-17 * * mon-fri", "0 0 1 jan *", "@daily", "5,35 * * * *", "0 0 * * 7"]
)
def test_valid_schedules(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        ("0 25 * * *", 3, "hour 25 is out of range 0-23"),
        ("* * *", 1, "a cron schedule has 5 fields"),
        ("*/0 * * * *", 1, "minute step '0' must be a positive number"),
        ("0 17-9 * * *", 3, "hour range 17-9 runs backwards"),
        ("@fortnightly", 1, "unknown schedule alias '@fortnightly'"),
        ("5,x7 * * * *", 3, "minute 'x7' is not a number"),
        ("0 0 32 * *", 5, "day of month 32 is out of range 1-31"),
        ("0 0 * * funday", 9, "day of week 'funday' is not a number"),
    ],
)
def test_invalid_schedules_say_where(expression: str, column: int, message: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None
    assert problem[0] == column and message in problem[1]
