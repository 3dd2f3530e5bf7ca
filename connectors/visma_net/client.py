"""The Visma.net client: canonical records read from and written to one company.

Reads: products (inventory items with attributes, attachments and sales categories), categories
(item classes and sales categories), stock per warehouse (inventory summary), prices per customer
price class, customers with their contact persons, orders (V3) and shipments. Writes: customers
and orders, the way merchants rely on: an order whose Shopify number Visma.net has is skipped;
every item is checked before anything is created (a missing one fails the order whole); the
customer is found by email and updated, or created as a company with its contact person or as a
person, or the default debtor is used; the branch is filled in; the order goes to V3 as the
order type chosen for its kind.

An update is sent with the customer's ETag (`If-Match`); a 412 says someone changed it since it
was read, so it is read again and sent once more with the new ETag. A create whose answer was lost
is never sent again blindly (`protocol.WRITES`): it is looked for by its key (email, Shopify order
number); found, it is done; not found, the record fails and the next run writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from connectors.visma_net import convert
from connectors.visma_net.protocol import PRICE_CLASS, SHIPPED_STATUSES
from connectors.visma_net.settings import VismaNetSettings
from connectors.visma_net.transport import Answer, Transport, message
from connectors.visma_net.values import wrap
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, FatalConnectorError, RecordError
from engine.keys import Key
from engine.records import KEYS, MODELS, Customer, Entity, Order, Record

ITEM_EXPANSIONS = {"expandAttribute": True, "expandAttachment": True, "expandSalesCategories": True}


class VismaNetClient:
    def __init__(self, settings: VismaNetSettings, credentials: dict[str, str], transport: Transport | None = None):
        self.settings = settings
        self.transport = transport or Transport(settings, credentials["client_id"], credentials["client_secret"])
        self._order_numbers: dict[tuple[str, str], str] = {}
        self._order_types: dict[str, bool] = {}

    @property
    def calls(self) -> int:
        return self.transport.calls

    def close(self) -> None:
        self.transport.close()

    # ---- reading ---------------------------------------------------------------------------

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        readers: dict[Entity, Callable[[ReadFilter | None], Iterable[Record]]] = {
            Entity.product: self._read_products,
            Entity.category: self._read_categories,
            Entity.stock: self._read_stock,
            Entity.price: self._read_prices,
            Entity.customer: self._read_customers,
            Entity.order: self._read_orders,
            Entity.shipment: self._read_shipments,
        }
        if entity not in readers:
            raise FatalConnectorError(f"the visma_net connector cannot read {entity.value} records")
        if entity is Entity.customer and keys is not None:
            return [c for key in keys if (c := self._find_customer(key[0]))]
        records = list(readers[entity](wanted))
        if keys is None:
            return records
        wanted_keys = {tuple(key) for key in keys}
        return [r for r in records if _key(r) in wanted_keys]

    def _changed(self, wanted: ReadFilter | None) -> dict[str, Any]:
        """The change filter of a read after a cursor: `lastModifiedDateTime` with its condition."""
        if wanted is None or not wanted.since:
            return {}
        since = datetime.fromisoformat(wanted.since.replace("Z", "+00:00"))
        return {"lastModifiedDateTime": since.strftime("%Y-%m-%d %H:%M:%S"), "lastModifiedDateTimeCondition": ">="}

    def _items(self, wanted: ReadFilter | None = None) -> list[dict[str, Any]]:
        return list(self.transport.erp_list("/v1/inventory", {**ITEM_EXPANSIONS, **self._changed(wanted)}))

    def _read_products(self, wanted: ReadFilter | None) -> list[Record]:
        return list(convert.products_from(self._items(wanted), self.settings))

    def _read_categories(self, wanted: ReadFilter | None) -> list[Record]:
        classes = self.transport.erp_list("/v1/inventory/itemClass", paged=False)
        found: list[Record] = [convert.item_class_from(c) for c in classes]
        for category in self.transport.erp_list("/v1/salescategory", paged=False):
            found += convert.sales_categories_from(category)
        return list({c.key: c for c in found}.values())  # type: ignore[attr-defined]

    def _read_stock(self, wanted: ReadFilter | None) -> list[Record]:
        found: list[Record] = []
        for item in self._items():
            if item.get("stockItem") is False:
                continue
            rows = self.transport.erp_ok("GET", f"/v1/inventorysummary/{item['inventoryNumber']}") or []
            per_warehouse: dict[str, dict[str, Any]] = {}
            for row in rows:  # one row per warehouse and location: a warehouse's stock is their sum
                warehouse = str((row.get("warehouse") or {}).get("id") or "")
                total = per_warehouse.setdefault(warehouse, {"inventory": row["inventory"]})
                for name in ("onHand", "soBooked", "soAllocated"):
                    total[name] = (total.get(name) or 0) + (row.get(name) or 0)
            for warehouse, total in per_warehouse.items():
                location = self._location(warehouse)
                if location is not None:
                    found.append(convert.stock_from(total, location))
        return found

    def _location(self, warehouse: str) -> str | None:
        if not self.settings.warehouses:
            return warehouse
        return self.settings.warehouses.get(warehouse)

    def _read_prices(self, wanted: ReadFilter | None) -> list[Record]:
        found: list[Record] = []
        rows = self.transport.erp_list("/v1/customerSalesPrice", {"priceType": PRICE_CLASS, **self._changed(wanted)})
        for row in rows:
            code = str(row.get("priceCode") or "")
            group = self.settings.price_classes.get(code) if self.settings.price_classes else code
            if group and (price := convert.price_from(row, group, self.settings.currency)) is not None:
                found.append(price)
        return found

    def _read_customers(self, wanted: ReadFilter | None) -> list[Record]:
        contacts: dict[str, list[dict[str, Any]]] = {}
        for contact in self.transport.erp_list("/v1/contact", paged=False):
            if contact.get("businessAccount"):
                contacts.setdefault(str(contact["businessAccount"]), []).append(contact)
        customers = self.transport.erp_list("/v1/customer", self._changed(wanted))
        found = [convert.customer_from(c, contacts.get(str(c.get("number")), [])) for c in customers]
        return [c for c in found if c is not None]

    def _customer_data(self, email: str) -> dict[str, Any] | None:
        """The customer whose main contact has this email (compared lower-cased), read whole."""
        for data in self.transport.erp_list("/v1/customer", {"email": email}):
            if str((data.get("mainContact") or {}).get("email") or "").lower() == email.lower():
                return data
        return None

    def _customer_number(self, email: str) -> str | None:
        data = self._customer_data(email)
        return None if data is None else str(data["number"])

    def _find_customer(self, email: str) -> Customer | None:
        data = self._customer_data(email)
        if data is None:
            return None
        contacts = self.transport.erp_ok("GET", f"/v1/customer/{data['number']}/contact") or []
        return convert.customer_from(data, contacts)

    def _read_orders(self, wanted: ReadFilter | None) -> list[Record]:
        params = {"modifiedSince": wanted.since} if wanted and wanted.since else {}
        return [self._order(head["type"], head["orderId"]) for head in self.transport.v3_list("/SalesOrders", params)]

    def _order(self, kind: str, order_id: str) -> Order:
        head = self.transport.ok(self.transport.v3("GET", f"/SalesOrders/{kind}/{order_id}"), "Visma.net V3 order")
        lines = list(self.transport.v3_list(f"/SalesOrders/{kind}/{order_id}/lines"))
        types = self.settings.order_types.model_dump()
        canonical = next((name for name, code in types.items() if code == kind), "order")
        return convert.order_from(head, lines, canonical)

    def _order_number(self, kind: str, order_id: str) -> str:
        """The number an order is known by elsewhere: its customer's order reference, else its id."""
        if (kind, order_id) not in self._order_numbers:
            answer = self.transport.v3("GET", f"/SalesOrders/{kind}/{order_id}")
            head = answer.body if answer.status == 200 and isinstance(answer.body, dict) else {}
            self._order_numbers[(kind, order_id)] = str((head.get("customer") or {}).get("order") or order_id)
        return self._order_numbers[(kind, order_id)]

    def _read_shipments(self, wanted: ReadFilter | None) -> list[Record]:
        found: list[Record] = []
        for data in self.transport.erp_list("/v1/shipment", self._changed(wanted)):
            if data.get("status") not in SHIPPED_STATUSES:
                continue
            orders = {(str(line.get("orderType")), str(line.get("orderNbr")))
                      for line in data.get("shipmentDetailLines") or []}  # fmt: skip
            numbers = {order: self._order_number(*order) for order in orders}
            found += convert.shipments_from(data, numbers)
        return found

    # ---- writing ---------------------------------------------------------------------------

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        writers: dict[Entity, Callable[[Any], WriteOutcome]] = {
            Entity.customer: self._write_customer,
            Entity.order: self._write_order,
        }
        if entity not in writers:
            raise FatalConnectorError(f"the visma_net connector cannot write {entity.value} records")
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):  # one record at a time: a run stopped midway keeps what it wrote
            for record in records:
                try:
                    outcomes.append(writers[entity](record))
                except RecordError as exc:
                    outcomes.append(WriteOutcome(_key(record), error=f"Visma.net: {exc}"))
        return outcomes

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        raise FatalConnectorError("the visma_net connector does not delete records")

    def _write_customer(self, customer: Customer) -> WriteOutcome:
        number, created = self._save_customer(customer)
        return WriteOutcome((customer.email,), target_id=number, response={"number": number, "created": created})

    def _save_customer(self, customer: Customer) -> tuple[str, bool]:
        """The customer's number, after updating it (found by email) or creating it; a company's
        contact person is saved with it."""
        found = self._customer_data(customer.email)
        body = convert.customer_to(customer)
        if found is not None:
            number = str(found["number"])
            self._put(f"/v1/customer/{number}", body, f"customer {customer.email}")
            created = False
        else:
            number = self._create("/v1/customer", body, f"customer {customer.email}",
                                  lambda: self._customer_number(customer.email))  # fmt: skip
            created = True
        if customer.kind == "company":
            self._save_contact(customer, number)
        return number, created

    def _save_contact(self, customer: Customer, number: str) -> None:
        body = convert.contact_to(customer, number)
        email = str(body["email"])

        def existing() -> str | None:
            contacts = self.transport.erp_list("/v1/contact", {"email": email}, paged=False)
            match = [c for c in contacts if str(c.get("businessAccount")) == number]
            return str(match[0]["contactId"]) if match else None

        contact = existing()
        if contact is not None:
            self._put(f"/v1/contact/{contact}", body, f"contact {email}")
        else:
            self._create("/v1/contact", body, f"contact {email}", existing)

    def _put(self, path: str, body: dict[str, Any], what: str) -> None:
        """Update with the record's ETag; a stale ETag (412) is read again and sent once more."""
        for attempt in range(2):
            etag = self.transport.erp("GET", path).headers.get("etag")
            answer = self.transport.erp("PUT", path, json=wrap(body), headers={"If-Match": etag} if etag else None)
            if answer.status == 412 and attempt == 0:
                continue
            _refused(answer, f"Visma.net refused {what}")
            return
        raise RecordError(f"{what} kept changing in Visma.net while it was written (HTTP 412)")

    def _create(self, path: str, body: dict[str, Any], what: str, find: Callable[[], str | None]) -> str:
        """POST a new record; its number from `Location`. A lost answer is settled by `find`."""
        try:
            answer = self.transport.erp("POST", path, json=wrap(body))
        except AnswerLostError as lost:
            made = find()
            if not made:
                raise RecordError(f"{lost}; Visma.net has no {what}, so the next run makes it") from None
            return str(made)
        _refused(answer, f"Visma.net refused {what}")
        location = answer.headers.get("location") or ""
        return location.rstrip("/").rsplit("/", 1)[-1]

    def _write_order(self, order: Order) -> WriteOutcome:
        existing = self._existing_order(order.number)
        if existing is not None:  # the same order delivered again: it is there already
            return WriteOutcome((order.number,), target_id=existing, response={"orderId": existing, "existed": True})
        order_type = getattr(self.settings.order_types, order.type)
        self._check_order_type(order_type)
        missing = [sku for sku in sorted({line.sku for line in order.lines})
                   if self.transport.erp("GET", f"/v1/inventory/{sku}").status == 404]  # fmt: skip
        if missing:
            raise RecordError(f"order {order.number} has items Visma.net does not know: {', '.join(missing)}; "
                              "nothing was created", "lines")  # fmt: skip
        if order.customer is not None:
            customer, _ = self._save_customer(order.customer)
        elif order.customer_number:
            customer = order.customer_number
        else:
            raise RecordError(f"order {order.number} has no customer and the flow sets no default_debtor", "customer")
        branch = order.branch or self.settings.branch
        body = convert.order_to(order, customer, order_type, branch)
        try:
            answer = self.transport.v3("POST", "/SalesOrders", json=body)
        except AnswerLostError as lost:
            made = self._existing_order(order.number)
            if made is None:
                raise RecordError(f"{lost}; Visma.net has no order {order.number}, so the next run makes it") from None
            return WriteOutcome((order.number,), target_id=made, response={"orderId": made})
        _refused(answer, f"Visma.net refused order {order.number}")
        order_id = (answer.headers.get("location") or "").rstrip("/").rsplit("/", 1)[-1]
        return WriteOutcome(
            (order.number,),
            target_id=f"{order_type}/{order_id}",
            response={"orderType": order_type, "orderId": order_id, "customer": customer, "branch": branch},
        )

    def _existing_order(self, number: str) -> str | None:
        """`TYPE/ID` of the order whose customer's order reference is `number`, or None."""
        for head in self.transport.v3_list("/SalesOrders"):
            if head.get("customerOrder") == number:
                return f"{head['type']}/{head['orderId']}"
        return None

    def _check_order_type(self, code: str) -> None:
        if code not in self._order_types:
            answer = self.transport.erp("GET", f"/v1/salesordertype/{code}")
            self._order_types[code] = answer.status == 200 and bool((answer.body or {}).get("active", True))
        if not self._order_types[code]:
            raise FatalConnectorError(f"Visma.net has no active order type {code}; set order_types in the system's "
                                      "settings to one it has")  # fmt: skip


def _refused(answer: Answer, what: str) -> None:
    """A refusal of one record (4xx) as that record's error, in Visma.net's words."""
    if answer.status >= 400:
        raise RecordError(f"{what} (HTTP {answer.status}): {message(answer.body)}")


def _key(record: Record) -> Key:
    entity = next(e for e, model in MODELS.items() if isinstance(record, model))
    return tuple("" if getattr(record, name) is None else str(getattr(record, name)) for name in KEYS[entity])
