"""What every connector is: a value, not a class tree.

A connector is a settings model, the credentials it needs, per entity what it can read and write
with that entity's field catalogue and status list, and a function that opens a client. The
registry in `connectors/__init__.py` is a plain dict of these values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from engine.catalogue import Catalogue
from engine.records import Entity, Record


@dataclass(frozen=True)
class EntitySupport:
    """What a connector can do with one entity."""

    read: bool
    write: bool
    catalogue: Catalogue
    statuses: tuple[str, ...] = ()  # values a flow's `status:` filter may name
    status_field: str | None = None  # the record field those statuses are read from
    # target field → JMESPath when written here; None leaves a field the target cannot take unmapped
    defaults: Mapping[str, str | None] = field(default_factory=dict)
    updates: bool = True  # False: a record once written is never changed (a till's orders)
    batch: int | None = None  # records the target takes in one call; the engine's default otherwise


@dataclass(frozen=True)
class WriteOutcome:
    """What the target said about one written record: its id there, or why it refused it."""

    key: tuple[str, ...]
    target_id: str | None = None
    error: str | None = None
    response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Changes:
    """What a flow wants read: records in these statuses, changed after `since` (ISO time)."""

    statuses: tuple[str, ...] | None = None
    since: str | None = None


class Client(Protocol):
    """An open connection to one system."""

    @property
    def calls(self) -> int:
        """Requests made so far: API calls, or file reads and writes."""
        ...

    def read(
        self, entity: Entity, keys: Sequence[tuple[str, ...]] | None = None, changes: Changes | None = None
    ) -> Iterable[Record]:
        """Records of `entity`; only those with the given match keys when `keys` is set. `changes`
        lets a system that can search narrow the read; the engine filters again either way."""
        ...

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        """Create or update these records (one batch); one outcome per record, in order."""
        ...

    def delete(self, entity: Entity, keys: Sequence[tuple[str, ...]]) -> list[WriteOutcome]:
        """Delete the records with these match keys; one outcome per key, in order."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Event:
    """A webhook delivery as the connector reads it."""

    topic: str
    webhook_id: str
    entity: Entity | None
    keys: list[list[str]]  # the keys of the records it is about, as the system reads them; [] when it names none


@dataclass(frozen=True)
class WebhookSupport:
    """How a system's webhooks are checked and read. `verify(secret, raw body, headers)` must
    compare signatures in constant time; `read(headers, payload, settings)` names what changed."""

    secret_credential: str
    verify: Callable[[str, bytes, Mapping[str, str]], bool]
    read: Callable[[Mapping[str, str], Mapping[str, Any], BaseModel], Event]


@dataclass(frozen=True)
class Connector:
    name: str
    description: str
    settings: type[BaseModel]
    entities: Mapping[Entity, EntitySupport]
    open: Callable[[BaseModel, Mapping[str, str]], Client]
    credentials: tuple[str, ...] = ()  # names of the credentials it needs
    optional_credentials: tuple[str, ...] = ()  # and of those it can use (a webhook secret)
    webhooks: WebhookSupport | None = None

    def supports(self, entity: Entity, *, read: bool = False, write: bool = False) -> bool:
        support = self.entities.get(entity)
        return support is not None and (support.read or not read) and (support.write or not write)
