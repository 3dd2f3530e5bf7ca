"""Cron schedules are checked where they are written, with the column of the mistake."""

from __future__ import annotations

import pytest

from engine.validate.cron import cron_problem


@pytest.mark.parametrize(
    "expression",
    [
        "*/15 * * * *",
        "0 9-17 * * mon-fri",
        "0 0 1 jan *",
        "@daily",
        "5,35 * * * *",
        "* * * * *",
        "0 0 * * 7",
        "0 0 * * 0",
        "59 23 31 12 6",
        "0 0 1 1 *",
        "0-59/5 * * * *",
        "5/15 * * * *",
        "0 9-17/2 * * 1-5",
        "0 0 1,15 * *",
        "0 0 1 jan-mar,oct *",
        "0 0 * * sun,sat",
        "0 9 * * MON-FRI",
        "0 0 1 JAN *",
        "00 09 * * *",
        "  0 0 * * *  ",
        "0\t0 * * *",
    ],
)
def test_valid_schedules(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    "alias", ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually", " @DAILY "]
)
def test_aliases(alias: str) -> None:
    assert cron_problem(alias) is None


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        # out of range, per field
        ("0 25 * * *", 3, "hour 25 is out of range 0-23"),
        ("60 * * * *", 1, "minute 60 is out of range 0-59"),
        ("0 0 0 * *", 5, "day of month 0 is out of range 1-31"),
        ("0 0 32 * *", 5, "day of month 32 is out of range 1-31"),
        ("0 0 * 13 *", 7, "month 13 is out of range 1-12"),
        ("0 0 * * 8", 9, "day of week 8 is out of range 0-7"),
        ("0 9-24 * * *", 3, "hour 24 is out of range 0-23"),
        # steps
        ("*/0 * * * *", 1, "minute step '0' must be a positive number"),
        ("1-5/0 * * * *", 1, "minute step '0' must be a positive number"),
        ("*/x * * * *", 1, "minute step 'x' must be a positive number"),
        ("*/ * * * *", 1, "minute step '' must be a positive number"),
        ("0 */-1 * * *", 3, "hour step '-1' must be a positive number"),
        # backwards ranges
        ("0 17-9 * * *", 3, "hour range 17-9 runs backwards"),
        ("0 0 * * fri-mon", 9, "day of week range fri-mon runs backwards"),
        # names where they do not belong, and things that are not numbers
        ("0 0 * * funday", 9, "day of week 'funday' is not a number"),
        ("0 0 * * jan", 9, "day of week 'jan' is not a number"),
        ("mon 0 * * *", 1, "minute 'mon' is not a number"),
        ("0 0 * foo *", 7, "month 'foo' is not a number"),
        ("? * * * *", 1, "minute '?' is not a number, range, list or step"),
        ("1-2-3 * * * *", 1, "minute '1-2-3' is not a number, range, list or step"),
        # lists: the column is the bad item's
        ("5,x7 * * * *", 3, "minute 'x7' is not a number"),
        ("5,35,61 * * * *", 6, "minute 61 is out of range 0-59"),
        ("0 9,25 * * *", 5, "hour 25 is out of range 0-23"),
        ("5,,7 * * * *", 3, "minute '' is not a number, range, list or step"),
        ("0 0 1,15,40 * *", 10, "day of month 40 is out of range 1-31"),
        ("0 0 * * mon,fri-tue", 13, "day of week range fri-tue runs backwards"),
        # leading whitespace counts towards the column
        ("  0 25 * * *", 5, "hour 25 is out of range 0-23"),
        # aliases
        ("@fortnightly", 1, "known: @hourly, @daily"),
        ("@daily extra", 1, "unknown schedule alias '@daily extra'"),
    ],
)
def test_invalid_schedules_say_where(expression: str, column: int, message: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None
    assert problem[0] == column
    assert message in problem[1]


@pytest.mark.parametrize(
    ("expression", "count"),
    [("", 0), ("* * *", 3), ("0 0 * *", 4), ("0 0 * * * *", 6), ("0 0 0 * * * 2030", 7)],
)
def test_wrong_field_count(expression: str, count: int) -> None:
    assert cron_problem(expression) == (
        1,
        f"a cron schedule has 5 fields (minute hour day-of-month month day-of-week), got {count}",
    )


def test_the_first_problem_is_reported() -> None:
    assert cron_problem("99 99 * * *") == (1, "minute 99 is out of range 0-59")


@pytest.mark.parametrize("expression", ["*/² * * * *", "0 */³ * * *"])
def test_a_superscript_step_is_a_problem_not_a_crash(expression: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None
    assert "step" in problem[1]
