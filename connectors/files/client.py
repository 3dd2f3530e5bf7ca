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
from pathlib import Path
from typing import TextIO

from connectors.base import Changes, WriteOutcome
from connectors.files.formats import CsvLayout, from_document, record_key, to_document
from connectors.files.settings import FilesSettings
from engine.errors import FatalConnectorError
from engine.records import Entity, Record

Key = tuple[str, ...]


class FilesClient:
    def __init__(self, settings: FilesSettings) -> None:
        self.settings = settings
        self.folder = Path(settings.path)
        self.calls = 0  # file reads and writes, the files connector's "API calls"

    def path(self, entity: Entity) -> Path:
        return self.folder / self.settings.file_name(entity)

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, changes: Changes | None = None) -> list[Record]:
        # A folder is read whole; the engine applies the flow's filters.
        records = self._load(entity)
        if keys is None:
            return list(records.values())
        return [records[key] for key in keys if key in records]

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        existing = self._load(entity)
        outcomes = []
        for record in records:
            key = record_key(entity, record)
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

    def _load(self, entity: Entity) -> dict[Key, Record]:
        if not self.folder.is_dir():
            if not self.settings.create_folder:
                raise FatalConnectorError(
                    f"folder '{self.folder}' does not exist (set create_folder: true to create it)"
                )
            self.folder.mkdir(parents=True)
        path = self.path(entity)
        self.calls += 1
        if not path.exists():
            return {}
        loaded: dict[Key, Record] = {}
        with path.open(encoding="utf-8-sig") as handle:
            for record in self._parse(entity, handle, str(path)):
                key = record_key(entity, record)
                if key in loaded:
                    raise FatalConnectorError(f"{path}: {entity.value} {'/'.join(key)} appears twice")
                loaded[key] = record
        return loaded

    def _parse(self, entity: Entity, handle: TextIO, where: str) -> Iterator[Record]:
        """The file's records one by one: a large file is never held as text, JSON data and records at once."""
        if self.settings.format == "csv":  # universal newlines, not newline="": a quoted CRLF is read as \n
            reader = csv.DictReader(handle, delimiter=self.settings.delimiter)
            layout = CsvLayout.of(entity)
            layout.check_header(reader.fieldnames or [], f"{where}:1")
            rows = ((reader.line_num, row) for row in reader)
            yield from layout.records(rows, where)
        elif self.settings.format == "jsonl":
            for number, line in enumerate(handle.read().splitlines(), start=1):
                if line.strip():
                    place = f"{where}:{number}"
                    yield from_document(entity, _json(line, place), place)
        else:
            data = _json(handle.read(), where)
            if not isinstance(data, list):
                raise FatalConnectorError(f"{where}: expected a JSON array of {entity.value} records")
            for index, item in enumerate(data):
                yield from_document(entity, item, f"{where}: item {index}")

    def _save(self, entity: Entity, records: dict[Key, Record]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ordered = [records[key] for key in sorted(records)]
        self.calls += 1
        _replace(self.path(entity), self._render(entity, ordered))

    def _render(self, entity: Entity, records: list[Record]) -> str:
        if self.settings.format == "jsonl":
            return "".join(json.dumps(to_document(r), ensure_ascii=False) + "\n" for r in records)
        if self.settings.format == "json":
            return json.dumps([to_document(r) for r in records], ensure_ascii=False, indent=2) + "\n"
        layout = CsvLayout.of(entity)
        rows = [row for record in records for row in layout.rows(record)]
        out = io.StringIO()
        writer = csv.DictWriter(out, layout.header(rows), delimiter=self.settings.delimiter,
                                lineterminator="\n")  # fmt: skip
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()


def _json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FatalConnectorError(f"{where}: invalid JSON at column {exc.colno}: {exc.msg}") from None


def _replace(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
