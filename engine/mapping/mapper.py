"""Field mappings: which JMESPath expression fills each target field.

Every flow starts from a default mapping — each field both connectors carry for the entity is
copied as it is — and the spec overrides it field by field; `field: null` drops a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from engine.catalogue import Catalogue
from engine.errors import RecordError
from engine.mapping import jmes
from engine.mapping.document import SourceDocument
from engine.mapping.entity_rules import rules_for
from engine.records import MODELS, Record
from engine.spec.models import Flow


def effective_mapping(
    overrides: Mapping[str, str | None],
    source: Catalogue,
    target: Catalogue,
    defaults: Mapping[str, str | None] | None = None,
) -> dict[str, str]:
    """The mapping a flow runs with: each shared field copied, then the target connector's defaults
    for the entity (numeric SKUs for a till, say), then the spec's own entries."""
    mapping = {name: _quoted(name) for name in target if name in source}
    for name, expression in [*(defaults or {}).items(), *overrides.items()]:
        if expression is None:
            mapping.pop(name, None)
        else:
            mapping[name] = expression
    return mapping


def _quoted(name: str) -> str:
    # Field names are JMESPath identifiers unless they hold a character that is not one.
    return name if name.replace("_", "a").isalnum() and not name[0].isdigit() else f'"{name}"'


class Mapper:
    """Turns source records into the target records a flow wants, one record at a time."""

    def __init__(
        self,
        flow: Flow,
        value_maps: Mapping[str, Mapping[str, str | int]],
        source: Catalogue,
        target: Catalogue,
        defaults: Mapping[str, str | None] | None = None,
        required: Sequence[str] = (),
    ) -> None:
        compile_expression = jmes.compiler(value_maps)
        self.flow = flow
        self.required = tuple(required)
        self.model = MODELS[flow.entity]
        mapping = effective_mapping(flow.mapping, source, target, defaults)
        self.mapping = {name: compile_expression(text) for name, text in mapping.items()}
        self.when = compile_expression(flow.when) if flow.when else None
        self.rules = rules_for(flow)
        # A target field that is a source field as it is: taken from the record, already valid, not
        # turned into data and validated again (unless another mapping sets a field inside it).
        nested = {name.split(".")[0] for name in self.mapping if "." in name}
        self.copies = {
            name: expression.compiled.parsed["value"]
            for name, expression in self.mapping.items()
            if expression.compiled.parsed["type"] == "field" and name not in nested and "." not in name
        }
        self.computed = {name: expression for name, expression in self.mapping.items() if name not in self.copies}
        expressions = [*self.computed.values(), *([self.when] if self.when else [])]
        self.reads_whole = any(jmes.reads_whole(expression) for expression in expressions)

    def document(self, record: Record) -> Mapping[str, Any]:
        """A source record as this flow's expressions read it: whole when one of them takes it whole,
        else field by field as they ask (`SourceDocument`)."""
        document = SourceDocument(record)
        return document.whole() if self.reads_whole else document

    def passes(self, document: Mapping[str, Any], status_field: str | None) -> bool:
        """Whether a source record passes the flow's status filter and `when` expression."""
        statuses = self.flow.status
        if statuses is not None and status_field is not None and document.get(status_field) not in statuses:
            return False
        return self.when is None or bool(self.when.search(document))

    def fields(self) -> list[str]:
        """Top-level target fields this flow writes."""
        return list(dict.fromkeys(name.split(".")[0] for name in self.mapping))

    def key(self, document: Mapping[str, Any], match: Sequence[str]) -> tuple[Any, ...] | None:
        """The match-key values a source document maps to, without mapping the rest of it."""
        values = []
        for name in match:
            expression = self.mapping.get(name)
            value = expression.search(document) if expression is not None else None
            if value is None:
                return None
            values.append(value)
        return tuple(values)

    def map(self, record: Record, document: Mapping[str, Any]) -> Record:
        """The target record for one source record (`document`: as `document()` gives it);
        `RecordError` says which field failed."""
        out: dict[str, Any] = {}
        for name, field in self.copies.items():
            value = getattr(record, field, None)
            if value is not None:
                out[name] = value
        for name, expression in self.computed.items():
            try:
                value = expression.search(document)
            except RecordError as exc:
                raise RecordError(f"{name}: {exc}", exc.field or name) from None
            if value is not None:
                _put(out, name.split("."), value)
        for rule in self.rules:
            out = rule(out, document)
        try:
            record = self.model.model_validate(out)
        except ValidationError as exc:
            problems = [f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()]
            raise RecordError("; ".join(problems), str(exc.errors()[0]["loc"][0])) from None
        for name in self.required:
            if getattr(record, name) in (None, (), {}, ""):
                raise RecordError(f"{name}: the target takes no {self.flow.entity.value} without it", name)
        return record


def _put(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
