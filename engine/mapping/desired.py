"""Source records to what the target should hold: filtered, mapped, one per match key.

A record the status filter or `when` leaves out is noted by key (it is still in the source, so
not gone); one that cannot be mapped becomes an error, one the mapping skips a skip, and a second
record mapping to a key already taken an error naming the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.errors import RecordError
from engine.keys import Key
from engine.mapping.entity_rules import Skip
from engine.mapping.mapper import Mapper
from engine.records import KEYS, Entity, Record

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Desired:
    """One source record's outcome after filtering and mapping."""

    key: Key
    read: Document | Record  # the source record it came from: as shown, or as read (shown when asked)
    record: Record | None = None
    error: str | None = None
    skip: str | None = None
    origin: tuple[Key, str] | None = None  # the source record's own key and fingerprint, when read unbuilt

    @property
    def source(self) -> Document:
        """The source record as plans and the activity log show it (JSON data)."""
        read = self.read
        return read if isinstance(read, dict) else read.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class Matching:
    """How a flow turns source records into target records and tells them apart."""

    mapper: Mapper
    entity: Entity
    match: tuple[str, ...]
    status_field: str | None = None

    def key_of(self, record: Record) -> Key:
        """A target record's match key as text."""
        return tuple("" if getattr(record, f, None) is None else str(getattr(record, f)) for f in self.match)


class DesiredRecords:
    """The desired records of one plan, added source record by source record."""

    def __init__(self, matching: Matching) -> None:
        self.matching = matching
        self.items: dict[Key, Desired] = {}
        self.filtered: set[Key] = set()
        self.stamps: list[str] = []  # the source records' times of change, for the flow's cursor
        self.added = 0
        self.owners: dict[str, Key] = {}  # each variant SKU's product, as `refuse_shared_skus` found them

    def add(self, record: Record, origin: tuple[Key, str] | None = None) -> None:
        """Filter and map one source record; `origin` is its own key and fingerprint as read."""
        self.added += 1
        matching = self.matching
        # a record's __dict__ holds its fields' values: getattr raises and catches for one without the field
        stamp = record.__dict__.get("updated_at")
        if stamp:
            self.stamps.append(stamp)
        document = matching.mapper.document(record)
        if not matching.mapper.passes(document, matching.status_field):
            key = _key_or_none(matching, document)
            if key is not None:
                self.filtered.add(key)
            return
        item = _desired(matching, record, document, origin)
        if item.key in self.items:
            self._taken(item)
            return
        self.items[item.key] = item

    def unreadable(self, key: Key, reason: str) -> None:
        """A source record with this key (its own, as read) that could not even be built."""
        self.added += 1
        item = Desired(key, {}, error=f"cannot be read: {reason}")
        if key in self.items:
            self._taken(item)
        else:
            self.items[key] = item

    def give_way(self, key: Key) -> None:
        """The record mapped to `key` is an error: a record already known unchanged holds that key."""
        self._taken(self.items.pop(key))

    def refuse_shared_skus(self, slots: Iterable[Key] | None = None) -> None:
        """A SKU is one product's: a product whose variant has a SKU an earlier product of the same
        read has too is an error (a target would move the variant, or refuse the whole batch). Of
        the records in these slots (all, by default), after those of any earlier call."""
        owners = self.owners
        for slot in list(self.items) if slots is None else slots:
            item = self.items[slot]
            variants = getattr(item.record, "variants", None)
            if not variants:
                continue
            shared = [(v.sku, owners[v.sku]) for v in variants if v.sku in owners and owners[v.sku] != item.key]
            if shared:
                sku, owner = shared[0]
                error = f"variant SKU {sku} is also on product {'/'.join(owner)}; a SKU belongs to one product"
                self.items[slot] = Desired(item.key, item.read, error=error)
                continue
            owners.update((v.sku, item.key) for v in variants)

    def only(self, keys: set[Key]) -> None:
        """Keep only the records mapped to these keys (a retry of some records)."""
        self.items = {slot: item for slot, item in self.items.items() if item.key in keys}

    def _taken(self, item: Desired) -> None:
        error = f"another source record also maps to {'/'.join(item.key)}"
        self.items[(*item.key, f"#{self.added}")] = Desired(item.key, item.read, error=error)


def desired_records(matching: Matching, records: Iterable[Record]) -> tuple[list[Desired], set[Key], int]:
    """Filter and map source records; returns (desired, keys of filtered-out records, count read)."""
    desired = DesiredRecords(matching)
    for record in records:
        desired.add(record)
    return list(desired.items.values()), desired.filtered, desired.added


def _desired(matching: Matching, read: Record, document: Mapping[str, Any], origin: tuple[Key, str] | None) -> Desired:
    try:
        record = matching.mapper.map(read, document)
    except RecordError as exc:
        return Desired(_fallback_key(matching, document), read, error=str(exc))
    except Skip as exc:
        return Desired(_fallback_key(matching, document), read, skip=str(exc))
    return Desired(matching.key_of(record), read, record=record, origin=origin)


def _key_or_none(matching: Matching, document: Mapping[str, Any]) -> Key | None:
    try:
        values = matching.mapper.key(document, matching.match)
    except (RecordError, Skip):
        return None
    return None if values is None else tuple(_text(v) for v in values)


def _fallback_key(matching: Matching, document: Mapping[str, Any]) -> Key:
    key = _key_or_none(matching, document)
    if key is not None:
        return key
    return tuple(_text(document.get(name)) for name in KEYS[matching.entity])


def _text(value: Any) -> str:
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)
