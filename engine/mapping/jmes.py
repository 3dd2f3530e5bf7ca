"""JMESPath as Tillsync uses it: compiled once, checked statically, extended with transforms.

Mappings and status filters are JMESPath. Named transforms are JMESPath functions, so a mapping
reads `street: split_street(billing_address.street).street` or
`payment_method: value_map('payment_methods', payment_method)`. `check()` finds, without running
anything, where an expression fails to parse, which functions it calls that do not exist (or with
the wrong number of arguments), and which source fields it reads, so `validate` can check them
against the connector's field catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jmespath
from jmespath import exceptions as jexc
from jmespath import functions as jfun
from jmespath.parser import ParsedResult, Parser
from jmespath.visitor import TreeInterpreter

from engine.catalogue import suggest
from engine.errors import RecordError
from engine.mapping import transforms


class _Functions(jfun.Functions):
    """JMESPath's built-ins plus Tillsync's transforms; value maps bound per spec."""

    def __init__(self, value_maps: Mapping[str, Mapping[str, str | int]] | None = None) -> None:
        super().__init__()
        self.value_maps = value_maps or {}

    def _get_allowed_pytypes(self, types: Any) -> Any:
        # Canonical records carry Decimal; JMESPath only knows float and int as numbers.
        allowed, subtypes = super()._get_allowed_pytypes(types)  # type: ignore[misc]
        if "float" in allowed:
            allowed = [*allowed, "Decimal"]
        return allowed, subtypes

    @jfun.signature({"types": ["string"]})
    def _func_split_street(self, line: str) -> dict[str, str | None]:
        return transforms.split_street(line)

    @jfun.signature({"types": ["string", "number"]})
    def _func_numeric_sku(self, sku: str | int) -> str:
        return transforms.numeric_sku(str(sku))

    @jfun.signature({"types": ["object"]}, {"types": ["number", "string"]})
    def _func_price_excl_tax(self, price: Mapping[str, Any], rate: Any) -> dict[str, Any]:
        return transforms.price_excl_tax(price, rate).model_dump()

    @jfun.signature({"types": ["object"]}, {"types": ["number", "string"]})
    def _func_price_incl_tax(self, price: Mapping[str, Any], rate: Any) -> dict[str, Any]:
        return transforms.price_incl_tax(price, rate).model_dump()

    @jfun.signature({"types": ["number", "string"]}, {"types": ["string"]})
    def _func_money(self, amount: Any, currency: str) -> dict[str, Any]:
        return {"amount": Decimal(str(amount)), "currency": currency}

    @jfun.signature({"types": ["string"]}, {"types": [], "variadic": True})
    def _func_value_map(self, name: str, *value_and_default: Any) -> Any:
        """value_map(name, value) or value_map(name, value, default)."""
        if len(value_and_default) > 2:
            raise RecordError(f"value_map() takes 2 or 3 arguments, got {len(value_and_default) + 1}")
        table = self.value_maps.get(name)
        if table is None:
            raise RecordError(f"value map '{name}' is not declared in the spec's value_maps")
        return transforms.value_map(table, name, *value_and_default)

    @jfun.signature({"types": ["string", "null"]})
    def _func_lower(self, text: str | None) -> str | None:
        return text.lower() if text is not None else None

    @jfun.signature({"types": ["string", "null"]})
    def _func_upper(self, text: str | None) -> str | None:
        return text.upper() if text is not None else None

    @jfun.signature({"types": ["string", "null"]})
    def _func_trim(self, text: str | None) -> str | None:
        return text.strip() if text is not None else None


def _arity_table() -> dict[str, tuple[int, int | None]]:
    table: dict[str, tuple[int, int | None]] = {}
    for name, spec in _Functions().FUNCTION_TABLE.items():
        signature = spec["signature"]
        required = sum(1 for arg in signature if not arg.get("optional") and not arg.get("variadic"))
        variadic = any(arg.get("variadic") for arg in signature)
        table[name] = (required, None if variadic else len(signature))
    table["value_map"] = (2, 3)
    return table


FUNCTIONS: dict[str, tuple[int, int | None]] = _arity_table()
TRANSFORMS = ("split_street", "numeric_sku", "price_excl_tax", "price_incl_tax", "money",
              "value_map", "lower", "upper", "trim")  # fmt: skip


MAX_CHARS = 2_000  # a long mapping expression is 200 characters
MAX_DEPTH = 48  # nesting of the parsed expression; a real one nests a handful deep


class TooComplex(ValueError):
    """An expression too long or too deeply nested to parse and evaluate safely."""


def parse(expression: str) -> ParsedResult:
    """Parse one expression, refusing one longer than `MAX_CHARS` or nested deeper than `MAX_DEPTH`:
    JMESPath's parser and interpreter recurse once per level and would run out of stack."""
    if len(expression) > MAX_CHARS:
        raise TooComplex(f"expression of {len(expression):,} characters; at most {MAX_CHARS:,}")
    try:
        parsed = Parser().parse(expression)
    except RecursionError:
        raise TooComplex(f"expression nested more than {MAX_DEPTH} levels deep") from None
    pending = [(parsed.parsed, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise TooComplex(f"expression nested more than {MAX_DEPTH} levels deep")
        pending.extend((child, depth + 1) for child in node.get("children", ()) if isinstance(child, dict))
    return parsed


@dataclass(frozen=True)
class Problem:
    """A static problem in an expression; `column` is 1-based within the expression text."""

    column: int
    message: str


@dataclass(frozen=True)
class Analysis:
    """What `check` learned about an expression."""

    problems: tuple[Problem, ...] = ()
    fields: tuple[tuple[str, ...], ...] = ()  # source field paths read from the record root
    value_maps: tuple[str, ...] = ()  # value map names passed to value_map()


def check(expression: str) -> Analysis:
    """Parse `expression` and report problems and the fields it reads, without evaluating it."""
    if not expression.strip():
        return Analysis(problems=(Problem(1, "empty JMESPath expression; name a field, or use null to map nothing"),))
    try:
        ast = parse(expression).parsed
    except TooComplex as exc:
        return Analysis(problems=(Problem(1, str(exc)),))
    except jexc.ParseError as exc:
        position = exc.lex_position if isinstance(exc.lex_position, int) else 0
        detail = (
            "incomplete expression"
            if isinstance(exc, jexc.IncompleteExpressionError)
            else (f"unexpected {exc.token_value!r}" if exc.token_value else "syntax error")
        )
        if isinstance(exc, jexc.LexerError):
            detail = _lexer_detail(exc.token_value or "")
        return Analysis(problems=(Problem(position + 1, f"invalid JMESPath: {detail}"),))
    walker = _Walker(expression)
    walker.walk(dict(ast), ())
    return Analysis(tuple(walker.problems), tuple(dict.fromkeys(walker.fields)), tuple(walker.maps))


def _lexer_detail(token: str) -> str:
    """What the lexer could not read, with the usual cause."""
    if token == "=":
        return "unknown token '='; compare with == (or !=, <, <=, >, >=)"
    if token[:1] in ("'", '"', "`"):
        closing = {"'": "raw string", '"': "quoted field name", "`": "literal"}[token[0]]
        return f"a {closing} opened with {token[0]} is never closed"
    return f"unknown token {token!r}" if token else "syntax error"


@dataclass
class _Walker:
    text: str
    problems: list[Problem] = field(default_factory=list)
    fields: list[tuple[str, ...]] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)

    def walk(self, node: dict[str, Any], context: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """Visit `node` evaluated against `context` (a field path, None when unknown).

        Returns the field path the node evaluates to, when it is a plain path.
        """
        kind, children = node["type"], node.get("children", [])
        if kind == "field":
            if context is None:
                return None
            path = (*context, node["value"])
            self.fields.append(path)
            return path
        if kind in ("subexpression", "index_expression"):
            left = self.walk(children[0], context)
            return self.walk(children[1], left) if kind == "subexpression" else left
        if kind in ("projection", "value_projection", "filter_projection", "pipe"):
            left = self.walk(children[0], context)
            inner = left if kind != "value_projection" else None
            if kind == "filter_projection":
                self.walk(children[2], inner)
            self.walk(children[1], inner)
            return None
        if kind == "flatten":
            return self.walk(children[0], context)
        if kind == "function_expression":
            self._function(node, context)
            return None
        if kind in ("identity", "current"):
            return context
        for child in children:
            self.walk(child, context if kind != "expref" else None)
        return None

    def _function(self, node: dict[str, Any], context: tuple[str, ...] | None) -> None:
        name, args = node["value"], node.get("children", [])
        nth = self.calls.get(name, 0)  # calls are visited in the order they are written
        self.calls[name] = nth + 1
        found = list(re.finditer(rf"\b{re.escape(name)}\s*\(", self.text))
        column = found[nth].start() + 1 if nth < len(found) else 1
        arity = FUNCTIONS.get(name)
        if arity is None:
            known = ", ".join(sorted(TRANSFORMS))
            near = suggest(name, FUNCTIONS)
            hint = f"; did you mean {near}()?" if near else ""
            self.problems.append(Problem(column, f"unknown function {name}(){hint} (transforms: {known})"))
        else:
            least, most = arity
            if len(args) < least or (most is not None and len(args) > most):
                expected = str(least) if least == most else f"{least} to {most}" if most else f"{least}+"
                self.problems.append(Problem(column, f"{name}() takes {expected} arguments, got {len(args)}"))
        if name == "value_map" and args and args[0]["type"] == "literal":
            self.maps.append(str(args[0]["value"]))
        for arg in args:
            self.walk(arg, context)


@dataclass(frozen=True)
class Expression:
    """A compiled expression with the spec's value maps bound; evaluate with `search`."""

    text: str
    compiled: ParsedResult
    # `ParsedResult.search` builds an interpreter per call; it keeps no state between calls, so one
    # is shared (a mapping evaluates a dozen expressions per record).
    interpreter: TreeInterpreter

    def search(self, record: Mapping[str, Any]) -> Any:
        try:
            return self.interpreter.visit(self.compiled.parsed, record)
        except jexc.JMESPathError as exc:
            raise RecordError(f"{self.text}: {exc}") from None


def reads_whole(expression: Expression) -> bool:
    """Whether an expression may take the record it runs against as a whole (`@`, `*`, `keys(@)`)
    rather than only field by field, so it must be given every field."""
    return _whole(dict(expression.compiled.parsed), at_root=True)


_ITERATED = ("projection", "value_projection", "filter_projection", "flatten", "index_expression", "slice")


def _whole(node: dict[str, Any], at_root: bool) -> bool:
    kind, children = node["type"], [child for child in node.get("children", []) if isinstance(child, dict)]
    if kind == "field" or kind == "expref":  # a field read by name; an expref runs on items, never the record
        return False
    if kind in ("current", "identity"):
        return at_root
    if kind in ("subexpression", "pipe"):
        left, right = children
        return _whole(left, at_root) or _whole(right, at_root and _is_current(left))
    if kind in _ITERATED:  # the first child is iterated or indexed; the rest run on its items
        first = children[0]
        return _whole(first, at_root) or (at_root and _is_current(first))
    return any(_whole(child, at_root) for child in children)


def _is_current(node: dict[str, Any]) -> bool:
    return node["type"] in ("current", "identity")


def compiler(value_maps: Mapping[str, Mapping[str, str | int]]) -> Callable[[str], Expression]:
    """A function that compiles expressions against one spec's value maps."""
    interpreter = TreeInterpreter(jmespath.Options(custom_functions=_Functions(value_maps)))

    def compile_expression(text: str) -> Expression:
        return Expression(text, parse(text), interpreter)

    return compile_expression
