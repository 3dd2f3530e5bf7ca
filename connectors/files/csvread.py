"""Reading a CSV file's records: its header resolved once, rows grouped by key, each group built
only when the engine asks for it. A row that cannot be read (a byte the encoding lacks, a price
`12,3,4`, more cells than columns) is its record's error, said with file, line and column."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.files.cells import Numbers
from connectors.files.formats import EXTRA, CsvLayout, from_document
from connectors.files.text import Lines
from engine.connector import RawRecord
from engine.errors import FatalConnectorError, RecordError
from engine.keys import Key, read_digest
from engine.records import KEYS, Record, record_key

Row = tuple[int, int, list[str]]  # first line, last line (from 1), cells
Span = tuple[int, int]  # lines from 0, lines[start:end], holding one or more whole rows of a record
Rows = int | list[Span]  # a record's rows: the index of its line when it has one row of one line, else spans


def raw_records(layout: CsvLayout, text: Lines, where: str) -> list[RawRecord]:
    """A CSV file's records, unbuilt: rows grouped by key (a record with an item list has a row
    per item, not necessarily adjacent), each group fingerprinted by its text and the header's."""
    lines = text.lines
    reader = csv.reader(lines, delimiter=layout.options.delimiter)
    header = next(reader, None)
    if header is None:
        return []
    start = reader.line_num
    if problem := text.problem(1, start):
        raise FatalConnectorError(f"{where}:1: {problem}")
    columns = layout.columns(header, f"{where}:1")
    key_of = _key_reader(columns, KEYS[layout.entity])
    groups: dict[Key, Rows] = {}
    rows = _FileRows(_CsvFile(layout, [name.strip() for name in header], columns, text, where), "".join(lines[:start]))
    for row in reader:
        end = reader.line_num  # a quoted cell may hold line breaks: a row is lines[start:end]
        if row:  # not a blank line
            key = key_of(row)
            if end == start + 1 and key not in groups:
                groups[key] = start
            else:
                _add_span(groups, key, (start, end))
        start = end
    return [_CsvRecord(key, rows, spans) for key, spans in groups.items()]


def _add_span(groups: dict[Key, Rows], key: Key, span: Span) -> None:
    """A row of several lines, or a further row of a key: its key's rows kept as spans, a row right
    after the key's last row joining that row's span (a product's variant rows: one span)."""
    found = groups.get(key)
    spans = found if isinstance(found, list) else [] if found is None else [(found, found + 1)]
    if spans and spans[-1][1] == span[0]:
        spans[-1] = (spans[-1][0], span[1])
    else:
        spans.append(span)
    groups[key] = spans


@dataclass(frozen=True)
class _FileRows:
    """What the unbuilt records of one CSV file share: the file that builds them, and its header's text."""

    file: _CsvFile
    header: str

    def rows(self, rows: Rows) -> list[Row]:
        """A record's rows, each parsed once."""
        lines, delimiter = self.file.text.lines, self.file.layout.options.delimiter
        if isinstance(rows, int):
            return [(rows + 1, rows + 1, next(csv.reader((lines[rows],), delimiter=delimiter)))]
        return [row for start, end in rows for row in self._split(start, end)]

    def _split(self, start: int, end: int) -> Iterator[Row]:
        """The rows of a span, where the file's reader found them."""
        reader = csv.reader(self.file.text.lines[start:end], delimiter=self.file.layout.options.delimiter)
        first = start
        for cells in reader:
            last = start + reader.line_num
            yield (first + 1, last, cells)
            first = last

    def fingerprint(self, rows: Rows) -> str:
        lines = self.file.text.lines
        if isinstance(rows, int):  # most records: read straight from their line
            return read_digest(self.header + lines[rows])
        return read_digest("".join([self.header, *(line for start, end in rows for line in lines[start:end])]))


class _CsvRecord(RawRecord):
    """A CSV file's record, unbuilt: its key, and where its rows are in the file's lines. A stock
    export holds a million, each kept while the plan is made: so no text of its own, its fingerprint
    taken when asked, and `build` a method rather than a function object per record."""

    __slots__ = ("file", "spans")
    file: _FileRows
    spans: Rows

    def __init__(self, key: Key, file: _FileRows, spans: Rows) -> None:
        object.__setattr__(self, "key", key)  # RawRecord is frozen
        object.__setattr__(self, "file", file)
        object.__setattr__(self, "spans", spans)

    @property
    def fingerprint(self) -> str:
        return self.file.fingerprint(self.spans)

    def build(self) -> Record:
        return self.file.file.record(self.file.rows(self.spans))


