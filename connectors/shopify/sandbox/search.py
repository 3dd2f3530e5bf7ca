"""The subset of Shopify's search syntax the sandbox understands.

`sku:1001 OR sku:1002`, `financial_status:paid source_name:pos`,
`(financial_status:paid OR financial_status:authorized) AND updated_at:>'2026-11-01T00:00:00Z'`:
terms are `field:value` (with `>`, `>=`, `<`, `<=`, a leading `-` to negate, quotes around the
value), joined by AND (a space or the word) and OR, grouped with parentheses; AND binds tighter.
A field the record does not have never matches. A query is compiled once; an OR of plain terms on
one field (`sku:1 OR sku:2 …`) becomes one set lookup, as an index would answer it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"""\s*(?:(\()|(\))|(OR|AND)(?=[\s(]|$)|(-?)(\w+):(>=|<=|>|<)?('[^']*'|"[^"]*"|[^\s()]+))""")

Matcher = Callable[[Mapping[str, Any]], bool]


def matches(query: str | None, fields: Mapping[str, Any]) -> bool:
    if not query or not query.strip():
        return True
    return compile_query(query)(fields)


@lru_cache(maxsize=256)
def compile_query(query: str) -> Matcher:
    tokens = _tokens(query)
    alternatives = _equalities(tokens)
    if alternatives is not None:
        return _one_of(*alternatives)
    matcher, rest = _or(tokens)
    if rest:
        raise ValueError(f"cannot parse search query near {rest[0]!r}")
    return matcher


def _equalities(tokens: list[Any]) -> tuple[str, frozenset[str]] | None:
    """(field, values) when the query is `field:a OR field:b …`, plain terms on one field; else None."""
    terms, words = tokens[0::2], tokens[1::2]
    if any(word != "OR" for word in words) or len(tokens) % 2 == 0:
        return None
    if not all(isinstance(t, tuple) and not t[0] and t[2] == "=" for t in terms):
        return None
    if len({t[1] for t in terms}) != 1:
        return None
    return terms[0][1], frozenset(t[3].lower() for t in terms)


def _one_of(name: str, wanted: frozenset[str]) -> Matcher:
    def matcher(fields: Mapping[str, Any]) -> bool:
        value = fields.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        return any(str(v).lower() in wanted for v in values if v is not None)

    return matcher


def _tokens(query: str) -> list[Any]:
    tokens: list[Any] = []
    position, text = 0, query.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ValueError(f"cannot parse search query at {text[position:]!r}")
        position = match.end()
        opening, closing, word, negated, name, operator, value = match.groups()
        if opening or closing or word:
            tokens.append(opening or closing or word)
        else:
            tokens.append((negated == "-", name, operator or "=", value.strip("'\"")))
    return tokens


def _or(tokens: list[Any]) -> tuple[Matcher, list[Any]]:
    left, rest = _and(tokens)
    while rest and rest[0] == "OR":
        right, rest = _and(rest[1:])
        left = (lambda a, b: lambda f: a(f) or b(f))(left, right)
    return left, rest


def _and(tokens: list[Any]) -> tuple[Matcher, list[Any]]:
    left, rest = _factor(tokens)
    while rest and rest[0] not in ("OR", ")"):
        if rest[0] == "AND":
            rest = rest[1:]
        right, rest = _factor(rest)
        left = (lambda a, b: lambda f: a(f) and b(f))(left, right)
    return left, rest


def _factor(tokens: list[Any]) -> tuple[Matcher, list[Any]]:
    if not tokens:
        raise ValueError("the search query ends too early")
    head, rest = tokens[0], tokens[1:]
    if head == "(":
        inner, rest = _or(rest)
        if not rest or rest[0] != ")":
            raise ValueError("a parenthesis in the search query is not closed")
        return inner, rest[1:]
    if isinstance(head, tuple):
        return (lambda term: lambda fields: _term(term, fields))(head), rest
    raise ValueError(f"unexpected {head!r} in the search query")


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
