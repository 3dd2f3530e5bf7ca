"""The port every connector implements: what a connector is, as the engine sees it.

A connector is a value, not a class tree: a settings model, the credentials it needs, per entity
what it can read and write with that entity's field catalogue and status list, a function that
opens a client, how its webhooks are checked and read, and how its sandbox starts. The engine owns
this contract; connectors import it, and the engine never imports a concrete connector. The
registry (`connectors/__init__.py`, a plain dict of these values) is known only to the faces (the
CLI, the Dagster definitions, the demo), which pass it down.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from engine.catalogue import Catalogue
from engine.errors import ConnectorError
from engine.keys import Key, read_digest
from engine.records import Entity, Record, record_key


@dataclass(frozen=True)
class EntitySupport:
    """What a connector can do with one entity."""

    read: bool
    write: bool
    catalogue: Catalogue
    statuses: Key = ()  # values a flow's `status:` filter may name
    status_field: str | None = None  # the record field those statuses are read from
    # target field → JMESPath when written here; None leaves a field the target cannot take unmapped
    defaults: Mapping[str, str | None] = field(default_factory=dict)
    updates: bool = True  # False: a record once written is never changed (a till's orders)
    batch: int | None = None  # records the target takes in one call; the engine's default otherwise
    # fields a record written here must not leave empty (a till takes no order without lines): a
    # record without one is an error when the plan is made, before any call
    required: tuple[str, ...] = ()
    # False: a system of items, one per SKU, that keeps no variants of a product and cannot make them
    # elsewhere (Rackbeat); `validate` refuses a flow from it into variant products
    variants: bool = True


@dataclass(frozen=True)
class WriteOutcome:
    """What the target said about one written record: its id there, or why it refused it."""

    key: Key
    target_id: str | None = None
    error: str | None = None
    response: Mapping[str, Any] = field(default_factory=dict)
    # what really went to the target for this record, in its API's terms, where that differs from
    # the canonical record (Shopify stock sends one quantity); the activity log shows it as sent
    sent: Mapping[str, Any] | None = None
    # the write may or may not have taken effect and the target cannot tell (its answer was lost, and
    # what the client noted before sending cannot settle it): with `error` saying what was found, the
    # record is held for a person and never sent again until released (`tillsync retry`)
    held: bool = False


class WriteInterrupted(ConnectorError):
    """A batch write that stopped partway: `outcomes` of the records settled (written, or failed on
    their own) before `cause` stopped it, in any order, matched to records by key. A connector that
    writes a batch in several requests raises this (`settled_so_far`), so what was written is
    recorded as written, not failed with another request's error."""

    def __init__(self, cause: ConnectorError, outcomes: Iterable[WriteOutcome]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.outcomes = list(outcomes)


@contextmanager
def settled_so_far(outcomes: Collection[WriteOutcome] | Mapping[Any, WriteOutcome]) -> Iterator[None]:
    """Around a batch write that fills `outcomes` request by request: a `ConnectorError` that stops
    it after some records were settled leaves as `WriteInterrupted` carrying those outcomes."""
    try:
        yield
    except WriteInterrupted:
        raise
    except ConnectorError as exc:
        done = list(outcomes.values() if isinstance(outcomes, Mapping) else outcomes)
        if not done:
            raise
        raise WriteInterrupted(exc, done) from exc


@dataclass(frozen=True)
class ReadFilter:
    """What a flow wants read: records in these statuses, changed after `since` (ISO time)."""

    statuses: Key | None = None
    since: str | None = None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as read, not yet built: its own key (`KEYS`), a fingerprint of what was read (equal
    reads, equal fingerprints), and how to build it. Building is what costs; a plan builds only the
    records whose fingerprints say they may have changed. A plan holds every record it does not build
    until it is made, so a connector reading millions may subclass this to keep less per record:
    `fingerprint` a property and `build` a method over what the reader keeps anyway (a file's lines)."""

    key: Key
    fingerprint: str
    build: Callable[[], Record]


class Client(Protocol):
    """An open connection to one system."""

    @property
    def calls(self) -> int:
        """Requests made so far: API calls, or file reads and writes."""
        ...

    def read(
        self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterable[Record]:
        """Records of `entity`; only those with the given match keys when `keys` is set. `wanted`
        lets a system that can search narrow the read; the engine filters again either way."""
        ...

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        """Create or update these records (one batch); one outcome per record, in order."""
        ...

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        """Delete the records with these match keys; one outcome per key, in order."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Drawn:
    """A draw from a `RateBudget`: the seconds to wait before sending, and the bucket's turn once
    drawn (each draw and settlement takes one), by which the settlement tells whether another
    caller came in between."""

    wait: float
    turn: int


class RateBudget(Protocol):
    """A system's rate budget, shared by every process that calls it (`engine.state.budgets`): a
    leaky bucket of points under `key` (Shopify's is per app and shop), which each caller draws from
    before it sends and settles with what the system then reported."""

    def draw(self, key: str, points: float, capacity: float, restore_rate: float) -> Drawn:
        """Take `points` from the bucket (made full at `capacity` on first use)."""
        ...

    def settle(
        self,
        key: str,
        drawn: Drawn,
        points: float,
        spent: float,
        reported: float | None,
        capacity: float,
        restore_rate: float,
    ) -> None:
        """Settle the request that drew `points` as `drawn`: give back what the system did not charge
        (`points - spent`), and bring the bucket to the level the system reported, less what other
        callers drew and have not settled yet (their requests may not have reached the system). A
        report raises the bucket only when nobody came in between."""
        ...


@runtime_checkable
class SharesRateBudget(Protocol):
    """A client whose system's rate budget is shared by several processes; the engine hands it one."""

    def share_budget(self, budget: RateBudget) -> None: ...


@runtime_checkable
class RawReader(Protocol):
    """A client that can hand out records before building them (see `RawRecord`)."""

    def read_raw(
        self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterable[RawRecord]:
        """As `Client.read`, record by record and unbuilt; a reader that reads more than the `keys`
        anyway (a file is read whole) may hand out all it read: the engine keeps the keys it asked for."""
        ...


@dataclass(frozen=True)
class Settlement:
    """Whether a write that an interrupted run sent took effect in the target, as its client tells
    from the note it made before sending: `landed` True (it did), False (it did not: plan it again),
    None (it cannot be told: held for a person, never sent again blindly), `reason` saying why."""

    landed: bool | None
    reason: str = ""


@runtime_checkable
class WriteAhead(Protocol):
    """A client whose writes leave nothing that can be read back (a till's relative stock change):
    before a batch goes out it notes, per record, what it will need to tell later whether the write
    took effect; that note is journaled with the intent, and a run that died between sending and
    recording is settled from it (`settle`) rather than by reading the target."""

    def note_before_write(self, entity: Entity, records: Sequence[Record]) -> list[Mapping[str, Any] | None]:
        """One note per record, in order (JSON-able; None: nothing to settle later)."""
        ...

    def settle(self, entity: Entity, record: Record, note: Mapping[str, Any]) -> Settlement:
        """Whether the write of `record`, noted as `note`, took effect."""
        ...


@runtime_checkable
class DeleteGuard(Protocol):
    """A client of a system that refuses to delete some records (Rackbeat keeps an item that has
    stock): a plan asks it first, so it shows such a delete as blocked rather than proposing it."""

    def refused_deletes(self, entity: Entity, keys: Sequence[Key]) -> Mapping[Key, str]:
        """Of these match keys, those the system would refuse to delete, each with why in its words."""
        ...


@runtime_checkable
class KeyLookup(Protocol):
    """A client of a system whose webhooks name some records by its own ids, not by their keys: a
    flow whose target reported an edit asks it which records those ids are."""

    def keys_of(self, entity: Entity, refs: Sequence[Sequence[str]]) -> list[Key]:
        """The match keys of the records these ids name, as `Event.refs` gives them; ids of records
        the system does not hold (any more) give none."""
        ...


def read_raw(
    client: Client, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
) -> Iterator[RawRecord]:
    """A client's records unbuilt where it can read them so; otherwise built, and fingerprinted by
    their JSON. With `keys`, those records and perhaps others (`RawReader.read_raw`)."""
    if isinstance(client, RawReader):
        yield from client.read_raw(entity, keys, wanted)
        return
    yield from as_raw(entity, client.read(entity, keys, wanted))


def as_raw(entity: Entity, records: Iterable[Record]) -> Iterator[RawRecord]:
    """Records already built, as raw records fingerprinted by their JSON."""
    for record in records:
        yield RawRecord(record_key(entity, record), read_digest(record.model_dump_json()), _built(record))


def _built(record: Record) -> Callable[[], Record]:
    return lambda: record


@dataclass(frozen=True)
class Event:
    """A webhook delivery as the connector reads it."""

    topic: str
    webhook_id: str  # this delivery's own id: the same on every retry of it
    entity: Entity | None
    keys: list[list[str]]  # the keys of the records it is about, as the system reads them; [] when it names none
    # the change it tells of, where the system names one: deliveries of one topic with the same event id
    # are one change sent to several subscriptions (Shopify's X-Shopify-Event-Id); "" when it names none
    event_id: str = ""
    # the system's own ids of the records it is about where it names no keys (Shopify's
    # inventory_levels/update names an inventory item and a location, not a SKU): a flow whose target
    # sent it asks the target's client (a `KeyLookup`) for their keys when it runs
    refs: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookSupport:
    """How a system's webhooks are checked and read. `verify(secret, raw body, headers)` must
    compare signatures in constant time; `read(headers, payload, settings)` names what changed.
    While a secret is rotated, deliveries signed with the one before it (the optional
    `previous_secret_credential`) are accepted too."""

    secret_credential: str
    verify: Callable[[str, bytes, Mapping[str, str]], bool]
    read: Callable[[Mapping[str, str], Mapping[str, Any], BaseModel], Event]
    previous_secret_credential: str | None = None

    @classmethod
    def of_module(cls, module: str, secret_credential: str, previous: str | None = None) -> WebhookSupport:
        """Webhooks checked and read by `module`'s `verify_delivery` and `read_delivery`, imported when
        the first delivery comes in: registering the connector (or validating a spec) loads none of it."""
        return cls(
            secret_credential, _imported(module, "verify_delivery"), _imported(module, "read_delivery"), previous
        )


def _imported(module: str, name: str) -> Callable[..., Any]:
    """`module`'s function `name`, imported at its first call."""

    def call(*args: Any) -> Any:
        return getattr(import_module(module), name)(*args)

    return call


class Sandbox(Protocol):
    """A sandbox made ready to serve: an ASGI app speaking the system's API, and what a client
    needs to reach it."""

    @property
    def credentials(self) -> Mapping[str, str]:
        """The connector's credentials (by the names in `Connector.credentials`) the sandbox accepts."""
        ...

    def settings(self, url: str) -> dict[str, Any]:
        """The system settings that point a client at this sandbox served at `url`."""
        ...

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None: ...


@dataclass(frozen=True)
class SandboxSeed:
    """What one sandbox starts with. Every sandbox has its own small seed; with `catalogue` it adds a
    sample catalogue, customers and orders, chosen to suit `synced_with` where it has a sample for
    those systems (a Shopify shop synced with Rackbeat sells Rackbeat's items)."""

    catalogue: bool = False
    name: str = ""  # the sandbox's own name, where the system has one (a Shopify shop's store name); "": its default
    synced_with: tuple[str, ...] = ()  # the connectors of the systems it is synced with, by name


@dataclass(frozen=True)
class SandboxSupport:
    """How a connector's sandbox starts. `start(seed)` builds a seeded sandbox, importing its server
    code only then; each call makes a sandbox of its own (a Shopify shop of its own)."""

    port: int  # the port on 127.0.0.1 it is served on unless another is asked for
    start: Callable[[SandboxSeed], Sandbox]


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
    sandbox: SandboxSupport | None = None
    # the fields a system's records of an entity carry, given its settings as a spec writes them,
    # where they are more than the entity's catalogue (a files system keeping its file's extra columns)
    fields_read: Callable[[Entity, Mapping[str, Any]], Catalogue] | None = None
    # what to tell someone whose mapping reads a field this connector's `entity` records lack, given
    # the system's name and the field (a files system: name the export's column in `columns`)
    unknown_field_hint: Callable[[str, Entity, str], str] | None = None

    def read_catalogue(self, entity: Entity, settings: Mapping[str, Any]) -> Catalogue:
        """The fields a flow can read from this system's `entity` records: filters and mappings see these."""
        if self.fields_read is not None:
            return self.fields_read(entity, settings)
        return self.entities[entity].catalogue

    def supports(self, entity: Entity, *, read: bool = False, write: bool = False) -> bool:
        support = self.entities.get(entity)
        return support is not None and (support.read or not read) and (support.write or not write)


Registry = Mapping[str, Connector]  # the name a spec uses → the connector; the faces hold the one there is
