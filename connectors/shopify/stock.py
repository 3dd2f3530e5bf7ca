"""Stock between canonical records and Shopify inventory levels.

A stock record is one SKU at one location, the location named as in Shopify's admin. Quantities
are written with `inventorySetQuantities`, up to 250 per call; with `compare_quantities` each carries
the quantity last read as `changeFromQuantity`, so a sale made in the meantime is not overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.errors import RecordError
from engine.records import StockLevel

MAX_QUANTITIES = 250


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


def whole_units(record: StockLevel) -> int:
    if record.available is None:
        raise RecordError(f"stock of {record.sku} at {record.location} has no available quantity to send", "available")
    if record.available != record.available.to_integral_value():
        raise RecordError(
            f"Shopify keeps whole units; {record.sku} at {record.location} has {record.available}", "available"
        )
    return int(record.available)


def sku_query(skus: list[str]) -> str:
    return " OR ".join(f'sku:"{sku}"' for sku in skus)
