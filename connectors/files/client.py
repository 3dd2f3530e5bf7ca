"""Reading and writing one folder of entity files.

Writes replace a file atomically (write a temporary file beside it, then rename), so a reader
never sees half a file and a crash leaves the old one whole. Records are kept sorted by key, so a
folder under git shows clean diffs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from connectors.files.csvread import raw_records
from connectors.files.formats import EXTRA, CsvLayout, from_document, to_document
from connectors.files.settings import FilesSettings
from connectors.files.text import Lines, encoding_problem, read_lines
from engine.connector import RawRecord, ReadFilter, WriteOutcome
from engine.errors import FatalConnectorError, RecordError
from engine.keys import Key, read_digest
from engine.records import KEYS, MODELS, Entity, Record, record_key


class FilesClient:
    def __init__(self, settings: FilesSettings) -> None:
        self.settings = settings
        self.folder = Path(settings.path)
        self.calls = 0  # file reads and writes, the files connector's "API calls"

    def path(self, entity: Entity) -> Path:
        return self.folder / self.settings.file_name(entity)

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        # A folder is read whole; the engine applies the flow's filters.
        records = self._load(entity)
        if keys is None:
            return list(records.values())
        return [records[key] for key in keys if key in records]

    def read_raw(
        self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterator[RawRecord]:
        """The file's records unbuilt, each fingerprinted by the text it was read from: all of them,
        as the file is read whole (the engine keeps the `keys` it asked for). A key twice: the engine
        makes the second an error."""
        path = self._existing(entity)
        if path is not None:
            yield from self._raw(entity, self._lines(path), str(path))

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        existing = self._load(entity)
        outcomes = []
        for record in records:
            key = record_key(entity, record)
            record = _with_extra_of(existing.get(key), record)
            try:  # what the file cannot hold is this record's error, not the batch's
                text = self._render(entity, [record])
            except RecordError as exc:
                outcomes.append(WriteOutcome(key, error=str(exc)))
                continue
            if problem := encoding_problem(text, self.settings.encoding):
                outcomes.append(WriteOutcome(key, error=problem))
                continue
            existing[key] = record
            outcomes.append(WriteOutcome(key, target_id="/".join(key)))
        self._save(entity, existing)
        return outcomes

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        existing = self._load(entity)
        outcomes = []
        for key in keys:
            found = existing.pop(key, None)
            error = None if found is not None else f"no {entity.value} {'/'.join(key)} to delete"
            outcomes.append(WriteOutcome(key, target_id="/".join(key) if found else None, error=error))
        self._save(entity, existing)
        return outcomes

    def close(self) -> None:
        pass

    # ---- files ---------------------------------------------------------------------------

    def _existing(self, entity: Entity) -> Path | None:
        """The entity's file, None when there is none yet; counts as a read."""
        if not self.folder.is_dir():
            if not self.settings.create_folder:
                raise FatalConnectorError(
                    f"folder '{self.folder}' does not exist (set create_folder: true to create it)"
                )
            self.folder.mkdir(parents=True)
        path = self.path(entity)
        self.calls += 1
        return path if path.exists() else None

    def _load(self, entity: Entity) -> dict[Key, Record]:
        path = self._existing(entity)
        if path is None:
            return {}
        loaded: dict[Key, Record] = {}
        for raw in self._raw(entity, self._lines(path), str(path)):
            try:
                record = raw.build()
            except RecordError as exc:  # rewriting the file would lose what cannot be read back
                raise FatalConnectorError(f"{exc}; fix the file before anything is written to it") from None
            key = record_key(entity, record)
            if key in loaded:
                raise FatalConnectorError(f"{path}: {entity.value} {'/'.join(key)} appears twice")
            loaded[key] = record
        return loaded

    def _lines(self, path: Path) -> Lines:
        return read_lines(path.read_bytes(), self.settings.encoding)

    def _layout(self, entity: Entity) -> CsvLayout:
        return CsvLayout.of(entity, self.settings.csv(entity))

    def _raw(self, entity: Entity, text: Lines, where: str) -> Iterator[RawRecord]:
        """The file's records one by one, each built only when asked for."""
        if self.settings.format == "csv":
            yield from raw_records(self._layout(entity), text, where)
        elif self.settings.format == "jsonl":
            file = _LineFile(entity, where)
            for number, line in enumerate(text.lines, start=1):  # lines end at \n only, never inside a JSON string
                if line.strip():
                    yield _LineRecord(file, line, number, text.unreadable.get(number))
        else:
            if text.unreadable:  # a JSON document is read whole or not at all
                number, problem = next(iter(text.unreadable.items()))
                raise FatalConnectorError(f"{where}:{number}: {problem}")
            try:
                data = _json("".join(text.lines), where)
            except RecordError as exc:  # a JSON file that does not parse holds no record at all
                raise FatalConnectorError(str(exc)) from None
            if not isinstance(data, list):
                raise FatalConnectorError(f"{where}: expected a JSON array of {entity.value} records")
            for index, item in enumerate(data):
                key = record_key(entity, item) if isinstance(item, dict) else _unkeyed(entity, f"{where}: item {index}")
                shown = json.dumps(item, sort_keys=True, ensure_ascii=False)
                yield RawRecord(key, read_digest(shown), partial(from_document, entity, item, f"{where}: item {index}"))

    def _save(self, entity: Entity, records: dict[Key, Record]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ordered = [records[key] for key in sorted(records)]
        self.calls += 1
        _replace(self.path(entity), self._render(entity, ordered), self.settings.encoding)

    def _render(self, entity: Entity, records: list[Record]) -> str:
        if self.settings.format == "jsonl":
            return "".join(json.dumps(to_document(r), ensure_ascii=False) + "\n" for r in records)
        if self.settings.format == "json":
            return json.dumps([to_document(r) for r in records], ensure_ascii=False, indent=2) + "\n"
        layout = self._layout(entity)
        header, rows = layout.in_file([row for record in records for row in layout.rows(record)])
        out = io.StringIO()
        writer = csv.DictWriter(out, header, delimiter=self.settings.delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()


def _with_extra_of(old: Record | None, new: Record) -> Record:
    """`new`, keeping the extra columns its file held for it (a canonical record has none of its own)."""
    kept = getattr(old, EXTRA, None)
    if old is None or not kept or hasattr(new, EXTRA):
        return new
    return type(old).model_validate({**dict(new), EXTRA: kept})


@dataclass(frozen=True)
class _LineFile:
    """What the records of one JSON Lines file share: their entity, and the file's name."""

    entity: Entity
    where: str


class _LineRecord(RawRecord):
    """A JSON Lines file's record, unbuilt: its line and where it stands. A plan holds every record it
    does not build, so no function object a line: its fingerprint is taken when asked and `build` is
    a method. Its key too is read when asked: a plan that finds a line's text as it was when last in
    step knows its key without parsing it."""

    __slots__ = ("_key", "file", "line", "number", "problem")
    file: _LineFile
    line: str
    number: int
    problem: str | None  # why the line could not be decoded, if it could not
    _key: Key | None

    def __init__(self, file: _LineFile, line: str, number: int, problem: str | None) -> None:
        put = object.__setattr__  # RawRecord is frozen
        put(self, "file", file)
        put(self, "line", line)
        put(self, "number", number)
        put(self, "problem", problem)
        put(self, "_key", None)

    @property
    def key(self) -> Key:
        key = self._key
        if key is None:
            data = _parsed(self.line) if self.problem is None else None
            entity, where = self.file.entity, f"{self.file.where}:{self.number}"
            key = record_key(entity, data) if isinstance(data, dict) else _unkeyed(entity, where)
            object.__setattr__(self, "_key", key)
        return key

    @property
    def fingerprint(self) -> str:
        return read_digest(self.line)

    def build(self) -> Record:
        return _from_line(self.file.entity, self.line, f"{self.file.where}:{self.number}", self.problem)


def _parsed(line: str) -> object:
    """A line's JSON data; None when it does not parse (built, it says what is wrong)."""
    try:
        return json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None


def _from_line(entity: Entity, line: str, where: str, unreadable: str | None) -> Record:
    if unreadable is not None:
        raise RecordError(f"{where}: {unreadable}")
    try:  # parsed and validated in one step: most lines are good, and this is half the work
        return MODELS[entity].model_validate_json(line)
    except ValidationError:  # said as a document read the long way says it
        return from_document(entity, _json(line, where), where)


def _json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"{where}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise RecordError(f"{where}: JSON nested too deep") from None


def _unkeyed(entity: Entity, where: str) -> Key:
    """The key of a record that has none to read: where it stands, so its error can be found."""
    return (where, *("" for _ in KEYS[entity][1:]))


def _replace(path: Path, text: str, encoding: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
