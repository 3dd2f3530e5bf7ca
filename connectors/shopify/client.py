"""The Shopify client: canonical records read from and written to one shop.

`ShopifyClient` is the `Client` the engine opens. It holds no entity's logic: it hands each read and
write, through the plain dict `entities`, to that entity's object (`products.Products`,
`stock.StockLevels`, …), which owns its GraphQL operations, its conversions and its batch sizes.
They all talk to the shop through one `GraphQLSession`, the only code here that puts GraphQL on
the wire.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from connectors.shopify import bulk, webhooks
from connectors.shopify.categories import Categories
from connectors.shopify.customers import Customers
from connectors.shopify.documents import batched, bulk_query, document
from connectors.shopify.orders import Orders
from connectors.shopify.prices import Prices
from connectors.shopify.products import Products
from connectors.shopify.settings import ShopifySettings
from connectors.shopify.shipments import Shipments
from connectors.shopify.stock import StockLevels
from connectors.shopify.transport import Transport
from engine.catalogue import choices
from engine.connector import RateBudget, RawRecord, ReadFilter, WriteOutcome, as_raw
from engine.errors import FatalConnectorError
from engine.keys import Key
from engine.records import Entity, Record


class EntityClient(Protocol):
    """One entity's reads and writes, as the client hands them on."""

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None) -> list[Record]:
        """The records with these keys, or all of them (narrowed by `wanted` where Shopify can search)."""
        ...

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """One batch of records created or updated; one outcome per record, in order."""
        ...


@runtime_checkable
class RawEntityClient(Protocol):
    """An entity that hands out records unbuilt, so one Tillsync cannot take is that record's error."""

    def read_raw(self, keys: Sequence[Key] | None, wanted: ReadFilter | None) -> Iterator[RawRecord]: ...


@dataclass
class GraphQLSession:
    """The `Session` the entity objects share: operations found by name, sent by the transport."""

    settings: ShopifySettings
    transport: Transport

    def request(self, operation: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run one operation of the `graphql/` folder; its `data`."""
        return self.transport.request(document(operation), variables)

    def request_batch(
        self, operation: str, count: int, per_record: tuple[str, ...], variables: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run `operation` with its root field repeated `count` times (see `documents.batched`)."""
        return self.transport.request(batched(operation, count, per_record), variables)

    def nodes(self, operation: str, path: str, variables: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every node of a paginated connection, page after page; `path` leads to it (`a.b`)."""
        after = None
        while True:
            page = self.request(operation, {**variables, "after": after})
            for part in path.split("."):
                page = page[part]
            yield from page["nodes"]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def bulk_export(self, query: str, children: Mapping[str, str], **placeholders: str) -> list[dict[str, Any]]:
        """The objects of a bulk export, each child line nested back under its parent."""
        lines = bulk.export(self.transport, bulk_query(query, **placeholders))
        return bulk.regroup(lines, lambda line: children[line["__typename"]])


class ShopifyClient:
    """An open connection to one shop, handing each entity's reads and writes to its own object."""

    def __init__(self, settings: ShopifySettings, token: str, transport: Transport | None = None) -> None:
        self.settings = settings
        self.transport = transport or Transport(settings.url, token, timeout=settings.timeout)
        self.session = GraphQLSession(settings, self.transport)
        categories = Categories(self.session)  # products join the collections it has looked up
        self.entities: dict[Entity, EntityClient] = {
            Entity.product: Products(self.session, categories),
            Entity.stock: StockLevels(self.session),
            Entity.category: categories,
            Entity.price: Prices(self.session),
            Entity.customer: Customers(self.session),
            Entity.order: Orders(self.session),
            Entity.shipment: Shipments(self.session),
        }

    def share_budget(self, budget: RateBudget) -> None:
        """Draw from the shop's bucket shared with every other process writing to it."""
        self.transport.budget = budget

    @property
    def calls(self) -> int:
        """Requests sent to Shopify so far, retries included."""
        return self.transport.usage.calls

    def close(self) -> None:
        """Close the HTTP connections."""
        self.transport.close()

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        """Records of `entity`; only those with these keys when `keys` is set (see `Client.read`)."""
        return self._entity(entity, "read").read(keys, wanted)

    def read_raw(
        self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterator[RawRecord]:
        """As `read`, record by record and unbuilt where the entity reads so (orders: one Shopify
        answers that Tillsync cannot take is that order's error, not the read's)."""
        reader = self._entity(entity, "read")
        if isinstance(reader, RawEntityClient):
            yield from reader.read_raw(keys, wanted)
        else:
            yield from as_raw(entity, reader.read(keys, wanted))

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        """Create or update one batch of `entity` records; one outcome per record, in order."""
        return self._entity(entity, "write").write(records)

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        """Refused: Tillsync archives what it synced to Shopify rather than deleting it."""
        raise FatalConnectorError(f"the shopify connector does not delete {entity.value} records; archive them")

    def keys_of(self, entity: Entity, refs: Sequence[Sequence[str]]) -> list[Key]:
        """The keys of the stock levels `inventory_levels/update` events named by their ids
        (`engine.connector.KeyLookup`); other entities' events name their keys themselves."""
        stock = self.entities[Entity.stock]
        return stock.keys_of(refs) if entity is Entity.stock and isinstance(stock, StockLevels) else []

    def subscribe(self, topic: str, uri: str) -> str:
        """Have Shopify send `topic` events (e.g. `orders/paid`) to `uri`; returns the subscription id."""
        return webhooks.subscribe(self.session, topic, uri)

    def _entity(self, entity: Entity, verb: str) -> EntityClient:
        found = self.entities.get(entity)
        if found is None:
            known = choices(entity.value, sorted(self.entities))
            raise FatalConnectorError(f"the shopify connector cannot {verb} {entity.value} records; {known}")
        return found
