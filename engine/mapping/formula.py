"""Small arithmetic formulas over named fields, e.g. a stock formula `max(on_hand - reserved, 0)`.

Parsed with Python's own parser and then whitelisted node by node: numbers, the named fields,
+ - * /, parentheses, and min()/max(). Nothing else is evaluated, so a spec cannot run code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from engine.catalogue import choices
from engine.errors import RecordError

_FUNCTIONS: dict[str, Callable[..., Decimal]] = {"max": lambda *values: max(values), "min": lambda *values: min(values)}
_OPERATORS: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class FormulaError(ValueError):
    """A formula that cannot be used; `column` is 1-based within the formula text."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, values: Mapping[str, Decimal | int | None]) -> Decimal:
        """The formula's value for one record; a missing field is a record error."""
        return _evaluate(self.tree, values)


def parse_formula(text: str, allowed_names: Iterable[str]) -> Formula:
    allowed = tuple(allowed_names)
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        indent = len(text) - len(text.lstrip())
        raise FormulaError((exc.offset or 1) + indent, f"invalid formula: {exc.msg}") from None
    indent = len(text) - len(text.lstrip())
    names: set[str] = set()
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _FUNCTIONS and id(node) not in called:
            raise FormulaError(node.col_offset + indent + 1, f"{node.id} is a function; call it: {node.id}(a, b)")
        _check_node(node, allowed, indent, names)
    return Formula(text, tree, frozenset(names))


def _check_node(node: ast.AST, allowed: tuple[str, ...], indent: int, names: set[str]) -> None:
    column = getattr(node, "col_offset", 0) + indent + 1
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise FormulaError(column, f"only {' and '.join(sorted(_FUNCTIONS))}() may be called")
        if node.keywords or not node.args:
            raise FormulaError(column, f"{node.func.id}() takes one or more plain arguments")
        names.discard(node.func.id)
    elif isinstance(node, ast.Name):
        if node.id in _FUNCTIONS:
            return
        if node.id not in allowed:
            raise FormulaError(column, f"unknown field '{node.id}'; {choices(node.id, allowed)}")
        names.add(node.id)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(column, f"only numbers may appear as constants, not {node.value!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            raise FormulaError(column, "only + - * / are allowed")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise FormulaError(column, "only + - * / are allowed")
    elif not isinstance(node, ast.Load | ast.operator | ast.unaryop):
        raise FormulaError(column, f"{type(node).__name__.lower()} is not allowed in a formula")


def _evaluate(node: ast.expr, values: Mapping[str, Decimal | int | None]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        if value is None:
            raise RecordError(f"formula needs '{node.id}', which this record does not have", node.id)
        return Decimal(value)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if isinstance(node.op, ast.Div) and right == 0:
            raise RecordError("formula divides by zero")
        return _OPERATORS[type(node.op)](left, right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return _FUNCTIONS[node.func.id](*(_evaluate(arg, values) for arg in node.args))
