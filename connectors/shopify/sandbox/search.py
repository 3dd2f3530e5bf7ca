"""The subset of Shopify's search syntax the sandbox understands.

`sku:1001 OR sku:1002`, `financial_status:paid source_name:pos`, `updated_at:>'2026-11-01T00:00:00Z'`:
terms are `field:value` (optionally with `>`, `>=`, `<`, `<=`, quotes around the value), joined by
AND (a space or the word) and OR. A field the record does not have never matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"""\s*(?:(OR|AND)\b|(-?)(\w+):(>=|<=|>|<)?('[^']*'|"[^"]*"|\S+))""")


def parse(query: str) -> list[list[tuple[bool, str, str, str]]]:
    """A query as OR-groups of AND-terms (negated, field, operator, value)."""
    groups: list[list[tuple[bool, str, str, str]]] = [[]]
    position = 0
    text = query.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot parse search query at {text[position:]!r}")
        position = match.end()
        if match.group(1) == "OR":
            groups.append([])
        elif match.group(1) is None:
            value = match.group(5).strip("'\"")
            groups[-1].append((match.group(2) == "-", match.group(3), match.group(4) or "=", value))
    return [group for group in groups if group]


def matches(query: str | None, fields: Mapping[str, Any]) -> bool:
    if not query:
        return True
    return any(all(_term(term, fields) for term in group) for group in parse(query))


def _term(term: tuple[bool, str, str, str], fields: Mapping[str, Any]) -> bool:
    negated, name, operator, wanted = term
    if name not in fields:
        return negated
    values = fields[name] if isinstance(fields[name], list | tuple) else [fields[name]]
    found = any(_compare(str(value), operator, wanted) for value in values if value is not None)
    return found != negated


def _compare(value: str, operator: str, wanted: str) -> bool:
    if operator == "=":
        return value.lower() == wanted.lower()
    a, b = (float(value), float(wanted)) if _numeric(value, wanted) else (value, wanted)
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[operator]  # type: ignore[operator]


def _numeric(*texts: str) -> bool:
    return all(re.fullmatch(r"-?\d+(\.\d+)?", text) for text in texts)