def _key_reader(columns: list[tuple[str, ...]], names: Iterable[str]) -> Callable[[list[str]], tuple[str, ...]]:
    """A function giving a row's key: its cells in the key's columns ("" for a column it lacks). A key
    of several columns keeps each text once: a stock export's SKU is on a row per location, and a
    plan holds a million such keys."""
    positions = [next((i for i, found in enumerate(columns) if name in found), None) for name in names]
    if len(positions) == 1 and positions[0] is not None:
        position = positions[0]
        return lambda row: (row[position] if position < len(row) else "",)
    seen: dict[str, str] = {}

    def key_of(row: list[str]) -> tuple[str, ...]:
        return tuple(seen.setdefault(row[i], row[i]) if i is not None and i < len(row) else "" for i in positions)

    return key_of


@dataclass
class _CsvFile:
    """One CSV file's header, what each column is, and where its cells go (worked out on a column's first cell)."""

    layout: CsvLayout
    header: list[str]
    columns: list[tuple[str, ...]]  # each file column's canonical columns, or kept `extra.HEADER`; () ignored
    text: Lines
    where: str
    # where each column's cells go (`Route`: whether into the item's data, the objects on the way, the name)
    # and what turns a cell into its value (`Route.converter`)
    setters: dict[str, tuple[bool, tuple[str, ...], str, Callable[[str], Any] | None]] = field(default_factory=dict)
    numbers: Numbers = field(init=False)
    # the file's columns that are read, by position: their header, and each canonical column they give
    # with whether it is kept as `extra.HEADER` (worked out once: a file's rows are read by the million)
    placed: list[tuple[int, str, tuple[tuple[str, bool], ...]]] = field(init=False)

    def __post_init__(self) -> None:
        self.numbers = self.layout.options.numbers
        kept = f"{EXTRA}."
        self.placed = [
            (position, header, tuple((column, column.startswith(kept)) for column in columns))
            for position, (header, columns) in enumerate(zip(self.header, self.columns, strict=True))
            if columns
        ]

    def record(self, rows: list[Row]) -> Record:
        """The record of one key's rows; rows of a record with an item list merge, one item each."""
        layout, entity = self.layout, self.layout.entity
        first_line = rows[0][1]
        first: dict[str, Any] = {}
        extra: dict[str, str] = {}
        items: list[dict[str, Any]] = []
        for index, (start, line, cells) in enumerate(rows):
            if self.text.unreadable and (problem := self.text.problem(start, line)):
                raise RecordError(f"{self.where}:{line}: {problem}")
            if len(cells) > len(self.header):
                raise RecordError(
                    f"{self.where}:{line}: {len(cells)} cells, but the header names {len(self.header)} columns"
                )
            data = first if index == 0 else {}
            row_extra: dict[str, str] = {}
            item: dict[str, Any] = {}
            count = len(cells)
            for position, header, columns in self.placed:
                if position >= count:  # a short row: the cells it lacks are empty
                    break
                value = cells[position]
                if value == "":
                    continue
                for column, kept in columns:
                    if kept:
                        row_extra[header] = value
                        continue
                    in_item, objects, name, convert = self.setters.get(column) or self._setter(column, line)
                    into = item if in_item else data
                    for part in objects:
                        into = into.setdefault(part, {})
                    try:
                        into[name] = value if convert is None else convert(value)
                    except ValueError as exc:
                        label = f"column '{header}'" if header == column else f"column '{header}' ({column})"
                        raise RecordError(f"{self.where}:{line}: {label}: {exc}") from None
            if index and not layout.items:
                raise RecordError(
                    f"{self.where}:{line}: duplicate {entity.value} {'/'.join(record_key(entity, data))} "
                    f"(first on line {first_line})"
                )
            if index:
                _merge(first, data, first_line, f"{self.where}:{line}")
            for header, value in row_extra.items():
                if extra.setdefault(header, value) != value:
                    raise RecordError(
                        f"{self.where}:{line}: column '{header}' is {value!r} here but {extra[header]!r} "
                        f"on line {first_line}"
                    )
            if item:
                items.append(item)
        document = {**first, layout.items: items} if layout.items else first
        if layout.options.extra == "keep":
            document[EXTRA] = extra
        return from_document(entity, document, f"{self.where}:{first_line}", layout.model)

    def _setter(self, column: str, line: int) -> tuple[bool, tuple[str, ...], str, Callable[[str], Any] | None]:
        """Where a column's cells go, worked out on its first cell (`line`, where a column it cannot place is said)."""
        route = self.layout.route(column, f"{self.where}:{line}")
        found = self.setters[column] = (route.item, route.objects, route.name, route.converter(self.numbers))
        return found


def _merge(first: dict[str, Any], data: dict[str, Any], first_line: int, where: str) -> None:
    """A further row's fields of the record itself: blank, or as on its first row."""
    for name, value in data.items():
        if name not in first:
            first[name] = value
        elif first[name] != value:
            raise RecordError(f"{where}: {name} is {value!r} here but {first[name]!r} on line {first_line}")
