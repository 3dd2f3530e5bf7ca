"""Named transforms: the small pure functions mappings call by name.

Each is exposed to JMESPath by `engine.jmes`; here they are plain Python, tested on their own.
A transform that cannot do its job raises `RecordError`, so the record goes to dead letters with
the reason instead of reaching a target half-right.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.errors import RecordError
from engine.records import Money

CENT = Decimal("0.01")

# "Keizersgracht 123-A", "Hoofdstraat 5 bis", "Laan van Meerdervoort 12a", "Kerkstraat 12-2", "Plein 1944 3"
_STREET_LINE = re.compile(
    r"^(?P<street>.*?[^\d\s].*?)[\s,]+(?P<number>\d+)"
    r"(?:\s+(?:bus|bte|box)\s+(?P<box>[A-Za-z0-9]{1,6})"  # Belgian box numbers: "16 bus 3"
    r"|\s*[-/]\s*(?P<joined>[A-Za-z0-9]{1,6})|\s*(?P<letters>[A-Za-z]{1,4}\d?))?\s*$"
)


def split_street(line: str) -> dict[str, str | None]:
    """Split a street line into street, house number and suffix (Dutch/Belgian/German style).

    A line without a trailing number is returned whole as the street: the target decides whether
    a missing house number is acceptable.
    """
    text = " ".join(line.split())
    match = _STREET_LINE.match(text)
    if not match:
        return {"street": text or None, "house_number": None, "house_number_suffix": None}
    return {
        "street": match.group("street").rstrip(","),
        "house_number": match.group("number"),
        "house_number_suffix": match.group("box") or match.group("joined") or match.group("letters"),
    }


def numeric_sku(sku: str) -> str:
    """A SKU as a system that takes article numbers only (MplusKASSA) accepts it, or a record error."""
    text = sku.strip()
    if not text.isascii() or not text.isdigit():
        raise RecordError(f"SKU {sku!r} is not numeric; this system takes digits only", field="sku")
    return str(int(text))


def _rate(rate: Any) -> Decimal:
    try:
        value = Decimal(str(rate).strip().rstrip("%").strip())
    except InvalidOperation:
        raise RecordError(f"tax rate {rate!r} is not a number") from None
    if value.is_nan():
        raise RecordError(f"tax rate {rate!r} is not a number")
    if not 0 <= value < 100:
        raise RecordError(f"tax rate {rate!r} must be a percentage from 0 to 100")
    return value


def _money(price: Money | Mapping[str, Any] | str) -> Money:
    if isinstance(price, Money):
        return price
    try:
        return Money.model_validate(price)
    except ValueError as exc:
        raise RecordError(f"not a price: {price!r} ({exc.__class__.__name__})") from None


def price_excl_tax(price: Money | Mapping[str, Any] | str, rate: Any) -> Money:
    """A price including `rate`% tax, without it; rounded half up to the cent."""
    money = _money(price)
    amount = money.amount * 100 / (100 + _rate(rate))
    return Money(amount=amount.quantize(CENT, ROUND_HALF_UP), currency=money.currency)


def price_incl_tax(price: Money | Mapping[str, Any] | str, rate: Any) -> Money:
    """A price excluding `rate`% tax, with it; rounded half up to the cent."""
    money = _money(price)
    amount = money.amount * (100 + _rate(rate)) / 100
    return Money(amount=amount.quantize(CENT, ROUND_HALF_UP), currency=money.currency)


def value_map(table: Mapping[str, Any], name: str, value: Any, *default: Any) -> Any:
    """Look `value` up in the spec's value map `name`; a value it lacks is a record error unless a
    default is given. Keys are compared as text, so `1` and `"1"` match."""
    key = "" if value is None else str(value)
    if key in table:
        return table[key]
    if default:
        return default[0]
    known = ", ".join(repr(k) for k in sorted(table)) or "none"
    raise RecordError(f"value map '{name}' has no entry for {value!r} (known: {known})")
