"""Field catalogues: which fields a connector reads or writes for an entity.

A catalogue is derived from the canonical record model, optionally narrowed to the fields the
connector's API really carries. `validate` checks every mapped field and every field a JMESPath
expression reads against it, so a typo is an error before anything runs.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from engine.records import MODELS, Entity, Money


@dataclass(frozen=True)
class FieldInfo:
    """One field: its type in words, what it means, and its own fields for objects."""

    type: str
    description: str = ""
    fields: Mapping[str, FieldInfo] | None = None
    free_keys: bool = False  # a map with keys of the user's choosing (options, features)


Catalogue = Mapping[str, FieldInfo]


def catalogue_of(model: type[BaseModel], only: Iterable[str] | None = None) -> dict[str, FieldInfo]:
    """The catalogue of a record model; `only` narrows it to top-level field names."""
    wanted = set(only) if only is not None else None
    if wanted is not None and (unknown := wanted - set(model.model_fields)):
        raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
    return {
        name: _field_info(info.annotation, info.description or "")
        for name, info in model.model_fields.items()
        if wanted is None or name in wanted
    }


def entity_catalogue(entity: Entity, only: Iterable[str] | None = None) -> dict[str, FieldInfo]:
    return catalogue_of(MODELS[entity], only)


def _field_info(annotation: Any, description: str) -> FieldInfo:
    annotation = _strip_optional(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Money):
        return FieldInfo("money", description, catalogue_of(Money))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return FieldInfo("object", description, catalogue_of(annotation))
    if origin in (tuple, list):
        item = _strip_optional(get_args(annotation)[0])
        inner = _field_info(item, "")
        return FieldInfo(f"list of {inner.type}", description, inner.fields)
    if origin is dict:
        value = _field_info(get_args(annotation)[1], "")
        return FieldInfo(f"map of {value.type}", description, None, free_keys=True)
    if origin is Literal:
        return FieldInfo("one of " + ", ".join(map(str, get_args(annotation))), description)
    names = {str: "string", Decimal: "decimal", int: "integer", bool: "boolean"}
    return FieldInfo(names.get(annotation, getattr(annotation, "__name__", "value")), description)


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            annotation = args[0]
    if get_origin(annotation) is Annotated:  # `Number | None`: a decimal with bounds
        annotation = get_args(annotation)[0]
    return annotation


@dataclass(frozen=True)
class Lookup:
    """The result of resolving a dotted field path in a catalogue."""

    info: FieldInfo | None
    missing: str | None = None  # the path segment that does not exist
    known: tuple[str, ...] = field(default=())  # what would have been valid there


def lookup(catalogue: Catalogue, path: Sequence[str]) -> Lookup:
    """Resolve `("variants", "sku")`; list fields are stepped into, free-key maps end the check."""
    fields: Catalogue | None = catalogue
    info: FieldInfo | None = None
    for segment in path:
        if info is not None and info.free_keys:
            return Lookup(info)
        if fields is None:
            return Lookup(None, segment, ())
        info = fields.get(segment)
        if info is None:
            return Lookup(None, segment, tuple(fields))
        fields = info.fields
    return Lookup(info)


def suggest(name: str, known: Iterable[str]) -> str | None:
    """The nearest known name, when one is near enough to be what was meant."""
    names = list(known)
    matches = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # `sku_code` for `sku`, `customer_email` for `email`: a known name as a whole word of it
    words = name.lower().replace("-", "_").split("_")
    return next((n for n in names if n.lower() in words), None)


def choices(name: str, known: Iterable[str], *, label: str = "known", empty: str = "none") -> str:
    """What follows "unknown … 'name';" in every such message: the nearest known name when one is
    near enough, then the known ones — "did you mean 'sku'? known: sku, title" — or `empty`."""
    names = list(known)
    near = suggest(name, names)
    hint = f"did you mean '{near}'? " if near else ""
    return hint + (f"{label}: {', '.join(names)}" if names else empty)
