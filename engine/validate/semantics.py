"""Semantic checks of an integration: everything JSON Schema cannot know.

Runs after the document has the right shape. Needs no network: connectors are consulted through
their declared catalogues only. Every problem is collected, each located in the YAML file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.catalogue import Catalogue, choices, lookup
from engine.connector import Connector
from engine.errors import Diagnostic
from engine.mapping import jmes
from engine.mapping.formula import FormulaError, parse_formula
from engine.mapping.mapper import effective_mapping
from engine.records import KEYS, Entity
from engine.spec.models import DeletePolicy, Direction, Flow, Integration
from engine.spec.yamlsource import Locator
from engine.validate import cron

STOCK_FIELDS = ("available", "on_hand", "reserved")
_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "private_key", "access_key")
# Flow settings that only mean something for one entity; elsewhere they are a mistake.
_SETTINGS_FOR = {
    "stock": ("stock_formula", "location_map", "tracked", "compare_quantities"),
    "order": ("default_debtor", "employee_number", "branch", "order_type"),
    "price": ("price_group_map",),
    "product": ("variants_as_products",),
}


class Checker:
    """Collects the diagnostics of one integration."""

    def __init__(self, integration: Integration, source: Locator, connectors: Mapping[str, Connector]) -> None:
        self.integration = integration
        self.source = source
        self.connectors = connectors
        self.diagnostics: list[Diagnostic] = []

    def error(self, path: Sequence[str | int], message: str, prefer_key: bool = True) -> None:
        self.diagnostics.append(self.source.diagnostic(path, message, prefer_key))

    def error_in_value(self, path: Sequence[str | int], column: int, message: str) -> None:
        """An error at `column` (1-based) inside the scalar at `path`."""
        self.diagnostics.append(self.source.value_diagnostic(path, column, message))

    def connector(self, system: str) -> Connector | None:
        spec = self.integration.systems.get(system)
        return self.connectors.get(spec.connector) if spec else None


def check_integration(
    integration: Integration, source: Locator, connectors: Mapping[str, Connector], *, complete: bool = False
) -> list[Diagnostic]:
    """Every semantic problem of `integration`.

    A spec file alone may leave out required connector settings and credentials: an environment
    can supply them. `complete` is for an integration with its environment laid over it, where
    whatever is still missing is a problem.
    """
    checker = Checker(integration, source, connectors)
    for name, system in integration.systems.items():
        _check_system(checker, name, system.connector, system.settings, complete)
    for name, flow in integration.flows.items():
        _check_flow(checker, name, flow)
    _check_variant_masters(checker)
    return checker.diagnostics


def _check_system(
    checker: Checker,
    name: str,
    connector_name: str,
    spec_settings: Mapping[str, Any],
    complete: bool,
) -> None:
    path = ("systems", name)
    connector = checker.connectors.get(connector_name)
    if connector is None:
        known = choices(connector_name, sorted(checker.connectors))
        checker.error((*path, "connector"), f"unknown connector '{connector_name}'; {known}", False)
        return
    for key in spec_settings:
        if any(word in key.lower() for word in _SECRET_WORDS):
            checker.error(
                (*path, "settings", key),
                f"'{key}' looks like a secret; put it under credentials as env:NAME",
            )
    for loc, message in settings_problems(connector, spec_settings, partial=not complete):
        checker.error((*path, "settings", *loc), message)
    credentials = checker.integration.systems[name].credentials
    for key in credentials:
        if key not in (*connector.credentials, *connector.optional_credentials):
            known = choices(key, (*connector.credentials, *connector.optional_credentials))
            checker.error((*path, "credentials", key), f"{connector.name} takes no credential '{key}'; {known}")
    for key in connector.credentials if complete else ():
        if key not in credentials:
            message = f"system '{name}' ({connector.name}) needs credential '{key}' as env:NAME"
            checker.error((*path, "credentials"), message)


def settings_problems(
    connector: Connector, values: Mapping[str, Any], *, partial: bool
) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems of a system's settings, each with its path below `settings`.

    `partial` leaves out missing required settings, which an environment may still supply.
    """
    try:
        connector.settings.model_validate(values)
    except ValidationError as exc:
        return [
            (tuple(part for part in err["loc"] if part != "[key]"), _settings_message(err, connector))
            for err in exc.errors()
            if not (partial and err["type"] == "missing")
        ]
    return []


def _settings_message(err: Any, connector: Connector) -> str:
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        return (
            f"unknown setting for {connector.name}; {choices(name, _settings_at(connector.settings, err['loc'][:-1]))}"
        )
    if err["type"] == "missing":
        return f"required setting of {connector.name} is missing; set it in the spec or in the environment"
    return str(err["msg"])


