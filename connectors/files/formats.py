"""Canonical records to and from CSV rows and JSON documents.

CSV is flat, records are not, so a row spells nested fields as dotted columns
(`billing_address.street`, `features.country_of_origin`), joins lists of text with `|`
(`tags: sale|summer`) and writes money as `19.99 EUR`. A record with a list of items (a product's
variants, an order's lines) takes one row per item: the item's columns are prefixed
(`variants.sku`), and rows with the same key belong to one record.

A file an ERP writes names its columns its own way: `CsvOptions.columns` gives a canonical column's
header in the file, and columns that are neither are ignored, kept as the record's `extra` fields
(`extra.merk`, read by mappings, written back under their own header) or refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import Field, ValidationError, create_model

from connectors.files.cells import Numbers
from engine.catalogue import Catalogue, FieldInfo, choices, entity_catalogue
from engine.errors import FatalConnectorError, RecordError
from engine.records import KEYS, MODELS, Entity, Record, compact

LIST_SEPARATOR = "|"
EXTRA = "extra"  # the field kept extra columns are read into, by their header
EXTRA_FIELD = FieldInfo(
    "map of string", "the file's columns Tillsync has no field for, by header (extra_columns: keep)", free_keys=True
)
ExtraColumns = Literal["ignore", "keep", "error"]


@dataclass(frozen=True)
class CsvOptions:
    """How one system's CSV files are written: separators, headers, columns beyond the canonical ones."""

    delimiter: str = ","
    decimal: str = "."
    currency: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # canonical column → the file's header
    extra: ExtraColumns = "ignore"

    @property
    def numbers(self) -> Numbers:
        return Numbers(self.decimal, self.currency)


@cache
def extra_model(entity: Entity) -> type[Record]:
    """The entity's record with the `extra` columns of its file kept beside its fields."""
    base = MODELS[entity]
    extra: Any = (dict[str, str], Field(default_factory=dict, description=EXTRA_FIELD.description))
    model: type[Record] = create_model(base.__name__, __base__=base, **{EXTRA: extra})
    return model


def to_document(record: Record) -> dict[str, Any]:
    """A record as JSON data: decimals as strings, empty fields left out."""
    document: dict[str, Any] = compact(record.model_dump(mode="json", exclude_none=True))
    return document


def from_document(entity: Entity, data: Any, where: str, model: type[Record] | None = None) -> Record:
    """Build a record from JSON data; a bad one is an error naming `where` and the field."""
    if not isinstance(data, dict):
        raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
    try:
        return (model or MODELS[entity]).model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()]
        raise RecordError(f"{where}: {'; '.join(problems)}") from None


