"""The Rackbeat sandbox's account: its records and the rules Rackbeat keeps on them (see `protocol`).

A product needs its product group; a product with stock is not deleted; customers without a
number take the next of the series; orders are made booked or as drafts, booked once, shipped
through a shipment, invoiced; their flags follow. Stock is kept per item and location; booked
orders not yet shipped or invoiced reserve it at the default location, and the first of shipping
or invoicing draws it; a booked count (checking draft) sets it. Every change is told to
`on_event` (the webhooks) as Rackbeat names it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from connectors.rackbeat.protocol import DEFAULT_TIMEZONE, TIME_FORMAT, urlfriendly

Data = dict[str, Any]
ORDER_FLAGS = (
    "is_archived",
    "is_booked",
    "is_cancelled",
    "is_shipped",
    "is_partly_shipped",
    "is_ready_for_shipping",
    "is_ready_for_invoicing",
    "is_invoiced",
    "is_partly_invoiced",
)


class Refused(Exception):
    """A 422: `errors` maps dotted field paths to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = {path: [message] for path, message in errors.items()}


class NotFound(Exception):
    pass


def _decimal(value: Any, path: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Refused({path: f"The {path.split('.')[-1].replace('_', ' ')} must be a number."}) from None
    if not number.is_finite():
        raise Refused({path: f"The {path.split('.')[-1].replace('_', ' ')} must be a number."})
    return number


def _plain(value: Decimal) -> float | int:
    """A quantity or price as Rackbeat's JSON has it: a number."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Account:
    timezone: str = DEFAULT_TIMEZONE
    clock: Callable[[], datetime] = datetime.now
    on_event: Callable[[str, Data, Data], None] = lambda event, data, extra: None
    groups: dict[str, Data] = field(default_factory=dict)
    products: dict[str, Data] = field(default_factory=dict)
    locations: dict[str, Data] = field(default_factory=dict)
    stock: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (item number, location number) → in stock
    customers: dict[int, Data] = field(default_factory=dict)
    orders: dict[int, Data] = field(default_factory=dict)
    shipments: dict[int, Data] = field(default_factory=dict)
    invoices: dict[int, Data] = field(default_factory=dict)
    checking_drafts: dict[int, Data] = field(default_factory=dict)  # stock counts, open or booked
    adjustments: list[Data] = field(default_factory=list)  # the quantity adjustments booked counts registered
    next_customer_number: int = 10001  # the customer number series
    next_order_number: int = 5001
    _ids: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def now(self) -> str:
        return self.clock().astimezone(ZoneInfo(self.timezone)).strftime(TIME_FORMAT)

    def _id(self) -> int:
        self._ids += 1
        return self._ids

    # ---- product groups -------------------------------------------------------------------------

    def save_group(self, body: Data, number: str | None = None) -> Data:
        number = number or str(body.get("number") or "")
        if not number:
            raise Refused({"number": "The number field is required."})
        if not body.get("name") and number not in self.groups:
            raise Refused({"name": "The name field is required."})
        group = self.groups.get(number) or {
            "id": self._id(),
            "number": number,
            "vat_domestic": 25,
            "vat_eu": 0,
            "vat_abroad": 0,
            "created_at": self.now(),
        }
        created = number not in self.groups
        group.update({"name": str(body.get("name") or group.get("name")), "updated_at": self.now()})
        self.groups[number] = group
        self.on_event("product_group.created" if created else "product_group.updated", group, {})
        return group

    def group(self, number: str) -> Data:
        if number not in self.groups:
            raise NotFound(number)
        return self.groups[number]

    def delete_group(self, number: str) -> None:
        self.group(number)
        if any(p["group_id"] == self.groups[number]["id"] for p in self.products.values()):
            raise Refused({"number": "The product group has products and cannot be deleted."})
        del self.groups[number]

    # ---- products -------------------------------------------------------------------------------

    def product(self, key: str) -> Data:
        """A product by its number or its urlfriendly number."""
        found = self.products.get(key) or next(
            (p for p in self.products.values() if p["urlfriendly_number"] == key), None
        )
        if found is None:
            raise NotFound(key)
        return self._with_stock(found)

    def _with_stock(self, product: Data) -> Data:
        number = product["number"]
        in_stock = sum((q for (item, _), q in self.stock.items() if item == number), Decimal(0))
        in_order = sum((self.reserved(number, loc) for loc in self.locations), Decimal(0))
        return {
            **product,
            "stock_quantity": _plain(in_stock),
            "in_order_quantity": _plain(in_order),
            "available_quantity": _plain(in_stock - in_order),
        }

    def save_product(self, body: Data, key: str | None = None) -> Data:
        existing = self.product(key) if key is not None else None
        number = str(body.get("number") or (existing or {}).get("number") or "")
        errors: dict[str, str] = {}
        if not number:
            errors["number"] = "The number field is required."
        elif existing is None and number in self.products:
            errors["number"] = "The number has already been taken."
        group = next((g for g in self.groups.values() if g["id"] == body.get("group_id")), None)
        if existing is None or "group_id" in body:
            if body.get("group_id") is None:
                errors["group_id"] = "The group id field is required."
            elif group is None:
                errors["group_id"] = "The selected group id is invalid."
        if existing is None and not body.get("name"):
            errors["name"] = "The name field is required."
        if "sales_price" in body:
            _decimal(body["sales_price"], "sales_price")
        if errors:
            raise Refused(errors)
        product = dict(
            existing or {"id": self._id(), "created_at": self.now(), "is_barred": False, "inventory_enabled": True}
        )
        old_number = product.get("number")
        for name in ("name", "description", "barcode"):
            if name in body:
                product[name] = body[name]
        if "sales_price" in body:
            product["sales_price"] = _plain(_decimal(body["sales_price"], "sales_price"))
        if "physical" in body:
            product["physical"] = {
                "weight": _plain(_decimal((body["physical"] or {}).get("weight", 0), "physical.weight"))
            }
        if group is not None:
            product.update(
                {
                    "group_id": group["id"],
                    "group": {k: group[k] for k in ("number", "name", "vat_domestic", "vat_eu", "vat_abroad")},
                }
            )
        product.update(
            {"number": number, "urlfriendly_number": self._urlfriendly(number, old_number), "updated_at": self.now()}
        )
        if old_number and old_number != number:
            del self.products[old_number]
            self.stock = {(number if item == old_number else item, loc): q for (item, loc), q in self.stock.items()}
        self.products[number] = product
        if existing is None:
            self.on_event("product.created", self._with_stock(product), {})
        else:
            changed = sorted(k for k in product if product.get(k) != existing.get(k) and k != "updated_at")
            self.on_event(
                "product.updated",
                self._with_stock(product),
                {"old_key": old_number, "new_key": number, "changed": changed},
            )
        return self._with_stock(product)

    def _urlfriendly(self, number: str, old: str | None) -> str:
        made, n = urlfriendly(number), 1
        taken = {p["urlfriendly_number"] for key, p in self.products.items() if key != old}
        while made in taken:
            n += 1
            made = f"{urlfriendly(number)}-{n}"
        return made

    def delete_product(self, key: str) -> None:
        product = self.product(key)
        if any(q for (item, _), q in self.stock.items() if item == product["number"]):
            raise Refused({"number": "The item has registered stock and cannot be deleted."})
        if any(line["item_id"] == product["id"] for order in self.orders.values() for line in order["lines"]):
            raise Refused({"number": "The item is used on orders and cannot be deleted."})
        del self.products[product["number"]]
        self.on_event("product.deleted", {"number": product["number"]}, {})

    # ---- stock ----------------------------------------------------------------------------------

    def default_location(self) -> str:
        return next((n for n, loc in self.locations.items() if loc.get("is_default")), next(iter(self.locations)))

    def reserved(self, item: str, location: str) -> Decimal:
        """Held by booked orders not yet shipped, invoiced or cancelled, at the default location."""
        if location != self.default_location():
            return Decimal(0)
        product_id = self.products[item]["id"] if item in self.products else None
        return sum(
            (
                Decimal(str(line["quantity"]))
                for order in self.orders.values()
                if order["is_booked"] and not order["stock_drawn"] and not order["is_cancelled"]
                for line in order["lines"]
                if line["item_id"] == product_id
            ),
            Decimal(0),
        )

    def item_stock(self, key: str) -> list[Data]:
        number = self.product(key)["number"]
        rows = []
        for location, data in self.locations.items():
            in_stock = self.stock.get((number, location), Decimal(0))
            in_order = self.reserved(number, location)
            rows.append(
                {
                    "location": {"number": location, "name": data["name"]},
                    "in_stock": _plain(in_stock),
                    "in_order": _plain(in_order),
                    "available": _plain(in_stock - in_order),
                }
            )
        return rows

    def create_checking_draft(self, body: Data) -> Data:
        """A draft count of one item at one location; the stock changes only when it is booked."""
        errors: dict[str, str] = {}
        item = str(body.get("item_number") or "")
        location = str(body.get("location_number") or "")
        if not item:
            errors["item_number"] = "The item number field is required."
        elif item not in self.products:
            errors["item_number"] = "The selected item number is invalid."
        if not location:
            errors["location_number"] = "The location number field is required."
        elif location not in self.locations:
            errors["location_number"] = "The selected location number is invalid."
        if body.get("quantity") is None:
            errors["quantity"] = "The quantity field is required."
        elif _decimal(body["quantity"], "quantity") < 0:
            errors["quantity"] = "The quantity must be at least 0."
        if errors:
            raise Refused(errors)
        draft_id = self._id()
        draft: Data = {
            "id": draft_id,
            "item_number": item,
            "location_number": location,
            "quantity": _plain(_decimal(body["quantity"], "quantity")),
            "is_booked": False,
            "created_at": self.now(),
            "updated_at": self.now(),
        }
        self.checking_drafts[draft_id] = draft
        return draft

    def book_checking_draft(self, draft_id: str) -> Data:
        """The count booked: the item's stock at the location becomes what was counted, the difference
        registered as a quantity adjustment."""
        if not draft_id.isdigit() or int(draft_id) not in self.checking_drafts:
            raise NotFound(draft_id)
        draft = self.checking_drafts[int(draft_id)]
        if draft["is_booked"]:
            raise Refused({"checking_draft": "The checking draft is already booked."})
        key = (draft["item_number"], draft["location_number"])
        counted = Decimal(str(draft["quantity"]))
        difference = counted - self.stock.get(key, Decimal(0))
        self.stock[key] = counted
        draft.update(is_booked=True, updated_at=self.now())
        if difference:
            self.adjustments.append({"item_number": key[0], "location_number": key[1], "quantity": _plain(difference)})
        return draft

    # ---- customers ------------------------------------------------------------------------------

    FIELDS = (
        "name",
        "contact_email",
        "contact_phone",
        "company_vat",
        "address_street",
        "address_zipcode",
        "address_city",
        "address_country",
        "vat_zone",
        "currency",
        "ean",
    )

    def customer(self, number: str) -> Data:
        if not number.isdigit() or int(number) not in self.customers:
            raise NotFound(number)
        return self.customers[int(number)]

    def save_customer(self, body: Data, key: str | None = None) -> Data:
        existing = self.customer(key) if key is not None else None
        if existing is None and not body.get("name"):
            raise Refused({"name": "The name field is required."})
        if existing is None:
            number = body.get("number")
            if number is None:
                number, self.next_customer_number = self.next_customer_number, self.next_customer_number + 1
            elif int(number) in self.customers:
                raise Refused({"number": "The number has already been taken."})
            existing = {
                "id": self._id(),
                "number": int(number),
                "created_at": self.now(),
                "is_barred": False,
                "vat_zone": "domestic",
                "currency": "DKK",
            }
            event = "customer.created"
        else:
            event = "customer.updated"
        customer = {**existing, **{k: body[k] for k in self.FIELDS if k in body}, "updated_at": self.now()}
        self.customers[customer["number"]] = customer
        self.on_event(event, customer, {})
        return customer

    # ---- orders ---------------------------------------------------------------------------------

    def order(self, number: str) -> Data:
        if not number.isdigit() or int(number) not in self.orders:
            raise NotFound(number)
        return self._shown(self.orders[int(number)])

    def _shown(self, order: Data) -> Data:
        return {k: v for k, v in order.items() if k != "stock_drawn"}

    def create_order(self, body: Data, booked: bool) -> Data:
        errors: dict[str, str] = {}
        customer = next((c for c in self.customers.values() if c["id"] == body.get("customer_id")), None)
        if customer is None:
            errors["customer_id"] = "The selected customer id is invalid."
        lines = body.get("lines")
        if not isinstance(lines, list) or not lines:
            errors["lines"] = "The lines field is required."
            lines = []
        made_lines = []
        for index, line in enumerate(lines):
            item = next((p for p in self.products.values() if p["id"] == line.get("item_id")), None)
            if item is None:
                errors[f"lines.{index}.item_id"] = "The selected item id is invalid."
                continue
            quantity = _decimal(line.get("quantity", 1), f"lines.{index}.quantity")
            if quantity <= 0:
                errors[f"lines.{index}.quantity"] = "The quantity must be greater than 0."
            price = _decimal(line.get("line_price", item.get("sales_price", 0)), f"lines.{index}.line_price")
            discount = _decimal(line.get("discount_percentage", 0), f"lines.{index}.discount_percentage")
            vat = line.get("vat_percentage", item["group"]["vat_domestic"])
            made_lines.append(
                {
                    "id": self._id(),
                    "item_id": item["id"],
                    "item": {"number": item["number"], "name": item["name"]},
                    "name": line.get("name") or item["name"],
                    "quantity": _plain(quantity),
                    "line_price": _plain(price),
                    "discount_percentage": _plain(discount),
                    "vat_percentage": _plain(_decimal(vat, f"lines.{index}.vat_percentage")),
                    "line_total": _plain((price * quantity * (100 - discount) / 100).quantize(Decimal("0.01"))),
                }
            )
        if errors:
            raise Refused(errors)
        assert customer is not None
        number, self.next_order_number = self.next_order_number, self.next_order_number + 1
        order = {
            "id": self._id(),
            "number": number,
            "customer": {k: customer.get(k) for k in ("id", "number", "name", "contact_email")},
            "currency": body.get("currency") or customer.get("currency", "DKK"),
            "vat_zone": body.get("vat_zone") or customer.get("vat_zone"),
            "your_reference": body.get("your_reference"),
            "note": body.get("note"),
            "order_date": body.get("order_date") or self.now()[:10],
            "lines": made_lines,
            "stock_drawn": False,
            "created_at": self.now(),
            "updated_at": self.now(),
            **dict.fromkeys(ORDER_FLAGS, False),
        }
        self.orders[number] = order
        if booked:
            self._book(order)
        self.on_event("order.created", self._shown(order), {})
        return self._shown(order)

    def _touch(self, order: Data) -> Data:
        order["updated_at"] = self.now()
        self.on_event("order.updated", self._shown(order), {})
        return self._shown(order)

    def _book(self, order: Data) -> None:
        order.update(is_booked=True, is_ready_for_invoicing=True)

    def book(self, number: str) -> Data:
        order = self.orders[int(self.order(number)["number"])]
        if order["is_booked"]:
            raise Refused({"order": "The order is already booked."})
        self._book(order)
        return self._touch(order)

    def create_shipment(self, number: str) -> Data:
        order = self.orders[int(self.order(number)["number"])]
        if not order["is_booked"]:
            raise Refused({"order": "The order must be booked before it can be shipped."})
        if order["is_shipped"]:
            raise Refused({"order": "The order is already shipped."})
        shipment = {
            "id": self._id(),
            "order_number": order["number"],
            "customer": order["customer"],
            "is_picked": False,
            "is_partly_picked": False,
            "is_shipped": False,
            "created_at": self.now(),
            "lines": [{"item": line["item"], "quantity": line["quantity"]} for line in order["lines"]],
        }
        self.shipments[shipment["id"]] = shipment
        order["is_ready_for_shipping"] = True
        self._touch(order)
        return shipment

    def mark_shipped(self, shipment_id: str) -> Data:
        if not shipment_id.isdigit() or int(shipment_id) not in self.shipments:
            raise NotFound(shipment_id)
        shipment = self.shipments[int(shipment_id)]
        if shipment["is_shipped"]:
            raise Refused({"shipment": "The shipment is already shipped."})
        shipment.update(is_picked=True, is_shipped=True)
        order = self.orders[shipment["order_number"]]
        self._draw_stock(order)
        order.update(is_shipped=True, is_ready_for_shipping=False)
        self._touch(order)
        return shipment

    def convert_to_invoice(self, number: str, book: bool) -> int:
        order = self.orders[int(self.order(number)["number"])]
        if not order["is_booked"]:
            raise Refused({"order": "The order must be booked before it can be invoiced."})
        if order["is_invoiced"]:
            raise Refused({"order": "The order is already invoiced."})
        invoice_id = self._id()
        self.invoices[invoice_id] = {
            "id": invoice_id,
            "number": invoice_id,
            "order_number": order["number"],
            "is_booked": book,
            "lines": order["lines"],
            "created_at": self.now(),
        }
        if book:  # a booked invoice draws the stock, unless shipping drew it already
            self._draw_stock(order)
        order.update(is_invoiced=True, is_ready_for_invoicing=False)
        self._touch(order)
        return invoice_id

    def _draw_stock(self, order: Data) -> None:
        if order["stock_drawn"]:
            return
        location = self.default_location()
        for line in order["lines"]:
            key = (line["item"]["number"], location)
            self.stock[key] = self.stock.get(key, Decimal(0)) - Decimal(str(line["quantity"]))
        order["stock_drawn"] = True
