"""A source record as mappings read it: JMESPath data (lists for tuples, objects as dicts, decimals
kept as numbers), each field turned into data when an expression first reads it.

Most fields of most mappings are copied as they are (`Mapper.copies`), so they are never turned
into data at all; a plan maps every source record it builds, and dumping each whole was a good part
of what planning cost.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from engine.records import Record


class SourceDocument(Mapping[str, Any]):
    """The fields of one source record as JMESPath data, read one by one (`Mapping.get`). JMESPath
    reads a field of its input by `get`, so an expression that only names fields (`trim(title)`)
    runs against this; one that takes the record whole (`@`, `keys(@)`) gets `whole()`."""

    __slots__ = ("_read", "record")

    def __init__(self, record: Record) -> None:
        self.record = record
        self._read: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        try:
            return self._read[name]
        except KeyError:
            if name not in type(self.record).model_fields:
                raise
        value = self._read[name] = as_data(getattr(self.record, name))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(type(self.record).model_fields)

    def __len__(self) -> int:
        return len(type(self.record).model_fields)

    def whole(self) -> dict[str, Any]:
        """Every field as data: what an expression reading the record whole is given."""
        return {name: self[name] for name in self}


def as_data(value: Any) -> Any:
    """A field's value as JMESPath data, as `model_dump()` gives it but with lists for tuples."""
    kind = type(value)
    if kind is tuple or kind is list:
        return [as_data(item) for item in value]
    if kind is dict:
        return {key: as_data(item) for key, item in value.items()}
    if isinstance(value, BaseModel):
        return {name: as_data(getattr(value, name)) for name in type(value).model_fields}
    return value
