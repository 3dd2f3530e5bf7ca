"""Entity rules a flow's settings switch on, applied to each mapped record before it is checked.

Stock sent as a formula over on hand / reserved / available, locations and price groups
translated through the spec's maps, order type, branch and employee filled in. A rule that decides
a record is not for this target raises `Skip` with the reason, which the plan shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.mapping.formula import parse_formula
from engine.records import Entity
from engine.spec.models import Flow

STOCK_FIELDS = ("available", "on_hand", "reserved")


@dataclass(frozen=True)
class Rule:
    """One rule: (mapped record, source record) → mapped record. `sets` names the fields it may set;
    a rule that only translates a field's value through a table (`translation`) says so, so the key
    a record maps to can be told from its own key before it is built (`engine.run.flow.FlowSetup`)."""

    sets: frozenset[str]
    apply: Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]]
    translation: Mapping[str, str] | None = field(default=None, compare=False)

    def __call__(self, record: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
        return self.apply(record, source)


class Skip(Exception):  # a decision, not an error
    """The record is deliberately left out of this target; `str()` says why."""


def rules_for(flow: Flow) -> list[Rule]:
    settings = flow.settings
    rules: list[Rule] = []
    if flow.entity is Entity.stock:
        if settings.location_map:
            rules.append(_translate("location", settings.location_map, "location"))
        if settings.stock_formula:
            formula = parse_formula(settings.stock_formula, STOCK_FIELDS)

            def available(record: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
                # over the source's quantities: the target may take only `available`
                values = {name: _decimal(source.get(name)) for name in STOCK_FIELDS}
                return {**record, "available": formula.evaluate(values)}

            rules.append(Rule(frozenset({"available"}), available))
        if settings.tracked is not None:
            rules.append(Rule(frozenset({"tracked"}), lambda record, source: {**record, "tracked": settings.tracked}))
    if flow.entity is Entity.price and settings.price_group_map:
        rules.append(_translate("price_group", settings.price_group_map, "price group"))
    if flow.entity is Entity.order:
        rules.extend(_order_rules(flow))
    if settings.prices_include_tax is not None and flow.entity in (Entity.product, Entity.order):
        included = settings.prices_include_tax
        rules.append(Rule(frozenset({"prices_include_tax"}),
                          lambda record, source: {**record, "prices_include_tax": included}))  # fmt: skip
    return rules


def _order_rules(flow: Flow) -> list[Rule]:
    settings = flow.settings
    missing: dict[str, Any] = {}  # filled in where the order has none
    if settings.branch:
        missing["branch"] = settings.branch
    if settings.employee_number is not None:
        missing["employee"] = str(settings.employee_number)
    rules: list[Rule] = []
    if settings.default_debtor:
        debtor = settings.default_debtor
        rules.append(Rule(frozenset({"customer_number"}), lambda record, source: (
            record if record.get("customer") else {**record, "customer_number": debtor})))  # fmt: skip
    if missing:
        rules.append(Rule(frozenset(missing), lambda record, source: (
            {**missing, **{k: v for k, v in record.items() if v is not None}})))  # fmt: skip
    if settings.order_type:
        order_type = settings.order_type
        rules.append(Rule(frozenset({"type"}), lambda record, source: {**record, "type": order_type}))
    return rules


def _translate(name: str, table: dict[str, str], label: str) -> Rule:
    def translate(record: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
        value = record.get(name)
        if str(value) not in table:
            raise Skip(f"{label} {value} is not in the flow's {name}_map")
        return {**record, name: table[str(value)]}

    return Rule(frozenset({name}), translate, table)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
