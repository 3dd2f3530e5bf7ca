"""The till's sales, read incrementally from a report of cumulative quantities. Pure.

EasyCashier has no receipt endpoint that is known; its sales report gives, for the days asked, the
quantity sold per article and store so far (`protocol.SALES_PATH`), negative for returns. What was
sold since the last look is the difference between two reads of the same day; across midnight in
Europe/Stockholm it is the rest of the day last looked at, plus each later day whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.easycashier import protocol as p
from connectors.easycashier.convert import number

Totals = dict[tuple[str, int], Decimal]  # (article number, store number) → quantity


@dataclass(frozen=True)
class Seen:
    """The report of `day` as last read."""

    day: date
    totals: Mapping[tuple[str, int], Decimal] = field(default_factory=dict)


def today(moment: datetime) -> date:
    """The day a moment falls on in Stockholm, the day the report counts in."""
    return moment.astimezone(p.TIMEZONE).date()


def days_to_read(seen: Seen | None, day: date) -> list[date]:
    """The days whose reports tell what was sold since `seen`, up to `day`."""
    if seen is None or seen.day >= day:
        return [day]
    return [seen.day + timedelta(days=n) for n in range((day - seen.day).days + 1)]


def totals(rows: Iterable[Mapping[str, Any]]) -> Totals:
    """A report's rows summed per article and store (store numbers come as text). A row naming no
    store raises ValueError: with several stores its sale cannot be put anywhere."""
    found: Totals = {}
    for row in rows:
        store = row.get(p.SALES_STORE)
        if store in (None, ""):
            raise ValueError(f"the sales report names no store for article {row.get(p.SALES_ARTICLE)}")
        key = (str(row[p.SALES_ARTICLE]), int(str(store)))
        found[key] = found.get(key, Decimal(0)) + (number(row.get(p.SALES_QUANTITY)) or Decimal(0))
    return found


def sold_since(seen: Seen | None, reports: Mapping[date, Totals]) -> tuple[Totals, Seen]:
    """What was sold (negative: returned) per article and store since `seen`, given the reports of
    `days_to_read`; and what is seen now. A first look sees and counts nothing."""
    last = max(reports)
    if seen is None:
        return {}, Seen(last, dict(reports[last]))
    sold: Totals = {}
    for day in sorted(reports):
        before = seen.totals if day == seen.day else {}
        for key in reports[day].keys() | before.keys():
            change = reports[day].get(key, Decimal(0)) - before.get(key, Decimal(0))
            if change:
                sold[key] = sold.get(key, Decimal(0)) + change
    return {key: q for key, q in sold.items() if q}, Seen(last, dict(reports[last]))
