"""The sandbox shop's inventory: inventory items, locations, and the stock level of each item at each.

As in Shopify, every variant has one inventory item (its SKU, whether stock is tracked), and an item
is stocked at every active location from the moment it is made. A level keeps three quantities:
`available` and `on_hand` move together, `reserved` is what on hand is not available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.shopify.sandbox.ledger import Event, Ledger, now, user_error

QUANTITY_NAMES = ("available", "on_hand", "reserved")
MAX_QUANTITY = 1_000_000_000


class InventoryStore:
    """Inventory items, locations and stock levels, with the rules of `inventorySetQuantities`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.items: dict[str, dict[str, Any]] = {}  # inventory item id → item
        self.locations: dict[str, dict[str, Any]] = {}
        self.levels: dict[tuple[str, str], dict[str, int]] = {}  # (item id, location id) → quantities

    def add_location(self, name: str) -> str:
        """A new active location; items made from now on are stocked there."""
        with self.ledger.lock:
            location = self.ledger.new_id("Location")
            self.locations[location] = {"id": location, "name": name, "isActive": True}
            return location

    def location_named(self, name: str) -> str | None:
        """The id of the location with this name, if there is one."""
        return next((lid for lid, loc in self.locations.items() if loc["name"] == name), None)

    # ---- items, as variants make and change them -------------------------------------------

    def new_item(self, variant_id: str) -> str:
        """The inventory item of a new variant, tracked and stocked at every location with nothing."""
        item_id = self.ledger.new_id("InventoryItem")
        self.items[item_id] = {"id": item_id, "sku": None, "tracked": True, "variantId": variant_id}
        for location in self.locations:  # Shopify stocks a new variant at every active location
            self.levels[(item_id, location)] = dict.fromkeys(QUANTITY_NAMES, 0)
        return item_id

    def apply_variant_input(self, item_id: str, sku: str | None, data: Mapping[str, Any]) -> None:
        """What a ProductVariantSetInput says of its item: its SKU, tracking, and starting quantities."""
        item = self.items[item_id]
        item["sku"] = sku
        tracked = (data.get("inventoryItem") or {}).get("tracked")
        if tracked is not None:
            item["tracked"] = tracked
        for quantity in data.get("inventoryQuantities") or []:
            level = self.levels.setdefault((item["id"], quantity["locationId"]), dict.fromkeys(QUANTITY_NAMES, 0))
            level[quantity["name"]] = quantity["quantity"]
            if quantity["name"] == "available":
                level["on_hand"] = quantity["quantity"] + level["reserved"]
            else:
                level["available"] = quantity["quantity"] - level["reserved"]

    def remove_item(self, item_id: str) -> None:
        """A removed variant's item goes, with its levels."""
        self.items.pop(item_id, None)
        for key in [k for k in self.levels if k[0] == item_id]:
            del self.levels[key]

    def update_item(self, item_id: str, data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """inventoryItemUpdate: tracking and SKU."""
        with self.ledger.changing():
            item = self.items.get(item_id)
            if item is None:
                return None, [user_error(["id"], "Inventory item does not exist")]
            if data.get("tracked") is not None:
                item["tracked"] = bool(data["tracked"])
            if data.get("sku") is not None:
                item["sku"] = data["sku"]
            return item, []

    # ---- stock levels ----------------------------------------------------------------------

    def stocks(self, item_id: str, location_id: str) -> bool:
        """Whether the item has a stock level at the location."""
        return (item_id, location_id) in self.levels

    def adjust(self, item_id: str, location_id: str, delta: int) -> Event:
        """Stock taken by a sale (a negative `delta`) or put back where the item is stocked; its event."""
        level = self.levels[(item_id, location_id)]
        level["available"] += delta
        level["on_hand"] += delta
        return self.level_event(item_id, location_id, level)

    def level_event(self, item_id: str, location_id: str, level: Mapping[str, int]) -> Event:
        """The `inventory_levels/update` webhook of a level that changed: ids as numbers, as Shopify
        sends them (its published example), and the level's GraphQL id naming the item too."""
        item, location = int(item_id.rsplit("/", 1)[-1]), int(location_id.rsplit("/", 1)[-1])
        level_id = f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"
        payload = {"inventory_item_id": item, "location_id": location, "available": level["available"],
                   "updated_at": now(), "admin_graphql_api_id": level_id}  # fmt: skip
        return ("inventory_levels/update", payload)

    def set_quantities(self, data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """inventorySetQuantities: all of the quantities or none of them."""
        name = str(data.get("name"))
        errors = self._quantity_errors(name, data)
        if errors:
            return [], errors
        changes = []
        with self.ledger.changing() as events:
            for quantity in data["quantities"]:
                pair = (quantity["inventoryItemId"], quantity["locationId"])
                level = self.levels.setdefault(pair, dict.fromkeys(QUANTITY_NAMES, 0))
                delta = quantity["quantity"] - level[name]
                level[name] = quantity["quantity"]
                other = "on_hand" if name == "available" else "available"
                level[other] += delta
                changes.append({"name": name, "delta": delta, "item": pair[0], "location": pair[1],
                                "quantityAfterChange": level[name]})  # fmt: skip
                if delta:
                    events.append(self.level_event(pair[0], pair[1], level))
        return changes, []

    def _quantity_errors(self, name: str, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        if name not in ("available", "on_hand"):
            message = "The quantity name must be 'available' or 'on_hand'."
            errors.append(user_error(["input", "name"], message, "INVALID_NAME"))
        if not data.get("reason"):
            errors.append(user_error(["input", "reason"], "The reason is invalid.", "INVALID_REASON"))
        seen: set[tuple[str, str]] = set()
        for index, quantity in enumerate(data.get("quantities") or []):
            path: list[str | int] = ["input", "quantities", index]
            item = self.items.get(quantity["inventoryItemId"])
            pair = (quantity["inventoryItemId"], quantity["locationId"])
            if item is None:
                message = "The specified inventory item could not be found."
                errors.append(user_error([*path, "inventoryItemId"], message, "INVALID_INVENTORY_ITEM"))
            elif not item["tracked"]:
                message = "The inventory item is not tracked."
                errors.append(user_error([*path, "inventoryItemId"], message, "NON_MUTABLE_INVENTORY_ITEM"))
            if quantity["locationId"] not in self.locations:
                message = "The specified location could not be found."
                errors.append(user_error([*path, "locationId"], message, "INVALID_LOCATION"))
            if pair in seen:
                message = "The combination of inventoryItemId and locationId must be unique."
                errors.append(user_error(path, message, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
            seen.add(pair)
            if abs(quantity["quantity"]) > MAX_QUANTITY:
                message = "The quantity can't be higher than 1,000,000,000."
                errors.append(user_error([*path, "quantity"], message, "INVALID_QUANTITY_TOO_HIGH"))
            if "changeFromQuantity" not in quantity:
                message = "changeFromQuantity is required; pass null to skip the check."
                errors.append(user_error([*path, "changeFromQuantity"], message, "COMPARE_QUANTITY_REQUIRED"))
            elif quantity["changeFromQuantity"] is not None and item is not None:
                current = self.levels.get(pair, dict.fromkeys(QUANTITY_NAMES, 0)).get(name, 0)
                if current != quantity["changeFromQuantity"]:
                    message = f"The quantity changed to {current} since it was read."
                    errors.append(user_error([*path, "changeFromQuantity"], message, "CHANGE_FROM_QUANTITY_STALE"))
        return errors
