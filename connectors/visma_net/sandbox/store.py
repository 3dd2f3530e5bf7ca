"""The Visma.net sandbox's company: its records in their read shapes, and what each operation does.

Writes arrive unwrapped (`values.unwrap`) in their write names and are kept in the read names
(`countryId` → `country.id`, `priceClassId` → `priceClass.id`); lists page as the ERP pages them
(`pageNumber` from 1, `pageSize` cut to the list's maximum, `metadata` on every item) and V3's
in its envelope. Stock is kept as on hand, booked and allocated, and derived from them. A refusal
is a `Refused` with the status and the words Visma.net would answer with.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.visma_net.protocol import MAX_PAGE_SIZE

COUNTRIES = {"NO": "Norway", "SE": "Sweden", "DK": "Denmark", "FI": "Finland", "NL": "Netherlands", "DE": "Germany",
             "GB": "United Kingdom", "BE": "Belgium", "FR": "France", "US": "United States"}  # fmt: skip
EXPANDED = {
    "customer": "customer",
    "payment": "paymentSettings",
    "financialinformation": "financialInformation",
    "shipping": "shipping",
    "note": "note",
}  # V3 expand value → the section it fills
CONDITIONS: dict[str, Callable[[str, str], bool]] = {
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
}  # fmt: skip


class Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def _comparable(text: str) -> str:
    """A date-time as sortable text, whether written with a space or a T, with or without an offset."""
    return text.replace(" ", "T")[:23]


@dataclass
class Attachment:
    id: str
    name: str
    revision: int
    content: bytes


@dataclass
class Company:
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    item_classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sales_categories: list[dict[str, Any]] = field(default_factory=list)
    warehouses: dict[str, dict[str, Any]] = field(default_factory=dict)
    branches: dict[str, dict[str, Any]] = field(default_factory=dict)
    order_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)  # (item, warehouse) → quantities
    prices: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (type, id) → head with lines
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    carriers: dict[str, dict[str, Any]] = field(default_factory=dict)  # ship via id → CarrierDto
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # reference number → CustomerInvoiceDto
    versions: dict[str, int] = field(default_factory=dict)  # record path → version (the ETag)
    max_page_size: int = MAX_PAGE_SIZE
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(10001))

    # ---- versions (ETags) -------------------------------------------------------------------

    def etag(self, path: str) -> str:
        return f'"{self.versions.setdefault(path.lower(), 1)}"'

    def touch(self, path: str) -> None:
        self.versions[path.lower()] = self.versions.get(path.lower(), 1) + 1

    # ---- lists ------------------------------------------------------------------------------

    def page(self, items: list[dict[str, Any]], query: Mapping[str, str], max_size: int | None = None) -> list[Any]:
        """One ERP page of `items` after the change filter, each with its `metadata`."""
        items = _changed(items, query)
        limit = max_size or self.max_page_size
        size = min(int(query.get("pageSize") or limit), limit)
        number = max(int(query.get("pageNumber") or 1), 1)
        chosen = items[(number - 1) * size : number * size]
        return [{**item, "metadata": {"totalCount": len(items), "maxPageSize": limit}} for item in chosen]

    # ---- customers and contacts -------------------------------------------------------------

    def list_customers(self, query: Mapping[str, str]) -> list[Any]:
        found = list(self.customers.values())
        if "email" in query:
            email = query["email"].lower()
            found = [c for c in found if str((c.get("mainContact") or {}).get("email") or "").lower() == email]
        return self.page(found, query)

    def customer(self, number: str) -> dict[str, Any]:
        found = self.customers.get(number)
        if found is None:
            raise Refused(404, f"Customer {number} not found.")
        return found

    def save_customer(self, body: Mapping[str, Any], number: str | None = None) -> str:
        existing = self.customers.get(number) if number else None
        if number is not None and existing is None:
            raise Refused(404, f"Customer {number} not found.")
        record = dict(existing or {"internalId": len(self.customers) + 1, "status": "Active",
                                   "createdDateTime": now()})  # fmt: skip
        if existing is None:
            record["number"] = str(body.get("number") or next(self._numbers))
            if record["number"] in self.customers:
                raise Refused(400, f"Error creating customer. Customer {record['number']} already exists.")
        for name in ("name", "status", "vatRegistrationId", "corporateId", "currencyId", "gln", "note"):
            if body.get(name) is not None:
                record[name] = body[name]
        for write, read in (("customerClassId", "customerClass"), ("priceClassId", "priceClass"),
                            ("creditTermsId", "creditTerms"), ("vatZoneId", "vatZone")):  # fmt: skip
            if body.get(write) is not None:
                record[read] = {"id": body[write]}
        if body.get("mainContact") is not None:
            record["mainContact"] = {**record.get("mainContact", {}), **body["mainContact"]}
        if body.get("mainAddress") is not None:
            record["mainAddress"] = {**record.get("mainAddress", {}), **_address(body["mainAddress"])}
        if not record.get("name"):
            raise Refused(400, "Error creating customer. 'Customer Name' cannot be empty.")
        record["lastModifiedDateTime"] = now()
        self.customers[record["number"]] = record
        if existing is not None:
            self.touch(f"/v1/customer/{number}")
        return str(record["number"])

    def list_contacts(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        found = list(self.contacts.values())
        for name in ("email", "businessAccount"):
            if name in query:
                found = [c for c in found if str(c.get(name) or "").lower() == query[name].lower()]
        return found  # the description declares no paging here

    def save_contact(self, body: Mapping[str, Any], contact_id: int | None = None) -> int:
        existing = self.contacts.get(contact_id) if contact_id is not None else None
        if contact_id is not None and existing is None:
            raise Refused(404, f"Contact {contact_id} not found.")
        account = body.get("businessAccount")
        if account is not None and account not in self.customers:
            raise Refused(400, f"Error inserting the contact. Business account {account} does not exist.")
        record = dict(existing or {"contactId": max(self.contacts, default=100) + 1, "active": True})
        for name, value in body.items():
            if name == "address":
                record["address"] = _address(value)
            elif value is not None:
                record[name] = value
        record["displayName"] = " ".join(p for p in (record.get("firstName"), record.get("lastName")) if p)
        record["lastModifiedDateTime"] = now()
        self.contacts[int(record["contactId"])] = record
        if existing is not None:
            self.touch(f"/v1/contact/{contact_id}")
        return int(record["contactId"])

    # ---- inventory ----------------------------------------------------------------------------

    def item(self, number: str, query: Mapping[str, str] | None = None) -> dict[str, Any]:
        found = self.items.get(number)
        if found is None:
            raise Refused(404, f"Inventory item {number} not found.")
        return self._expanded(found, query or {})

    def list_items(self, query: Mapping[str, str]) -> list[Any]:
        found = [self._expanded(i, query) for i in self.items.values()]
        return self.page(found, query, 5000)

    def _expanded(self, item: dict[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
        """An item with the lists its query expands, and without those it does not."""
        out = {k: v for k, v in item.items() if k not in ("attachments", "attributes", "salesCategories")}
        number = str(item["inventoryNumber"])
        if query.get("expandAttachment") == "true":
            ids = item.get("attachments", [])
            out["attachments"] = [{"id": a.id, "name": a.name, "revision": a.revision}
                                  for a in self.attachments.values() if a.id in ids]  # fmt: skip
        if query.get("expandAttribute") == "true":
            out["attributes"] = item.get("attributes", [])
        if query.get("expandSalesCategories") == "true":
            out["salesCategories"] = item.get("salesCategories", [])
        out["inventoryNumber"] = number
        return out

    def attach(self, number: str, name: str, content: bytes) -> Attachment:
        """Upload a file to an item: a file name it has already is a new revision of that file."""
        item = self.items.get(number)
        if item is None:
            raise Refused(404, f"Inventory item {number} not found.")
        ids = item.setdefault("attachments", [])
        same = next((self.attachments[i] for i in ids if self.attachments[i].name == name), None)
        if same is not None:
            same.revision += 1
            same.content = content
            attachment = same
        else:
            attachment = Attachment(str(uuid.uuid4()), name, 1, content)
            self.attachments[attachment.id] = attachment
            ids.append(attachment.id)
        item["lastModifiedDateTime"] = now()
        return attachment

    def summary(self, number: str, query: Mapping[str, str]) -> list[Any]:
        item = self.item(number)
        rows = []
        for (sku, warehouse), quantities in sorted(self.stock.items()):
            if sku != number or query.get("warehouse", warehouse) != warehouse:
                continue
            on_hand, booked, allocated = (quantities.get(n, 0.0) for n in ("onHand", "soBooked", "soAllocated"))
            rows.append({
                "inventory": {"number": number, "description": item.get("description")},
                "warehouse": {"id": warehouse, "description": self.warehouses.get(warehouse, {}).get("description")},
                "onHand": on_hand, "soBooked": booked, "soAllocated": allocated, "soShipped": 0.0,
                "available": on_hand - allocated, "availableForShipment": on_hand - allocated,
                "notAvailable": 0.0, "baseUnit": item.get("baseUnit"),
            })  # fmt: skip
        return self.page(rows, {})

    def list_prices(self, query: Mapping[str, str]) -> list[Any]:
        found = [p for p in self.prices if query.get("priceType", "All") in ("All", p["priceType"])]
        if "inventoryId" in query:
            found = [p for p in found if p["inventoryId"] == query["inventoryId"]]
        return self.page(found, query)

    # ---- V3 sales orders -----------------------------------------------------------------------

    def create_order(self, body: Mapping[str, Any]) -> tuple[str, str]:
        kind = str(body["type"])
        order_type = self.order_types.get(kind)
        if order_type is None or not order_type.get("active", True):
            raise Refused(400, f"0003-InvalidValue: order type {kind} does not exist")
        customer = (body.get("customer") or {}).get("id")
        if customer not in self.customers:
            raise Refused(400, f"1407-InvalidCustomerStatus: customer {customer} does not exist")
        branch = body.get("branchId") or next((b for b, v in self.branches.items() if v.get("isMainBranch")), None)
        if branch not in self.branches:
            raise Refused(400, f"0003-InvalidValue: branch {branch} does not exist")
        lines = []
        for index, line in enumerate(body.get("orderLines") or [], 1):
            if line["inventoryId"] not in self.items:
                raise Refused(400, f"1804-InventoryIdNotFound: {line['inventoryId']}")
            lines.append({"lineId": index, "sortOrder": index,
                          "inventory": {"id": line["inventoryId"],
                                        "description": self.items[line["inventoryId"]].get("description")},
                          "description": line.get("description"), "quantity": line.get("quantity") or 0,
                          "quantityOnShipments": 0.0, "openQuantity": line.get("quantity") or 0,
                          "unitPrice": line.get("unitPrice") or self.items[line["inventoryId"]].get("defaultPrice"),
                          "warehouseId": line.get("warehouseId"), "branch": {"id": branch}})  # fmt: skip
        order_id = f"{sum(1 for k in self.orders if k[0] == kind) + 1:06d}"
        status = "Open" if order_type.get("behavior") == "SalesOrder" else "Invoiced"
        head = {
            "type": kind, "orderId": order_id, "status": {"description": status, "hold": False, "cancelled": False},
            "date": body.get("date") or now(), "lastModified": now(), "version": _row_version(1),
            "currencyId": body.get("currencyId"), "note": body.get("note"), "branch": {"id": branch},
            "customer": {"internalId": self.customers[customer]["internalId"], "id": customer,
                         "name": self.customers[customer].get("name"),
                         "order": (body.get("customer") or {}).get("order")},
            "shipping": {"shipVia": {"id": (body.get("shipping") or {}).get("shipViaId")}},
            "paymentSettings": {"paymentMethod": {"id": (body.get("paymentSettings") or {}).get("paymentMethodId")}},
            "financialInformation": {"terms": {"id": (body.get("customer") or {}).get("termsId")}},
            "lines": lines,
        }  # fmt: skip
        self.orders[(kind, order_id)] = head
        return kind, order_id

    def order(self, kind: str, order_id: str) -> dict[str, Any]:
        found = self.orders.get((kind, order_id))
        if found is None:
            raise Refused(404, f"Sales order {kind} {order_id} not found")
        return found

    def order_view(self, kind: str, order_id: str, expand: list[str]) -> dict[str, Any]:
        """An order as the V3 single view shows it: the sections `expand` names (case-insensitive,
        `All` for every one) filled, the others left out, as Visma's description says."""
        head = self.order(kind, order_id)
        wanted = {e.strip().lower() for e in expand}
        shown = {k: v for k, v in head.items() if k not in ("lines", *EXPANDED.values())}
        for section, name in EXPANDED.items():
            if section in wanted or "all" in wanted:
                shown[name] = head[name]
        return shown

    def order_etag(self, kind: str, order_id: str) -> str:
        return f'"{self.order(kind, order_id)["version"]}"'

    def patch_order(self, kind: str, order_id: str, body: Mapping[str, Any]) -> None:
        """Change an order's description or note (what a `PatchSalesOrderCommand` may set that the
        sandbox keeps); every change is a new version."""
        head = self.order(kind, order_id)
        for name in ("description", "note"):
            if name in body:
                head[name] = body[name]
        head["version"] = _row_version(int.from_bytes(base64.b64decode(head["version"]), "big") + 1)
        head["lastModified"] = now()

    def order_list(self) -> list[dict[str, Any]]:
        return [{"orderId": h["orderId"], "type": h["type"], "status": h["status"]["description"],
                 "customerId": h["customer"]["id"], "customerName": h["customer"]["name"],
                 "customerOrder": h["customer"]["order"], "date": h["date"], "lastModified": h["lastModified"],
                 "currency": h["currencyId"], "orderQty": sum(line["quantity"] for line in h["lines"])}
                for h in self.orders.values()]  # fmt: skip

    # ---- shipments -------------------------------------------------------------------------------

    def ship(self, number: str, kind: str, order_id: str, lines: Mapping[str, float], tracking: str,
             carrier: str, warehouse: str) -> dict[str, Any]:  # fmt: skip
        """A confirmed shipment of these quantities of an order's items: the order's lines show them
        on shipments, and stock leaves the warehouse."""
        order = self.order(kind, order_id)
        if carrier not in self.carriers:
            raise Refused(400, f"Ship via {carrier} does not exist")
        detail = []
        for index, (sku, quantity) in enumerate(lines.items(), 1):
            line = next((x for x in order["lines"] if x["inventory"]["id"] == sku), None)
            if line is None or quantity > line["openQuantity"]:
                raise Refused(400, f"Order {kind} {order_id} has no {quantity} of {sku} open to ship")
            line["quantityOnShipments"] += quantity
            line["openQuantity"] -= quantity
            levels = self.stock.setdefault((sku, warehouse), {"onHand": 0.0})
            levels["onHand"] = levels.get("onHand", 0.0) - quantity
            detail.append({"lineNumber": index, "orderType": kind, "orderNbr": order_id, "orderLineNbr": line["lineId"],
                           "inventoryNumber": sku, "warehouse": {"id": warehouse}, "shippedQty": quantity,
                           "orderedQty": line["quantity"], "openQty": line["openQuantity"]})  # fmt: skip
        order["status"]["description"] = "Completed" if all(x["openQuantity"] <= 0 for x in order["lines"]) else \
            "BackOrder"  # fmt: skip
        shipment = {
            "shipmentNumber": number, "shipmentType": "Issue", "status": "Confirmed", "hold": False,
            "operation": "Issue", "shipmentDate": now(), "lastModifiedDateTime": now(),
            "customer": {"number": order["customer"]["id"], "name": order["customer"]["name"]},
            "fromWarehouse": {"id": warehouse},
            "shipVia": {"id": carrier, "description": self.carriers[carrier]["carrierDescription"]},
            "shippedQuantity": sum(lines.values()), "packages": 1, "shipmentDetailLines": detail,
            "shipmentOrderLines": [{"orderType": kind, "orderNbr": order_id, "shippedQty": sum(lines.values())}],
            "shipmentPackageLines": [{"lineNumber": 1, "confirmed": True, "boxId": "PARCEL",
                                      "trackingNumber": tracking}],
        }  # fmt: skip
        self.shipments[number] = shipment
        return shipment

    def list_shipments(self, query: Mapping[str, str]) -> list[Any]:
        found = list(self.shipments.values())
        if "status" in query:
            found = [s for s in found if s["status"] == query["status"]]
        return self.page(found, query)

    def carrier(self, carrier_id: str) -> dict[str, Any]:
        found = self.carriers.get(carrier_id)
        if found is None:
            raise Refused(404, f"Carrier {carrier_id} not found.")
        return found

    # ---- customer invoices -------------------------------------------------------------------------

    def invoice(self, kind: str, order_id: str) -> dict[str, Any]:
        """The released customer invoice of what an order shipped, as preparing and releasing it
        makes one: a line per shipped line with the shipment and order it came from; a cash sale's
        order type makes a cash sale. An order with nothing shipped is refused."""
        order = self.order(kind, order_id)
        shipped = [(s["shipmentNumber"], line) for s in self.shipments.values() for line in s["shipmentDetailLines"]
                   if (line["orderType"], line["orderNbr"]) == (kind, order_id)]  # fmt: skip
        if not shipped:
            raise Refused(400, f"Order {kind} {order_id} has nothing shipped to invoice")
        prices = {line["lineId"]: line["unitPrice"] or 0.0 for line in order["lines"]}
        lines = [{"lineNumber": index, "soShipmentNbr": shipment, "soOrderType": kind, "soOrderNbr": order_id,
                  "inventoryNumber": line["inventoryNumber"], "quantity": line["shippedQty"],
                  "unitPrice": prices[line["orderLineNbr"]],
                  "amount": line["shippedQty"] * prices[line["orderLineNbr"]],
                  "branchNumber": {"number": order["branch"]["id"]}}
                 for index, (shipment, line) in enumerate(shipped, 1)]  # fmt: skip
        amount = round(sum(line["amount"] for line in lines), 2)
        cash = self.order_types[kind].get("customerDocumentType") == "CashSale"
        number = f"{len(self.invoices) + 100001}"
        invoice = {
            "referenceNumber": number, "documentType": "CashSale" if cash else "Invoice", "status": "Open",
            "hold": False, "documentDate": now(), "lastModifiedDateTime": now(), "createdDateTime": now(),
            "customer": {"number": order["customer"]["id"], "name": order["customer"]["name"]},
            "customerRefNumber": order["customer"]["order"] or "", "currencyId": order["currencyId"] or "",
            "amount": amount, "balance": amount, "branchNumber": {"number": order["branch"]["id"]},
            "invoiceLines": lines,
        }  # fmt: skip
        self.invoices[number] = invoice
        order["status"]["description"] = "Invoiced"
        return invoice

    def list_invoices(self, query: Mapping[str, str]) -> list[Any]:
        found = list(self.invoices.values())
        for name, read in (("customerRefNumber", "customerRefNumber"), ("documentType", "documentType"),
                           ("status", "status")):  # fmt: skip
            if name in query:
                found = [i for i in found if i[read] == query[name]]
        if "customer" in query:
            found = [i for i in found if i["customer"]["number"] == query["customer"]]
        return self.page(found, query)

    def customer_invoice(self, number: str) -> dict[str, Any]:
        found = self.invoices.get(number)
        if found is None:
            raise Refused(404, f"Customer invoice {number} not found.")
        return found


