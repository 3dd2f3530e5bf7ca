"""Canonical records to and from CSV rows and JSON documents.

CSV is flat, records are not, so a row spells nested fields as dotted columns
(`billing_address.street`, `features.country_of_origin`), joins lists of text with `|`
(`tags: sale|summer`) and writes money as `19.99 EUR`. A record with a list of items (a product's
variants, an order's lines) takes one row per item: the item's columns are prefixed
(`variants.sku`), and rows with the same key belong to one record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, TextIO

from pydantic import ValidationError

from engine.catalogue import Catalogue, FieldInfo, choices, entity_catalogue
from engine.connector import RawRecord
from engine.errors import FatalConnectorError, RecordError
from engine.keys import digest
from engine.records import KEYS, MODELS, Entity, Record, compact, record_key

LIST_SEPARATOR = "|"


def to_document(record: Record) -> dict[str, Any]:
    """A record as JSON data: decimals as strings, empty fields left out."""
    document: dict[str, Any] = compact(record.model_dump(mode="json", exclude_none=True))
    return document


def from_document(entity: Entity, data: Any, where: str) -> Record:
    """Build a record from JSON data; a bad one is an error naming `where` and the field."""
    if not isinstance(data, dict):
        raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
    try:
        return MODELS[entity].model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()]
        raise RecordError(f"{where}: {'; '.join(problems)}") from None


@dataclass(frozen=True)
class CsvLayout:
    """How one entity's records lie in CSV rows."""

    entity: Entity
    catalogue: Catalogue
    items: str | None  # the list-of-objects field spread over rows, if any
    order: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, entity: Entity) -> CsvLayout:
        catalogue = entity_catalogue(entity)
        items = [name for name, info in catalogue.items() if _is_item_list(info)]
        if len(items) > 1:
            raise ValueError(f"{entity.value} has more than one item list: {items}")
        return cls(entity, catalogue, items[0] if items else None,
                   {name: i for i, name in enumerate(catalogue)})  # fmt: skip

    # ---- writing -------------------------------------------------------------------------

    def rows(self, record: Record) -> list[dict[str, str]]:
        document = record.model_dump(mode="json", exclude_none=True)
        items = document.pop(self.items, []) if self.items else []
        parent = _flatten(document, self.catalogue, "")
        if not items:
            return [parent]
        assert self.items is not None
        item_fields = self.catalogue[self.items].fields or {}
        keys = {name: parent[name] for name in KEYS[self.entity] if name in parent}
        return [
            {**(parent if i == 0 else keys), **_flatten(item, item_fields, f"{self.items}.")}
            for i, item in enumerate(items)
        ]

    def header(self, rows: Iterable[Mapping[str, str]]) -> list[str]:
        columns = dict.fromkeys(column for row in rows for column in row)
        return sorted(columns, key=self._column_rank)

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

    def check_header(self, header: Iterable[str], where: str) -> None:
        for column in header:
            problem = self._column_problem(column)
            if problem:
                raise FatalConnectorError(f"{where}: column '{column}': {problem}")

    def _column_problem(self, column: str) -> str | None:
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

    def raw_records(self, handle: TextIO, delimiter: str, where: str) -> list[RawRecord]:
        """A CSV file's records, unbuilt: rows grouped by key (a record with an item list has a row
        per item, not necessarily adjacent), each group fingerprinted by its text and the header's."""
        lines = handle.readlines()
        reader = csv.reader(lines, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return []
        self.check_header(header, f"{where}:1")
        key_of = _key_reader(header, KEYS[self.entity])
        groups: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        start = reader.line_num
        header_text = "".join(lines[:start])
        for row in reader:
            end = reader.line_num  # a quoted cell may hold line breaks: a row is lines[start:end]
            if row:  # not a blank line
                text = lines[start] if end == start + 1 else "".join(lines[start:end])
                groups.setdefault(key_of(row), []).append((end, text))
            start = end
        file = _CsvFile(self, header, delimiter, where)
        return [
            RawRecord(key, digest(header_text + "".join(text for _, text in rows)), partial(file.record, rows))
            for key, rows in groups.items()
        ]

    def route(self, column: str, where: str) -> _Route:
        """Where a column's cells go: an item list's columns (`variants.sku`) into the item's data."""
        if self.items is not None and column.startswith(f"{self.items}."):
            return _route(column.partition(".")[2], self.catalogue[self.items].fields or {}, where, item=True)
        return _route(column, self.catalogue, where, item=False)


def _key_reader(header: list[str], names: Iterable[str]) -> Callable[[list[str]], tuple[str, ...]]:
    """A function giving a row's key: its cells in the key's columns ("" for a column it lacks)."""
    positions = [header.index(name) if name in header else None for name in names]
    if len(positions) == 1 and positions[0] is not None:
        position = positions[0]
        return lambda row: (row[position] if position < len(row) else "",)
    return lambda row: tuple(row[i] if i is not None and i < len(row) else "" for i in positions)


@dataclass
class _CsvFile:
    """One CSV file's header, and where each of its columns goes (worked out on a column's first cell)."""

    layout: CsvLayout
    header: list[str]
    delimiter: str
    where: str
    routes: dict[str, _Route] = field(default_factory=dict)

    def record(self, rows: list[tuple[int, str]]) -> Record:
        """The record of one key's rows; rows of a record with an item list merge, one item each."""
        layout, entity = self.layout, self.layout.entity
        first_line = rows[0][0]
        first: dict[str, Any] = {}
        items: list[dict[str, Any]] = []
        for index, (line, text) in enumerate(rows):
            data = first if index == 0 else {}
            item: dict[str, Any] = {}
            for column, value in self._cells(line, text):
                if value == "":
                    continue
                route = self.routes.get(column)
                if route is None:
                    route = self.routes[column] = layout.route(column, f"{self.where}:{line}")
                route.put(item if route.item else data, value)
            if index and not layout.items:
                raise RecordError(
                    f"{self.where}:{line}: duplicate {entity.value} {_show(record_key(entity, data))} "
                    f"(first on line {first_line})"
                )
            if index:
                _merge(first, data, first_line, f"{self.where}:{line}")
            if item:
                items.append(item)
        document = {**first, layout.items: items} if layout.items else first
        return from_document(entity, document, f"{self.where}:{first_line}")

    def _cells(self, line: int, text: str) -> Iterator[tuple[str, str]]:
        cells = next(csv.reader(io.StringIO(text), delimiter=self.delimiter))
        if len(cells) > len(self.header):
            raise RecordError(
                f"{self.where}:{line}: {len(cells)} cells, but the header names {len(self.header)} columns"
            )
        return zip(self.header, cells, strict=False)


def _merge(first: dict[str, Any], data: Mapping[str, Any], first_line: int, where: str) -> None:
    """A further row's fields of the record itself: blank, or as on its first row."""
    for name, value in data.items():
        if name not in first:
            first[name] = value
        elif first[name] != value:
            raise RecordError(f"{where}: {name} is {value!r} here but {first[name]!r} on line {first_line}")


def _show(key: tuple[str, ...]) -> str:
    return "/".join(key)


def _is_item_list(info: FieldInfo) -> bool:
    return info.type.startswith("list of") and info.fields is not None and "money" not in info.type


def _flatten(data: Mapping[str, Any], catalogue: Catalogue, prefix: str) -> dict[str, str]:
    row: dict[str, str] = {}
    for name, value in data.items():
        info, column = catalogue[name], f"{prefix}{name}"
        if info.type == "money":
            row[column] = f"{value['amount']} {value['currency']}"
        elif info.free_keys:
            row.update({f"{column}.{key}": _cell(item) for key, item in value.items()})
        elif info.fields is not None and isinstance(value, dict):
            row.update(_flatten(value, info.fields, f"{column}."))
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
class _Route:
    """Where one column's cells go in a record's data: into these nested objects, under this name."""

    item: bool  # a column of the item list, set in the item's data
    objects: tuple[str, ...]
    name: str
    split: bool  # a list of text, joined with LIST_SEPARATOR in the cell

    def put(self, data: dict[str, Any], value: str) -> None:
        for part in self.objects:
            data = data.setdefault(part, {})
        data[self.name] = value.split(LIST_SEPARATOR) if self.split else value


def _route(column: str, catalogue: Catalogue, where: str, item: bool) -> _Route:
    fields: Catalogue = catalogue
    parts = column.split(".")
    for depth, part in enumerate(parts):
        info = fields[part]
        last = depth == len(parts) - 1
        if info.free_keys and not last:
            return _Route(item, tuple(parts[: depth + 1]), parts[depth + 1], split=False)
        if last:
            return _Route(item, tuple(parts[:depth]), part, split=info.type.startswith("list of"))
        if info.fields is None:
            raise FatalConnectorError(f"{where}: column '{column}': '{part}' has no fields")
        fields = info.fields
    raise AssertionError("unreachable: a column has at least one part")
