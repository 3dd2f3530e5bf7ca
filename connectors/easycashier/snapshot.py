"""What the client notes before a stock change it cannot look up afterwards, and how a change whose
outcome is unknown is settled from that note.

The Back Office keeps no stock movement that can be read back (`protocol`), so whether a relative
change whose answer was lost took effect is told from the stock alone: before sending, the client
notes a store's stock of the change's articles and the sales report at that moment (a `Snapshot`);
afterwards the stock now is held against the stock then less what the till sold in between. Moved
by exactly the change, it was booked; not moved, it was not; moved otherwise (goods received, a
count), it cannot be told. These functions are pure; the client does the reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from connectors.easycashier.sales import Seen, Totals
from engine.connector import Settlement


@dataclass(frozen=True)
class Snapshot:
    """A store's stock of some articles, and the sales report as seen at that moment."""

    store: int
    stock: Mapping[str, Decimal]
    seen: Seen

    def note(self) -> dict[str, Any]:
        sold = {sku: str(q) for (sku, store), q in self.seen.totals.items() if store == self.store}
        stock = {sku: str(q) for sku, q in self.stock.items()}
        return {"store": self.store, "stock": stock, "day": self.seen.day.isoformat(), "sold": sold}

    @classmethod
    def of_note(cls, note: Mapping[str, Any]) -> Snapshot:
        store = int(note["store"])
        stock = {str(sku): Decimal(str(q)) for sku, q in note["stock"].items()}
        sold = {(str(sku), store): Decimal(str(q)) for sku, q in note["sold"].items()}
        return cls(store, stock, Seen(date.fromisoformat(note["day"]), sold))


def note_of(snapshots: Mapping[int, Snapshot]) -> dict[str, Any]:
    """The note journaled for a web order: a snapshot of each store it changes."""
    return {"stores": [snapshots[store].note() for store in sorted(snapshots)]}


def snapshots_of(note: Mapping[str, Any]) -> dict[int, Snapshot]:
    """The snapshots a note holds, by store; a note of one store alone (as journaled before orders
    could change several) is read as that one."""
    notes = note.get("stores", [note])
    return {snapshot.store: snapshot for snapshot in map(Snapshot.of_note, notes)}


def settled(snapshot: Snapshot, sold: Totals, now: Mapping[str, Decimal], change: Mapping[str, Decimal]) -> Settlement:
    """Whether `change` (signed, per article) was booked at the snapshot's store: `now` is the store's
    stock of those articles now, `sold` what the till sold there since the snapshot."""
    store = snapshot.store
    moved = {  # how far each article's stock moved besides the till's sales
        sku: now.get(sku, Decimal(0)) - (snapshot.stock.get(sku, Decimal(0)) - sold.get((sku, store), Decimal(0)))
        for sku in change
    }
    if moved == dict(change):
        return Settlement(True, f"the stock at store {store} moved by exactly the change, besides the till's sales")
    if not any(moved.values()):
        return Settlement(False, f"the stock at store {store} did not move besides the till's sales")
    shown = ", ".join(f"{sku} by {q:+}" for sku, q in sorted(moved.items()))
    wanted = ", ".join(f"{sku} by {q:+}" for sku, q in sorted(change.items()))
    return Settlement(None, f"besides the till's sales the stock at store {store} moved {shown}, where the change "
                            f"was {wanted}: something else changed it meanwhile (goods received, a count)")  # fmt: skip


def together(settlements: Mapping[int, Settlement]) -> Settlement:
    """One order's settlement from its stores': booked where every store was, not where none was;
    booked at some stores and not at others (or any store in doubt), it cannot be told as a whole."""
    landed = {settlement.landed for settlement in settlements.values()}
    reasons = "; ".join(settlements[store].reason for store in sorted(settlements))
    if landed == {True}:
        return Settlement(True, reasons)
    if landed == {False}:
        return Settlement(False, reasons)
    if None not in landed:
        booked = ", ".join(str(store) for store in sorted(settlements) if settlements[store].landed)
        return Settlement(None, f"booked at store {booked} and not at the others: {reasons}")
    return Settlement(None, reasons)