def _settings_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The settings a nested settings model at `loc` takes (`columns: {product: …}`)."""
    for part in loc:
        field = model.model_fields.get(str(part))
        inner = field.annotation if field is not None else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model = inner
    return list(model.model_fields)


def _check_flow(checker: Checker, name: str, flow: Flow) -> None:
    path: tuple[str | int, ...] = ("flows", name)
    systems = checker.integration.systems
    for role, system in (("from", flow.source), ("to", flow.target)):
        if system not in systems:
            known = choices(system, systems, label="defined")
            checker.error((*path, role), f"unknown system '{system}'; {known}", False)
    if flow.source == flow.target:
        checker.error((*path, "to"), "a flow cannot copy a system onto itself", False)
    _check_master(checker, path, flow)
    source, target = checker.connector(flow.source), checker.connector(flow.target)
    if source is None or target is None:
        return
    two_way = flow.direction is Direction.two_way
    readable = _supports(checker, path, "from", source, flow, read=True, write=two_way)
    writable = _supports(checker, path, "to", target, flow, read=two_way, write=True)
    if not (readable and writable):
        return
    source_fields = source.read_catalogue(flow.entity, checker.integration.systems[flow.source].settings)
    target_fields = target.entities[flow.entity].catalogue
    _check_match(checker, path, flow, source_fields, target_fields, target.name)
    _check_filters(checker, path, flow, source, source_fields)
    _check_mapping(checker, path, flow, source, target, source_fields, target_fields)
    if flow.delete is DeletePolicy.archive and "status" not in target_fields:
        checker.error(
            (*path, "delete"),
            f"{target.name} {flow.entity.value} records have no status to archive; use delete: delete or never",
        )
    if flow.trigger and flow.trigger.schedule and (problem := cron.cron_problem(flow.trigger.schedule)):
        checker.error_in_value((*path, "trigger", "schedule"), problem[0], problem[1])
    _check_settings(checker, path, flow)


def _check_variant_masters(checker: Checker) -> None:
    """A system that keeps no variants (Rackbeat's items) cannot be master of the products of one
    whose products another flow takes in variant by variant: it would make each of those items a
    product of its own there, beside the product it came from."""
    flows = checker.integration.flows
    splitting = {
        (flow.source, flow.target): name
        for name, flow in flows.items()
        if flow.entity is Entity.product and flow.settings.variants_as_products
    }
    for name, flow in flows.items():
        source = checker.connector(flow.source)
        support = source.entities.get(Entity.product) if source is not None else None
        splitter = splitting.get((flow.target, flow.source))
        if flow.entity is not Entity.product or support is None or support.variants or splitter is None:
            continue
        checker.error(
            ("flows", name, "master" if flow.master else "from"),
            f"{flow.source} keeps items, not variants, and cannot make variants in {flow.target}: flows.{splitter} "
            f"takes {flow.target}'s variants into {flow.source} one by one, and this flow would make each of them a "
            f"product of its own in {flow.target}, beside the product it came from; with variant products "
            f"{flow.target} must be master of the items: remove this flow",
            False,
        )


def _check_master(checker: Checker, path: tuple[str | int, ...], flow: Flow) -> None:
    if flow.direction is Direction.two_way:
        if flow.master is None:
            checker.error((*path, "direction"), "a two-way flow needs a master: the system that wins a conflict", False)
        elif flow.master not in (flow.source, flow.target):
            checker.error(
                (*path, "master"),
                f"master must be '{flow.source}' or '{flow.target}', the flow's systems",
                False,
            )
    elif flow.master is not None and flow.master != flow.source:
        checker.error(
            (*path, "master"),
            f"a one-way flow's master is its source '{flow.source}'; "
            f"set direction: two-way to make '{flow.master}' master",
            False,
        )


def _supports(
    checker: Checker,
    path: tuple[str | int, ...],
    role: str,
    connector: Connector,
    flow: Flow,
    *,
    read: bool,
    write: bool,
) -> bool:
    if connector.supports(flow.entity, read=read, write=write):
        return True
    verbs = " and ".join(v for v, wanted in (("read", read), ("write", write)) if wanted)
    able = [e.value for e, s in connector.entities.items() if (s.read or not read) and (s.write or not write)]
    checker.error(
        (*path, role),
        f"connector {connector.name} cannot {verbs} {flow.entity.value} records; "
        f"it can {verbs}: {', '.join(able) or 'nothing'}",
        False,
    )
    return False


def _check_match(
    checker: Checker,
    path: tuple[str | int, ...],
    flow: Flow,
    source: Catalogue,
    target: Catalogue,
    target_name: str,
) -> None:
    for index, field_name in enumerate(flow.match or KEYS[flow.entity]):
        if flow.match is not None:
            _check_field(checker, (*path, "match", index), field_name, target, f"{target_name} {flow.entity.value}")


def _check_filters(
    checker: Checker, path: tuple[str | int, ...], flow: Flow, source: Connector, fields: Catalogue
) -> None:
    if flow.when is not None:
        label = f"{source.name} {flow.entity.value}"
        _check_expression(checker, (*path, "when"), flow.when, fields, label, _hint(source, flow))
    if flow.status is not None:
        known = source.entities[flow.entity].statuses
        if not known:
            checker.error(
                (*path, "status"),
                f"{source.name} has no status list for {flow.entity.value}; filter with when: instead",
            )
            return
        for index, status in enumerate(flow.status):
            if status not in known:
                checker.error(
                    (*path, "status", index),
                    f"unknown {source.name} {flow.entity.value} status '{status}'; {choices(status, known)}",
                    False,
                )


def _check_mapping(
    checker: Checker,
    path: tuple[str | int, ...],
    flow: Flow,
    source: Connector,
    target: Connector,
    source_fields: Catalogue,
    target_fields: Catalogue,
) -> None:
    target_label = f"{target.name} {flow.entity.value}"
    source_label = f"{source.name} {flow.entity.value}"
    for field_name, expression in flow.mapping.items():
        field_path = (*path, "mapping", field_name)
        _check_field(checker, field_path, field_name, target_fields, target_label)
        if expression is not None:
            _check_expression(checker, field_path, expression, source_fields, source_label, _hint(source, flow))
    mapped = effective_mapping(flow.mapping, source_fields, target_fields, target.entities[flow.entity].defaults)
    keys = set(flow.match or KEYS[flow.entity])
    for field_name in flow.drift:
        _check_field(checker, (*path, "drift", field_name), field_name, target_fields, target_label)
    for index, field_name in enumerate(flow.create_only):
        where = (*path, "create_only", index)
        if _check_field(checker, where, field_name, target_fields, target_label):
            if field_name.split(".")[0] not in mapped:
                checker.error(where, f"'{field_name}' is not mapped, so create_only has nothing to hold back", False)
            elif field_name in keys:
                checker.error(where, f"'{field_name}' is the match key; it cannot be create-only", False)


def _check_field(
    checker: Checker, where: Sequence[str | int], dotted_name: str, catalogue: Catalogue, label: str
) -> bool:
    found = lookup(catalogue, dotted_name.split("."))
    if found.info is not None:
        return True
    missing = found.missing or dotted_name
    known = choices(missing, found.known, empty="it has no fields")
    checker.error(where, f"unknown field '{missing}' on {label}; {known}", isinstance(where[-1], str))
    return False


def _hint(source: Connector, flow: Flow) -> Callable[[str], str]:
    """What the source connector says of a field its records lack; nothing when it says nothing."""
    hint = source.unknown_field_hint
    return (lambda name: hint(flow.source, flow.entity, name)) if hint is not None else (lambda name: "")


def _check_expression(
    checker: Checker,
    where: tuple[str | int, ...],
    expression: str,
    fields: Catalogue,
    label: str,
    hint: Callable[[str], str] = lambda name: "",
) -> None:
    analysis = jmes.check(expression)
    for problem in analysis.problems:
        checker.error_in_value(where, problem.column, problem.message)
    for field_path in analysis.fields:
        found = lookup(fields, field_path)
        if found.info is None and found.missing is not None:
            known = choices(found.missing, found.known, empty="it has no fields")
            column = expression.find(found.missing) + 1 or 1
            advice = hint(found.missing) if found.missing == field_path[0] else ""  # a field of the record itself
            message = f"reads unknown field '{found.missing}' of {label}; {known}"
            checker.error_in_value(where, column, f"{message}; {advice}" if advice else message)
    declared = checker.integration.value_maps
    for name in analysis.value_maps:
        if name not in declared:
            known = choices(name, declared, empty="none declared")
            checker.error_in_value(
                where, expression.find(name) + 1 or 1, f"value map '{name}' is not declared in value_maps; {known}"
            )


def _check_settings(checker: Checker, path: tuple[str | int, ...], flow: Flow) -> None:
    given = flow.settings.model_fields_set
    for entity, names in _SETTINGS_FOR.items():
        for name in names:
            if name in given and flow.entity.value != entity:
                checker.error(
                    (*path, "settings", name),
                    f"{name} applies to {entity} flows only, not {flow.entity.value}",
                )
    formula = flow.settings.stock_formula
    if formula is not None and flow.entity.value == "stock":
        try:
            parse_formula(formula, STOCK_FIELDS)
        except FormulaError as exc:
            checker.error_in_value((*path, "settings", "stock_formula"), exc.column, exc.message)
