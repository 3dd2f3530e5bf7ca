"""Shopify's calculated query cost and the leaky bucket it is drawn from.

Cost, as Shopify documents it: a scalar or enum field costs 0, an object 1, a connection 2 plus
`first` (or `last`) times the cost of one of its nodes, a mutation 10. The requested cost is
computed from the document before it runs; the actual cost from what came back (connections that
returned fewer nodes cost less), and the difference is refunded to the bucket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
MAX_QUERY_COST = 1000


@dataclass(frozen=True)
class Plan:
    """A store plan's GraphQL budget: bucket size and restore rate in points per second."""

    name: str
    bucket: float
    restore_rate: float


PLANS = {
    "standard": Plan("standard", 2000, 100),
    "advanced": Plan("advanced", 4000, 200),
    "plus": Plan("plus", 20000, 1000),
    "enterprise": Plan("enterprise", 40000, 2000),
}


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
) -> int:
    """The requested cost of `operation`, or its actual cost when given the `data` it returned."""
    if operation.operation is OperationType.MUTATION:
        root_fields = _fields(operation.selection_set, fragments)
        return MUTATION_COST * len(root_fields)
    walker = _Walker(schema, fragments, variables, actual=data is not None)
    root = schema.query_type
    assert root is not None
    return walker.selection(operation.selection_set, root, data)


@dataclass
class _Walker:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    actual: bool

    def selection(self, selection: SelectionSetNode, parent: Any, data: Any) -> int:
        total = 0
        for node in _fields(selection, self.fragments):
            name = node.name.value
            if name.startswith("__") or not hasattr(parent, "fields") or name not in parent.fields:
                continue
            definition = parent.fields[name]
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            key = node.alias.value if node.alias else name
            value = data.get(key) if isinstance(data, Mapping) else None
            if self.actual and value is None:
                continue
            total += self.field(node, named, value)
        return total

    def field(self, node: FieldNode, named: Any, value: Any) -> int:
        if named.name.endswith("Connection") and node.selection_set is not None:
            size = self._page_size(node) if not self.actual else _returned(value)
            inner = 0
            for child in _fields(node.selection_set, self.fragments):
                if child.name.value in ("nodes", "edges") and child.selection_set is not None:
                    child_type = get_named_type(named.fields[child.name.value].type)
                    items = (value or {}).get(child.alias.value if child.alias else child.name.value) or [None]
                    inner = max(inner, self.selection(child.selection_set, child_type, items[0]) + 1)
            return 2 + size * inner
        if node.selection_set is None:
            return 1
        if isinstance(value, list):
            return 1 + max((self.selection(node.selection_set, _concrete(named), v) for v in value), default=0)
        return 1 + self.selection(node.selection_set, _concrete(named), value)

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = value_from_ast_untyped(argument.value, dict(self.variables))
                return int(value or 0)
        return 1


def _concrete(named: Any) -> Any:
    return named if isinstance(named, GraphQLObjectType) or hasattr(named, "fields") else None


def _returned(value: Any) -> int:
    if not isinstance(value, Mapping):
        return 0
    items = value.get("nodes") if value.get("nodes") is not None else value.get("edges")
    return len(items or [])


def _fields(selection: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]) -> list[FieldNode]:
    out: list[FieldNode] = []
    for node in selection.selections:
        if isinstance(node, FieldNode):
            out.append(node)
        elif isinstance(node, FragmentSpreadNode):
            out += _fields(fragments[node.name.value].selection_set, fragments)
        elif isinstance(node, InlineFragmentNode):
            out += _fields(node.selection_set, fragments)
    return out


@dataclass
class Bucket:
    """A leaky bucket of cost points: full at the start, refilled at the plan's restore rate."""

    plan: Plan
    clock: Callable[[], float] = time.monotonic
    level: float = field(init=False)
    stamp: float = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.level, self.stamp = self.plan.bucket, self.clock()

    def available(self) -> float:
        with self.lock:
            return self._refill()

    def _refill(self) -> float:
        now = self.clock()
        self.level = min(self.plan.bucket, self.level + (now - self.stamp) * self.plan.restore_rate)
        self.stamp = now
        return self.level

    def take(self, cost: float) -> bool:
        with self.lock:
            if self._refill() < cost:
                return False
            self.level -= cost
            return True

    def refund(self, points: float) -> None:
        with self.lock:
            self._refill()
            self.level = min(self.plan.bucket, self.level + max(points, 0))

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": float(self.plan.bucket),
            "currentlyAvailable": float(int(self.available())),
            "restoreRate": float(self.plan.restore_rate),
        }
