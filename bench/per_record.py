"""The peer a stock sync is compared with: a script that syncs record by record.

As such integrations are usually written: it compares the ERP's export with the one it synced
last, and for each SKU whose rows changed it reads that SKU's stock in Shopify (one query) and sets
its quantities there (one `inventorySetQuantities`). It keeps no state but the last export, so it
never sees a change made in the shop, and it reads nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from connectors.shopify.client import ShopifyClient
from engine.records import Entity, StockLevel

Stock = Mapping[tuple[str, str], tuple[int, int]]  # (sku, ERP location) → (on hand, reserved)


def sync(client: ShopifyClient, before: Stock, after: Stock, locations: Mapping[str, str]) -> int:
    """One read and one write per SKU changed between the two exports; returns the levels written."""
    changed = sorted({sku for key, levels in after.items() if before.get(key) != levels for sku in (key[0],)})
    written = 0
    for sku in changed:
        client.read(Entity.stock, [(sku, name) for name in locations.values()])
        records = [
            StockLevel(sku=sku, location=name, available=Decimal(max(after[(sku, loc)][0] - after[(sku, loc)][1], 0)))
            for loc, name in locations.items()
        ]
        outcomes = client.write(Entity.stock, records)
        failed = [outcome.error for outcome in outcomes if outcome.error]
        if failed:
            raise RuntimeError(f"the record-by-record sync failed: {failed[:3]}")
        written += len(records)
    return written
