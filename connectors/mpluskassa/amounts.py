"""MplusKASSA amounts: an integer and its number of decimal places (19.99 → 1999 with 2).

Converted exactly both ways, through Decimal; an amount with more decimals than allowed is refused
rather than rounded, since a till must never book a different price than was sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.errors import RecordError

MAX_PLACES = 6


def to_amount(value: Decimal, places: int | None = None) -> dict[str, int]:
    """`Decimal("19.99")` → `{"value": 1999, "decimalPlaces": 2}`; `places` fixes the scale."""
    exponent = value.normalize().as_tuple().exponent
    needed = max(-int(exponent), 0) if isinstance(exponent, int) else 0
    scale = needed if places is None else places
    if needed > scale or scale > MAX_PLACES:
        raise RecordError(f"{value} has more than {min(scale, MAX_PLACES)} decimal places")
    return {"value": int(value.scaleb(scale)), "decimalPlaces": scale}


def from_amount(data: Any) -> Decimal:
    """`{"value": "1999", "decimalPlaces": "2"}` → `Decimal("19.99")`."""
    if not isinstance(data, dict) or "value" not in data:
        raise ValueError(f"not an MplusKASSA amount: {data!r}")
    return Decimal(int(str(data["value"]))).scaleb(-int(str(data.get("decimalPlaces") or 0)))