@dataclass(frozen=True)
class CsvLayout:
    """How one entity's records lie in CSV rows."""

    entity: Entity
    catalogue: Catalogue
    items: str | None  # the list-of-objects field spread over rows, if any
    options: CsvOptions = field(default_factory=CsvOptions)

    @classmethod
    def of(cls, entity: Entity, options: CsvOptions | None = None) -> CsvLayout:
        catalogue = entity_catalogue(entity)
        items = [name for name, info in catalogue.items() if _is_item_list(info)]
        if len(items) > 1:
            raise ValueError(f"{entity.value} has more than one item list: {items}")
        return cls(entity, catalogue, items[0] if items else None, options or CsvOptions())

    @property
    def model(self) -> type[Record]:
        """The records read: with their `extra` columns when those are kept."""
        return extra_model(self.entity) if self.options.extra == "keep" else MODELS[self.entity]

    # ---- writing -------------------------------------------------------------------------

    def rows(self, record: Record) -> list[dict[str, str]]:
        """A record's rows, keyed by canonical column (kept extra columns as `extra.HEADER`)."""
        document = record.model_dump(mode="json", exclude_none=True)
        extra = document.pop(EXTRA, {})
        items = document.pop(self.items, []) if self.items else []
        numbers = self.options.numbers
        parent = _flatten(document, self.catalogue, "", numbers)
        parent.update({f"{EXTRA}.{header}": value for header, value in extra.items() if value != ""})
        if not items:
            return [parent]
        assert self.items is not None
        item_fields = self.catalogue[self.items].fields or {}
        keys = {name: parent[name] for name in KEYS[self.entity] if name in parent}
        return [
            {**(parent if i == 0 else keys), **_flatten(item, item_fields, f"{self.items}.", numbers)}
            for i, item in enumerate(items)
        ]

    def in_file(self, rows: list[dict[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
        """The file's header and rows for these canonical rows: columns in the catalogue's order (kept
        extra columns last), each under its header in the file, every header `columns` names among
        them. Columns sharing a header (`sku` and `variants.sku` of a simple product) must agree, or
        the record is an error."""
        named = [*self.options.columns, *(column for row in rows for column in row)]  # what the map names, always
        columns = sorted(dict.fromkeys(named), key=self._column_rank)
        header = list(dict.fromkeys(self.file_header(column) for column in columns))
        return header, [self._row_in_file(row) for row in rows]

    def _row_in_file(self, row: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        source: dict[str, str] = {}
        for column, value in row.items():
            name = self.file_header(column)
            if out.setdefault(name, value) != value:
                raise RecordError(
                    f"column '{name}' is both {source[name]} {out[name]!r} and {column} {value!r}", column
                )
            source.setdefault(name, column)
        return out

    def file_header(self, column: str) -> str:
        """The header a canonical column (or a kept `extra.HEADER`) has in the file."""
        if column.startswith(f"{EXTRA}."):
            return column[len(EXTRA) + 1 :]
        return self.options.columns.get(column, column)

    def _column_rank(self, column: str) -> tuple[Any, ...]:
        rank: list[Any] = []
        fields: Catalogue | None = self.catalogue
        for part in column.split("."):
            names = list(fields or {})
            rank.append((names.index(part), "") if part in names else (len(names), part))
            info = (fields or {}).get(part)
            fields = info.fields if info is not None else None
        return tuple(rank)

    # ---- reading -------------------------------------------------------------------------

    def columns(self, header: list[str], where: str) -> list[tuple[str, ...]]:
        """What each of a file's columns is: canonical columns (one header may give several: `sku` and
        `variants.sku`), a kept `extra.HEADER`, or nothing (ignored). A header `columns` names that
        the file lacks, or a canonical column given by two of the file's columns, is an error."""
        by_header: dict[str, tuple[str, ...]] = {}
        for column, name in self.options.columns.items():
            by_header[name] = (*by_header.get(name, ()), column)
        named = [name.strip() for name in header]
        for wanted, columns in by_header.items():
            if wanted not in named:
                raise FatalConnectorError(
                    f"{where}: no column '{wanted}', which columns: {self.entity.value}: {columns[0]} names; "
                    f"{choices(wanted, [n for n in named if n], label='the file has')}"
                )
        resolved = [by_header.get(name) or self._column(name, where) for name in named]
        seen: dict[str, str] = {}
        for name, found in zip(named, resolved, strict=True):
            for column in found:
                if column in seen:
                    raise FatalConnectorError(f"{where}: columns '{seen[column]}' and '{name}' are both {column}")
                seen[column] = name
        return resolved

    def _column(self, name: str, where: str) -> tuple[str, ...]:
        if not name:
            return ()  # an empty header (a delimiter ending every line) names nothing
        if name in self.options.columns:
            problem: str | None = f"{self.entity.value} {name} is read from column '{self.options.columns[name]}'"
        else:
            problem = self.column_problem(name)
            if problem is None:
                return (name,)
            if name.split(".")[0] in self.catalogue:  # a canonical field misspelt is never another column
                raise FatalConnectorError(f"{where}: column '{name}': {problem}")
        if self.options.extra == "keep":
            return (f"{EXTRA}.{name}",)
        if self.options.extra == "ignore":
            return ()
        raise FatalConnectorError(
            f"{where}: column '{name}': {problem} (map it in columns, or set extra_columns: ignore or keep)"
        )

    def column_problem(self, column: str) -> str | None:
        """Why `column` is no canonical column of this entity, if it is not."""
        fields: Catalogue | None = self.catalogue
        parts = column.split(".")
        for depth, part in enumerate(parts):
            if fields is None:
                return f"'{parts[depth - 1]}' has no fields"
            info = fields.get(part)
            if info is None:
                return f"unknown field '{part}'; {choices(part, fields)}"
            if info.free_keys:
                return None if depth == len(parts) - 2 else f"'{part}' needs one key: {part}.NAME"
            if info.type == "money" or not info.fields:
                return None if depth == len(parts) - 1 else f"'{part}' has no fields"
            if depth == len(parts) - 1:
                return f"'{part}' is an object; name its fields, e.g. {part}.{next(iter(info.fields))}"
            fields = info.fields
        return None

    def route(self, column: str, where: str) -> Route:
        """Where a column's cells go: an item list's columns (`variants.sku`) into the item's data."""
        if self.items is not None and column.startswith(f"{self.items}."):
            return _route(column.partition(".")[2], self.catalogue[self.items].fields or {}, where, item=True)
        return _route(column, self.catalogue, where, item=False)


def _is_item_list(info: FieldInfo) -> bool:
    return info.type.startswith("list of") and info.fields is not None and "money" not in info.type


def _flatten(data: Mapping[str, Any], catalogue: Catalogue, prefix: str, numbers: Numbers) -> dict[str, str]:
    row: dict[str, str] = {}
    for name, value in data.items():
        info, column = catalogue[name], f"{prefix}{name}"
        if info.type == "money":
            row[column] = numbers.write_money(value["amount"], value["currency"])
        elif info.type == "decimal":
            row[column] = numbers.write_number(value)
        elif info.free_keys:
            row.update({f"{column}.{key}": _cell(item) for key, item in value.items()})
        elif info.fields is not None and isinstance(value, dict):
            row.update(_flatten(value, info.fields, f"{column}.", numbers))
        elif isinstance(value, list):
            if any(LIST_SEPARATOR in str(item) for item in value):
                raise RecordError(f"{column}: a value contains '{LIST_SEPARATOR}', which CSV lists use", column)
            if value:
                row[column] = LIST_SEPARATOR.join(_cell(item) for item in value)
        else:
            row[column] = _cell(value)
    return row


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, Decimal) else format(value, "f")


@dataclass(frozen=True)
class Route:
    """Where one column's cells go in a record's data: into these nested objects, under this name."""

    item: bool  # a column of the item list, set in the item's data
    objects: tuple[str, ...]
    name: str
    kind: Literal["text", "list", "number", "money"]

    def converter(self, numbers: Numbers) -> Callable[[str], Any] | None:
        """What turns a cell into its value in a record's data, for one file's numbers (None: the cell
        is the value); it raises ValueError saying what is wrong with a number or an amount. Worked out
        once per column: a file's records set the same columns thousands of times."""
        return {
            "list": lambda cell: cell.split(LIST_SEPARATOR), "number": _remembered(numbers.number),
            "money": _remembered(numbers.money, copy=dict),
        }.get(self.kind)  # fmt: skip


CELLS_REMEMBERED = 4_096  # a column's cells read once: prices and rates repeat from row to row


def _remembered(read: Callable[[str], Any], copy: Callable[[Any], Any] | None = None) -> Callable[[str], Any]:
    """`read`, remembering what it made of the last few thousand different cells (a cell it refuses is
    refused each time, saying why); `copy` gives each caller a value of its own."""
    made: dict[str, Any] = {}

    def cached(cell: str) -> Any:
        value = made.get(cell)
        if value is None:
            if len(made) >= CELLS_REMEMBERED:
                made.clear()
            value = made[cell] = read(cell)
        return value if copy is None else copy(value)

    return cached


def _route(column: str, catalogue: Catalogue, where: str, item: bool) -> Route:
    fields: Catalogue = catalogue
    parts = column.split(".")
    for depth, part in enumerate(parts):
        info = fields[part]
        last = depth == len(parts) - 1
        if info.free_keys and not last:
            return Route(item, tuple(parts[: depth + 1]), parts[depth + 1], "text")
        if last:
            return Route(item, tuple(parts[:depth]), part, _kind(info))
        if info.fields is None:
            raise FatalConnectorError(f"{where}: column '{column}': '{part}' has no fields")
        fields = info.fields
    raise AssertionError("unreachable: a column has at least one part")


def _kind(info: FieldInfo) -> Literal["text", "list", "number", "money"]:
    if info.type == "money":
        return "money"
    if info.type == "decimal":
        return "number"
    return "list" if info.type.startswith("list of") else "text"
