"""Numbers and amounts in CSV cells, as the file writes them.

The canonical layout writes `1234.5` and `29.95 EUR`. An ERP in most of Europe writes `1.234,50`
and `29,95`, leaving the currency out: `decimal: ","` reads and writes a decimal comma, with an
optional `.` between groups of three digits, and `currency` names the currency of an amount
written without one. A cell that is neither (`12,3,4`) is refused with what was expected; it is
never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_POINT = re.compile(r"-?\d+(\.\d+)?")
_COMMA = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
_MONEY = re.compile(r"(?P<amount>\S+?)(\s+(?P<currency>[A-Z]{3}))?")


@dataclass(frozen=True)
class Numbers:
    """How one file writes numbers: its decimal separator, and the currency amounts may leave out."""

    decimal: str = "."
    currency: str | None = None

    def number(self, cell: str) -> str:
        """A cell's number in canonical text (`1234.50`); ValueError saying what was expected."""
        text = cell.strip()
        pattern = _COMMA if self.decimal == "," else _POINT
        if not pattern.fullmatch(text):
            example = "1.234,50 or 1234,5" if self.decimal == "," else "1234.50"
            raise ValueError(f"'{cell}' is not a number; expected e.g. {example}")
        return text.replace(".", "").replace(",", ".") if self.decimal == "," else text

    def money(self, cell: str) -> dict[str, str]:
        """A cell's amount as money data (`{"amount": "29.95", "currency": "EUR"}`)."""
        match = _MONEY.fullmatch(cell.strip())
        example = "1.234,50 EUR" if self.decimal == "," else "1234.50 EUR"
        try:
            amount = self.number(match["amount"]) if match else None
        except ValueError:
            amount = None
        if match is None or amount is None:
            raise ValueError(f"'{cell}' is not an amount; expected e.g. {example}")
        currency = match["currency"] or self.currency
        if currency is None:
            raise ValueError(f"'{cell}' names no currency; write e.g. {example}, or set the system's currency")
        return {"amount": amount, "currency": currency}

    def write_number(self, value: Decimal | str) -> str:
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        return text.replace(".", ",") if self.decimal == "," else text

    def write_money(self, amount: Decimal | str, currency: str) -> str:
        number = self.write_number(amount)
        return number if currency == self.currency else f"{number} {currency}"
