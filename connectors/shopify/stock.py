"""Stock between canonical records and Shopify inventory levels.

A stock record is one SKU at one location, the location named as in Shopify's admin. Stock is read
by SKU, 25 variants to a request (about 10 points a SKU at two locations), or, for more SKUs than
the system's `bulk_reads_from` and for every SKU, as one bulk operation (10 points and a few polls,
whatever the size, but seconds to minutes of waiting). Quantities
are written with `inventorySetQuantities`, up to 250 per call; with `compare_quantities` each carries
the quantity last read as `changeFromQuantity`, so a sale made in the meantime is not overwritten.
Shopify applies a call's quantities all or none: the ones it refuses are reported and the rest sent
again. Each call carries an idempotency key of its own (`@idempotent`, required since 2026-04), so
the transport may send it again after a lost answer: Shopify answers the resend with the first
attempt's result instead of applying it twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from connectors.shopify.products import sku_query
from connectors.shopify.session import MAX_QUANTITIES, Session, chunks, of_type, user_errors
from engine.catalogue import choices
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import ConnectorError, RecordError, RetriableConnectorError
from engine.keys import Key
from engine.records import Record, StockLevel

SKUS_PER_READ = 25
MAX_IDS = 250  # ids a `nodes` query takes
LOCATIONS_PER_PAGE = 50
BULK_CHILDREN = {"InventoryLevel": "inventoryLevels"}  # a bulk export's child lines, by __typename


def levels_from_variant(node: Mapping[str, Any]) -> list[tuple[StockLevel, str, str]]:
    """(stock record, inventory item id, location id) for each location a variant is stocked at."""
    item = node.get("inventoryItem") or {}
    out = []
    for level in (item.get("inventoryLevels") or {}).get("nodes") or []:
        quantities = {q["name"]: Decimal(q["quantity"]) for q in level.get("quantities") or []}
        record = StockLevel(
            sku=node.get("sku") or "",
            location=level["location"]["name"],
            on_hand=quantities.get("on_hand"),
            reserved=quantities.get("reserved"),
            available=quantities.get("available"),
            tracked=item.get("tracked"),
        )
        out.append((record, item["id"], level["location"]["id"]))
    return out


GRAPHQL_INT = 2**31 - 1  # GraphQL's Int: "Int cannot represent non 32-bit signed integer value"


def whole_units(record: StockLevel) -> int:
    """The available quantity to send; Shopify counts whole units."""
    if record.available is None:
        raise RecordError(f"stock of {record.sku} at {record.location} has no available quantity to send", "available")
    if record.available != record.available.to_integral_value():
        raise RecordError(
            f"Shopify keeps whole units; {record.sku} at {record.location} has {record.available}", "available"
        )
    if not -GRAPHQL_INT <= record.available <= GRAPHQL_INT:
        raise RecordError(f"Shopify counts stock in 32-bit whole numbers; {record.sku} at {record.location} has "
                          f"{record.available}", "available")  # fmt: skip
    return int(record.available)


class Stocked(NamedTuple):
    """What the client last knew of one SKU at one location."""

    item_id: str  # the variant's inventory item
    location_id: str
    available: int | None  # as last read or written: the compare-and-swap guard
    tracked: bool | None


Quantity = tuple[StockLevel, dict[str, Any]]  # a record and its InventoryQuantityInput


class StockLevels:
    """Reads and writes stock; remembers the shop's locations and each SKU's inventory item there."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._locations: dict[str, str] | None = None  # active location name → id
        self._stocked: dict[Key, Stocked] = {}  # (sku, location name) → ids and quantity

    def read(self, keys: Sequence[Key] | None, wanted: ReadFilter | None = None) -> list[Record]:
        """Stock of these (SKU, location) pairs, or of every variant at every location."""
        skus = list(dict.fromkeys(key[0] for key in keys)) if keys is not None else None
        chosen = set(keys) if keys is not None else None
        found: list[Record] = []
        for node in self._variants(skus):
            for record, item_id, location_id in levels_from_variant(node):
                key = (record.sku, record.location)
                available = int(record.available) if record.available is not None else None
                self._stocked[key] = Stocked(item_id, location_id, available, record.tracked)
                if chosen is None or key in chosen:
                    found.append(record)
        return found

    def keys_of(self, refs: Sequence[Sequence[str]]) -> list[Key]:
        """The (SKU, location name) of each (inventory item id, location id) pair, in one request per
        125 pairs (`nodes` takes 250 ids); an item without a SKU, or an id the shop does not hold, names none."""
        keys: list[Key] = []
        for chunk in chunks([tuple(ref) for ref in refs if len(ref) == 2], MAX_IDS // 2):
            ids = list(dict.fromkeys(node_id for pair in chunk for node_id in pair))
            found = self.session.request("LevelsById", {"ids": ids})["nodes"]
            names = {node["id"]: node.get("sku") or node.get("name") for node in found if node}
            keys += [(names[item], names[location]) for item, location in chunk
                     if names.get(item) and names.get(location)]  # fmt: skip
        return list(dict.fromkeys(keys))

    def _variants(self, skus: list[str] | None) -> Iterator[dict[str, Any]]:
        """Variants with their inventory levels: those with these SKUs, page by page, or every
        variant as one bulk export when more are asked for than a bulk export costs in time."""
        if skus is None or len(skus) > self.session.settings.bulk_reads_from:
            for node in self.session.bulk_export("stock", BULK_CHILDREN):
                node["inventoryItem"]["inventoryLevels"] = node.pop("inventoryLevels", {"nodes": []})
                yield node
            return
        for chunk in chunks(skus, SKUS_PER_READ):
            yield from self.session.nodes("StockBySku", "productVariants", {"query": sku_query(chunk),
                                                                            "first": SKUS_PER_READ})  # fmt: skip

    def write(self, records: Sequence[Record]) -> list[WriteOutcome]:
        """Sets available quantities, up to 250 to a request; switches tracking where a record asks."""
        levels = of_type(records, StockLevel)
        missing = [(r.sku, r.location) for r in levels if (r.sku, r.location) not in self._stocked]
        if missing:
            self.read(missing)
        locations = self._location_ids()
        outcomes: dict[Key, WriteOutcome] = {}
        quantities: list[Quantity] = []
        for record in levels:
            key = (record.sku, record.location)
            try:
                quantities.extend(self._quantity(record, locations))
            except RecordError as exc:
                outcomes[key] = WriteOutcome(key, error=str(exc))
        with settled_so_far(outcomes):
            for chunk in chunks(quantities, MAX_QUANTITIES):
                outcomes.update(self._set_quantities(chunk))
        for record in levels:  # an untracked level is written by switching tracking off
            key = (record.sku, record.location)
            stocked = self._stocked.get(key)
            sent = {"inventoryItemId": stocked.item_id, "tracked": record.tracked} if stocked else None
            outcomes.setdefault(key, WriteOutcome(key, target_id=stocked.item_id if stocked else "", sent=sent))
        return [outcomes[(r.sku, r.location)] for r in levels]

    def _quantity(self, record: StockLevel, locations: dict[str, str]) -> list[Quantity]:
        if record.location not in locations:
            known = choices(record.location, sorted(locations))
            raise RecordError(f"Shopify has no active location named '{record.location}'; {known}", "location")
        stocked = self._stocked.get((record.sku, record.location))
        if stocked is None:
            raise RecordError(f"Shopify has no variant with SKU {record.sku} stocked at {record.location}", "sku")
        if record.tracked is not None and record.tracked != stocked.tracked:
            self._set_tracked(stocked.item_id, record.tracked)
        if record.tracked is False:
            return []
        quantity = {
            "inventoryItemId": stocked.item_id,
            "locationId": stocked.location_id,
            "quantity": whole_units(record),
            "changeFromQuantity": stocked.available if self.session.settings.compare_quantities else None,
        }
        return [(record, quantity)]

    def _set_quantities(self, chunk: list[Quantity]) -> dict[Key, WriteOutcome]:
        """One inventorySetQuantities; Shopify applies all or none, so refused ones are dropped and
        the rest sent again."""
        outcomes: dict[Key, WriteOutcome] = {}
        pending = list(chunk)
        new_keys = 0
        while pending:
            # A key per input sent: a resend of it (after a lost answer) is the same operation, the
            # rest after a refusal is another
            variables = {"input": {"name": "available", "reason": "correction",
                                   "referenceDocumentUri": "gid://tillsync/StockSync/apply",
                                   "quantities": [q for _, q in pending]},
                         "idempotencyKey": str(uuid.uuid4())}  # fmt: skip
            payload = self.session.request("InventorySetQuantities", variables)["inventorySetQuantities"]
            errors = payload.get("userErrors") or []
            if _idempotency_refused(errors) and new_keys < 2:
                new_keys += 1
                continue  # the key's first attempt failed, so nothing was applied: again, with a new key
            if not errors:
                for record, q in pending:
                    key = (record.sku, record.location)
                    self._stocked[key] = Stocked(q["inventoryItemId"], q["locationId"], q["quantity"], True)
                    outcomes[key] = WriteOutcome(
                        key, target_id=q["inventoryItemId"], response={"quantity": q["quantity"]}, sent=_sent(q)
                    )
                return outcomes
            refused = _refused_by_index(errors)
            if not refused:
                raise ConnectorError(f"Shopify refused the stock update: {user_errors(errors)}")
            for index, problems in refused.items():
                record = pending[index][0]
                key = (record.sku, record.location)
                outcomes[key] = WriteOutcome(
                    key, error=user_errors(problems), response={"userErrors": problems}, sent=_sent(pending[index][1])
                )
            pending = [item for index, item in enumerate(pending) if index not in refused]
        return outcomes

    def _set_tracked(self, item_id: str, tracked: bool) -> None:
        payload = self.session.request("InventoryItemUpdate", {"id": item_id, "input": {"tracked": tracked}})
        errors = payload["inventoryItemUpdate"]["userErrors"]
        if errors:
            raise RecordError(f"Shopify did not change stock tracking: {user_errors(errors)}", "tracked")
        for key, stocked in list(self._stocked.items()):
            if stocked.item_id == item_id:
                self._stocked[key] = stocked._replace(tracked=tracked)

    def _location_ids(self) -> dict[str, str]:
        if self._locations is None:
            nodes = self.session.nodes("Locations", "locations", {"first": LOCATIONS_PER_PAGE})
            self._locations = {node["name"]: node["id"] for node in nodes if node["isActive"]}
        return self._locations


def _sent(quantity: dict[str, Any]) -> dict[str, Any]:
    """What one record's write really was: Shopify's `available` quantity set to a number, not the
    record's other quantities (on hand, reserved), which are never sent."""
    return {"name": "available", **quantity}


def _idempotency_refused(errors: list[dict[str, Any]]) -> bool:
    """Whether Shopify refused the call for its idempotency key alone: True when the key's first
    attempt failed (nothing was applied; send it again with a new key). A first attempt still
    running is left to the next run, which reads the stock again; a key sent with other quantities
    is a mistake of ours."""
    codes = {error.get("code") for error in errors}
    if "IDEMPOTENCY_CONCURRENT_REQUEST" in codes:
        raise RetriableConnectorError("Shopify is still carrying out this stock update, sent before; not sent again")
    if "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" in codes:
        raise ConnectorError(f"Shopify refused the stock update's idempotency key: {user_errors(errors)}")
    return "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED" in codes


def _refused_by_index(errors: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The userErrors that name one of the quantities sent (`input.quantities.3.…`), by its index."""
    refused: dict[int, list[dict[str, Any]]] = {}
    for error in errors:
        field = error.get("field") or []
        if len(field) >= 3 and field[1] == "quantities" and str(field[2]).isdigit():
            refused.setdefault(int(field[2]), []).append(error)
    return refused