def _row_version(number: int) -> str:
    """An order's version as V3 gives it (a row version, 8 bytes in base64)."""
    return base64.b64encode(number.to_bytes(8, "big")).decode()


def _address(body: Mapping[str, Any]) -> dict[str, Any]:
    """An address written (`countryId`) as it is read (`country{id, name}`); an unknown country is refused."""
    out = {k: v for k, v in body.items() if k not in ("countryId", "county")}
    country = body.get("countryId")
    if country is not None:
        if country not in COUNTRIES:
            raise Refused(400, f"Error creating customer. Country '{country}' does not exist.")
        out["country"] = {"id": country, "name": COUNTRIES[country]}
    return out


def _changed(items: list[dict[str, Any]], query: Mapping[str, str]) -> list[dict[str, Any]]:
    """Items after a `lastModifiedDateTime` + `lastModifiedDateTimeCondition` filter; one without the
    other is refused, as is a condition the ERP does not know."""
    value, condition = query.get("lastModifiedDateTime"), query.get("lastModifiedDateTimeCondition")
    if value is None and condition is None:
        return items
    if value is None or condition not in CONDITIONS:
        raise Refused(400, "lastModifiedDateTime and lastModifiedDateTimeCondition (>, >=, <, <=) go together")
    compare = CONDITIONS[condition]
    return [i for i in items if compare(_comparable(str(i.get("lastModifiedDateTime") or "")), _comparable(value))]
