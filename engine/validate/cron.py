"""Five-field cron expressions, checked with the column of the first mistake.

Schedules run in Dagster, which parses cron itself; this module only makes sure `validate` catches
a bad schedule in the spec, where it was written, instead of when the code location loads.
"""

from __future__ import annotations

import re

from engine.catalogue import choices

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(MONTHS, start=1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(WEEKDAYS)}),
)
ALIASES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
           "@annually": "0 0 1 1 *"}  # fmt: skip

_ITEM = re.compile(r"^(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>[^/]*))?$")


def cron_problem(expression: str) -> tuple[int, str] | None:
    """The (1-based column, message) of the first problem in `expression`, or None if it is valid."""
    text = expression.lower()
    if text.strip().startswith("@"):
        alias = text.strip()
        if alias in ALIASES:
            return None
        return 1, f"unknown schedule alias {expression.strip()!r}; {choices(alias, ALIASES)}"
    parts = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    if len(parts) != len(FIELDS):
        return 1, (f"a cron schedule has 5 fields (minute hour day-of-month month day-of-week), "
                   f"got {len(parts)}")  # fmt: skip
    for (start, part), (name, low, high, names) in zip(parts, FIELDS, strict=True):
        offset = 0
        for item in part.split(","):
            problem = _item_problem(item, name, low, high, names)
            if problem:
                return start + offset + 1, problem
            offset += len(item) + 1
    return None


def _item_problem(item: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    match = _ITEM.match(item)
    if not match:
        return f"{name} {item!r} is not a number, range, list or step"
    step = match.group("step")
    if step is not None and (not (step.isascii() and step.isdigit()) or int(step) == 0):
        return f"{name} step {step!r} must be a positive number"
    if match.group("range") == "*":
        return None
    bounds = []
    for value in match.group("range").split("-"):
        number = int(value) if value.isascii() and value.isdigit() else names.get(value)
        if number is None:
            return f"{name} {value!r} is not a number"
        if not low <= number <= high:
            return f"{name} {number} is out of range {low}-{high}"
        bounds.append(number)
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        return f"{name} range {item} runs backwards"
    return None
