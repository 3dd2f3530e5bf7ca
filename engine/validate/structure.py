"""The structural layer: does a document have the shape of a spec (or environment)?

Two validators answer the same question and must agree: JSON Schema (what editors and other
tools see) and the pydantic models (what the engine runs on). Both report every problem at once,
located in the YAML file, in the same words. Values under `credentials` are never echoed.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from functools import cache
from typing import Any, Union, get_args, get_origin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from pydantic import BaseModel, ValidationError

from engine.catalogue import choices, suggest
from engine.errors import Diagnostic
from engine.spec.schema import schema_for
from engine.spec.yamlsource import Locator, SourceMap

_TYPE_WORDS = {
    "string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "array": "a list", "object": "a map of keys", "null": "nothing",
}  # fmt: skip


def unknown_key(key: str, known: Sequence[str]) -> str:
    return f"unknown key '{key}'; {choices(key, known)}"


def missing_key(key: str) -> str:
    return f"missing required key '{key}'"


def wrong_type(expected: Sequence[str], value: Any) -> str:
    words = " or ".join(dict.fromkeys(_TYPE_WORDS.get(t, t) for t in expected))
    return f"expected {words}, got {_describe(value)}"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'" if len(value) < 60 else "a long text"
    return "a list" if isinstance(value, list) else "a map of keys"


def _secret_path(path: Sequence[str | int]) -> bool:
    return "credentials" in path or path[-1:] == ("state_url",)


# --- JSON Schema ---------------------------------------------------------------------------


@cache
def _validator(model: type[BaseModel]) -> Draft202012Validator:
    return Draft202012Validator(schema_for(model))


def schema_diagnostics(data: Any, model: type[BaseModel], source: SourceMap) -> list[Diagnostic]:
    """Every JSON Schema violation of `data`, located and worded for people."""
    out = []
    for error in _validator(model).iter_errors(data):
        for path, message, at_key in _schema_messages(error):
            out.append(source.diagnostic(path, message, at_key))
    return out


def _schema_messages(error: SchemaError) -> list[tuple[tuple[str | int, ...], str, bool]]:
    path = tuple(error.absolute_path)
    kind, schema, instance = error.validator, error.schema, error.instance
    if kind == "additionalProperties" and isinstance(schema, dict) and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        extra = [key for key in instance if key not in known]
        return [((*path, key), unknown_key(key, known), True) for key in extra]
    if kind == "required":
        key = str(error.message).split("'")[1]
        return [((*path, key), missing_key(key), True)]
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [(path, wrong_type(expected, instance), False)]
    if kind in ("anyOf", "oneOf"):
        return _any_of_messages(error, path)
    if kind in ("enum", "const"):
        allowed = error.validator_value if kind == "enum" else [error.validator_value]
        return [(path, _not_one_of(allowed, instance), False)]
    if kind == "pattern":
        return [(path, _pattern_message(path, str(error.validator_value), instance), False)]
    if kind in ("minProperties", "minItems", "minLength"):
        return [(path, "must not be empty", False)]
    if kind == "propertyNames":
        key = instance if isinstance(instance, str) else str(instance)
        return [((*path, key), _name_message(key), True)]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [(path, out_of_range(instance, kind, error.validator_value), False)]
    return [(path, str(error.message), False)]


def _any_of_messages(error: SchemaError, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str, bool]]:
    context = error.context or []
    types_wanted = [c.validator_value for c in context if c.validator == "type"]
    if len(types_wanted) == len(context) and context:
        flat = [t for v in types_wanted for t in (v if isinstance(v, list) else [v])]
        return [(path, wrong_type(flat, error.instance), False)]
    # The branch whose type fits the value explains best what is wrong with it.
    deepest = [c for c in context if c.validator != "type"] or list(context)
    if deepest:
        best = max(deepest, key=lambda c: len(c.absolute_path))
        return _schema_messages(best)
    return [(path, str(error.message), False)]


def _not_one_of(allowed: Sequence[Any], value: Any) -> str:
    shown = ", ".join(str(v) for v in allowed)
    near = suggest(value, [str(v) for v in allowed]) if isinstance(value, str) else None
    hint = f"; did you mean '{near}'?" if near else ""
    return f"must be one of: {shown}; got {_describe(value)}{hint}"


def _pattern_message(path: Sequence[str | int], pattern: str, value: Any) -> str:
    if pattern.startswith("^env:"):
        if isinstance(value, str) and value.startswith("env:"):
            return "malformed reference; write env:NAME with NAME made of letters, digits and _"
        return "a literal secret is not allowed here; write env:NAME and set NAME in the environment"
    if pattern.startswith("^[a-z][a-z0-9_-]*"):
        return _name_message(str(value))
    shown = "a value" if _secret_path(path) else _describe(value)
    return f"{shown} does not have the expected form ({pattern})"


def _name_message(name: str) -> str:
    return f"invalid name '{name}': use lower-case letters, digits, - and _, starting with a letter"


# --- pydantic ------------------------------------------------------------------------------


def model_diagnostics(exc: ValidationError, model: type[BaseModel], source: Locator) -> list[Diagnostic]:
    """The errors of a failed `model.model_validate`, in the same words as the schema layer."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        at_key = kind in ("extra_forbidden", "missing")
        if kind == "extra_forbidden":
            message = unknown_key(str(loc[-1]), _known_keys(model, loc[:-1]))
        elif kind == "missing":
            message = missing_key(str(loc[-1]))
        elif kind in ("literal_error", "enum"):
            expected = err.get("ctx", {}).get("expected", "")
            allowed = [part.strip(" '") for part in expected.replace(" or ", ",").split(",") if part.strip()]
            message = _not_one_of(allowed, err.get("input"))
        elif kind in ("literal_secret", "secret_reference"):
            message = str(err["msg"])
        elif kind == "string_pattern_mismatch":
            pattern = str(err.get("ctx", {}).get("pattern", ""))
            message = _pattern_message(loc, pattern, err.get("input"))
        elif kind in _RANGE_KINDS:
            bound, name = _RANGE_KINDS[kind]
            message = out_of_range(err.get("input"), name, err.get("ctx", {}).get(bound))
        elif kind in ("too_short",):
            message = "must not be empty"
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            message = wrong_type([_pydantic_type(kind)], err.get("input"))
        else:
            message = str(err["msg"])
        out.append(source.diagnostic(loc, message, at_key))
    return out


_RANGE_KINDS = {
    "greater_than_equal": ("ge", "minimum"),
    "greater_than": ("gt", "exclusiveMinimum"),
    "less_than_equal": ("le", "maximum"),
    "less_than": ("lt", "exclusiveMaximum"),
}


def out_of_range(value: Any, bound: str, limit: Any) -> str:
    return f"{value} is out of range ({bound} {limit})"


def _pydantic_type(kind: str) -> str:
    base = kind.removesuffix("_type").removesuffix("_parsing")
    return {"dict": "object", "list": "array", "int": "integer", "float": "number", "bool": "boolean",
            "string": "string", "model": "object", "model_attributes": "object"}.get(base, base)  # fmt: skip


def _known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    current: Any = model
    for part in loc:
        current = _strip(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
            current = field.annotation if field else None
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list:
            current = get_args(current)[0]
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _strip(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    while hasattr(annotation, "__metadata__"):
        annotation = get_args(annotation)[0]
    return annotation
