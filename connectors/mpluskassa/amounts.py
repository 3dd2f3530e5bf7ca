"""MplusKASSA amounts: integers. A quantity travels with its number of decimal places beside it
(2.5 → `amount` 2500, `decimalPlaces` 3); a price travels in cents, with no places beside it
(19.99 → 1999; see `protocol`).

Converted exactly both ways, through Decimal; an amount with more decimals than allowed is refused
rather than rounded, since a till must never book a different price than was sent.
"""

from __future__ import annotations

from decimal import Decimal

from engine.errors import RecordError

MAX_PLACES = 6
PRICE_PLACES = 2  # prices (priceIncl, LineData.price, Payment.amount, totals) are in cents


def to_amount(value: Decimal, places: int | None = None) -> tuple[int, int]:
    """`Decimal("2.5")` → `(25, 1)`, or `(2500, 3)` with `places=3`: the integer and its places."""
    exponent = value.normalize().as_tuple().exponent
    needed = max(-int(exponent), 0) if isinstance(exponent, int) else 0
    scale = needed if places is None else places
    if needed > scale or scale > MAX_PLACES:
        raise RecordError(f"{value} has more than {min(scale, MAX_PLACES)} decimal places")
    return int(value.scaleb(scale)), scale


def from_amount(number: int, places: int | None = 0) -> Decimal:
    """`(2500, 3)` → `Decimal("2.5")`."""
    return Decimal(int(number)).scaleb(-int(places or 0))


def to_cents(value: Decimal) -> int:
    """`Decimal("19.99")` → 1999; more than two decimals is refused."""
    return to_amount(value, PRICE_PLACES)[0]


def from_cents(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-PRICE_PLACES)
