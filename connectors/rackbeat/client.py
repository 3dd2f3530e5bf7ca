"""The Rackbeat client: canonical records read from and written to one Rackbeat account.

Reads walk every page (`page` until `pages`) and read orders changed since the flow's cursor with
`updated_at_from`. A record Rackbeat refuses (422) is that record's error, naming the field its
`errors` map names. An order is written once: skipped when one with its webshop id exists, its
customer found by email or made with the next free number, every item looked up first (a missing
one fails the order whole), then made booked and moved on to the state the system's settings ask
for (ready to ship, shipped, invoiced), each step only when its flag is not set yet.

A write whose answer was lost is never sent again blindly (`protocol.WRITES`): a lost create is
settled by reading the record back by its number, a customer by email, an order by its webshop id,
an order step by its flags. Found, the write is done; not found, the record fails and the next run
writes it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from decimal import Decimal
from typing import Any

from connectors.rackbeat import convert
from connectors.rackbeat.protocol import (
    CHECKING_DRAFTS,
    CUSTOMERS,
    ITEM_STOCK,
    ORDERS,
    PRODUCT_GROUPS,
    PRODUCTS,
    SHIPMENTS,
    TARGET_FLAGS,
    WEBHOOKS,
    Resource,
)
from connectors.rackbeat.settings import RackbeatSettings
from connectors.rackbeat.transport import Answer, Transport, segment
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, FatalConnectorError, RecordError
from engine.keys import Key
from engine.records import Category, Customer, Entity, Order, Product, Record, StockLevel, record_key

Data = dict[str, Any]


class RackbeatClient:
    def __init__(self, settings: RackbeatSettings, token: str, transport: Transport | None = None) -> None:
        self.settings = settings
        self.transport = transport or Transport(
            settings.url, token, settings.consumer_name, settings.consumer_contact, settings.timeout
        )

    @property
    def calls(self) -> int:
        return self.transport.calls

    def close(self) -> None:
        self.transport.close()

    # ---- requests -------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Answer:
        answer = self.transport.request("GET", path, params=params)
        if answer.refused is not None:
            raise FatalConnectorError(f"Rackbeat refused GET {path}: {_said(answer.refused)}")
        return answer

    def _list(self, resource: Resource | str, key: str, params: dict[str, Any] | None = None) -> Iterator[Data]:
        """Every record of a list, page by page to the last."""
        path = resource.path if isinstance(resource, Resource) else resource
        page = 1
        while True:
            body = self._get(path, {**(params or {}), "page": page, "limit": self.settings.page_size}).body
            yield from body.get(key) or []
            if page >= int(body.get("pages") or 1):
                return
            page += 1

    def _search(self, resource: Resource, text: str, field: str) -> Data | None:
        """The record whose `field` is exactly `text`, found by Rackbeat's free-text search."""
        matches = self._list(resource, resource.many, {"search": text})
        return next((r for r in matches if str(r.get(field) or "").lower() == text.lower()), None)

    def _write(
        self,
        method: str,
        path: str,
        body: Data | None = None,
        *,
        resend: bool = True,
        what: str,
        field: str | None = None,
    ) -> Data:
        """A write; a refusal is a `RecordError` naming the field Rackbeat names."""
        answer = self.transport.request(method, path, body=body, resend=resend)
        if answer.refused is not None:
            first = next(iter(answer.refused), "") or field
            raise RecordError(f"Rackbeat refused {what}: {_said(answer.refused)}", first)
        if not answer.found:
            raise RecordError(f"Rackbeat has no {what}", field)
        return answer.body

    # ---- reading --------------------------------------------------------------------------------

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        readers: dict[Entity, Callable[[Sequence[Key] | None], list[Record]]] = {
            Entity.product: self._read_products,
            Entity.category: self._read_categories,
            Entity.stock: self._read_stock,
            Entity.customer: self._read_customers,
        }
        if entity is Entity.order:
            return self._read_orders(keys, wanted.since if wanted else None)
        if entity not in readers:
            raise FatalConnectorError(f"the rackbeat connector cannot read {entity.value} records")
        return readers[entity](keys)

    def _product(self, number: str) -> Data | None:
        return self._search(PRODUCTS, number, "number")

    def _products(self, keys: Sequence[Key] | None) -> list[Data]:
        if keys is None:
            return list(self._list(PRODUCTS, PRODUCTS.many))
        return [p for number in dict.fromkeys(k[0] for k in keys) if (p := self._product(number))]

    def _read_products(self, keys: Sequence[Key] | None) -> list[Record]:
        s = self.settings
        return [convert.product_from(p, s.currency, s.prices_include_tax) for p in self._products(keys)]

    def _read_categories(self, keys: Sequence[Key] | None) -> list[Record]:
        groups = [convert.category_from(g) for g in self._list(PRODUCT_GROUPS, PRODUCT_GROUPS.many)]
        return [g for g in groups if keys is None or (g.key,) in set(keys)]

    def _read_stock(self, keys: Sequence[Key] | None) -> list[Record]:
        """Every item's stock as the system's `stock_location` says (all locations together, or one);
        with keys, the levels they name, of one location or of all together."""
        if keys is None:
            return [level for product in self._products(None) for level in self._levels(product)]
        wanted = set(keys)
        return [
            level
            for product in self._products(keys)
            for view in dict.fromkeys((convert.ALL_LOCATIONS, *(key[1] for key in keys if key[0] == product["number"])))
            for level in self._levels(product, view)
            if record_key(Entity.stock, level) in wanted
        ]

    def _levels(self, product: Data, location: str | None = None) -> list[StockLevel]:
        path = ITEM_STOCK.format(item=segment(str(product["urlfriendly_number"])))
        rows = list(self._list(path, "locations"))
        return convert.stock_from(str(product["number"]), rows, location or self.settings.stock_location)

    def _read_customers(self, keys: Sequence[Key] | None) -> list[Record]:
        if keys is None:
            found = list(self._list(CUSTOMERS, CUSTOMERS.many))
        else:
            found = [data for key in keys if (data := self._search(CUSTOMERS, key[0], "contact_email"))]
        return [customer for data in found if (customer := convert.customer_from(data)) is not None]

    def _read_orders(self, keys: Sequence[Key] | None, since: str | None) -> list[Record]:
        s = self.settings
        if keys is None:
            params = {"updated_at_from": convert.local_time(since, s.timezone)} if since else {}
            found = list(self._list(ORDERS, ORDERS.many, params))
        else:
            found = [o for key in keys if (o := self._order(key[0]))]
        return [convert.order_from(o, s.currency, s.timezone) for o in found]

    def _order(self, reference: str) -> Data | None:
        """An order by the webshop's id it was written with, or by Rackbeat's own number."""
        found = self._search(ORDERS, reference, "your_reference")
        if found is None and reference.isdigit():
            answer = self._get(f"{ORDERS.path}/{reference}")
            found = answer.body.get(ORDERS.one) if answer.found else None
            found = found if found and not found.get("your_reference") else None
        return found

    # ---- writing --------------------------------------------------------------------------------

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        writers: dict[Entity, Callable[[Any], tuple[str, Data]]] = {
            Entity.category: self._write_category,
            Entity.product: self._write_product,
            Entity.customer: self._write_customer,
            Entity.order: self._write_order,
            Entity.stock: self._count_stock,
        }
        if entity not in writers:
            raise FatalConnectorError(f"the rackbeat connector cannot write {entity.value} records")
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):  # one record at a time: a run stopped midway keeps what it wrote
            for record in records:
                outcomes.append(self._one(entity, writers[entity], record))
        return outcomes

    def _one(self, entity: Entity, writer: Callable[[Any], tuple[str, Data]], record: Record) -> WriteOutcome:
        key = record_key(entity, record)
        try:
            target_id, response = writer(record)
        except RecordError as exc:
            return WriteOutcome(key, error=f"Rackbeat: {exc}")
        return WriteOutcome(key, target_id=target_id, response=response)

    def _create(self, path: str, body: Data, what: str, settle: Callable[[], Data | None]) -> Data | None:
        """POST a record that must not be made twice; a lost answer is settled by `settle`."""
        try:
            return self._write("POST", path, body, resend=False, what=what)
        except AnswerLostError as lost:
            made = settle()
            if made is None:
                raise RecordError(f"{lost}; Rackbeat has no {what}, so the next run makes it") from None
            return None

    def _write_category(self, category: Category) -> tuple[str, Data]:
        data = convert.category_to(category)
        path = f"{PRODUCT_GROUPS.path}/{segment(category.key)}"
        if self.transport.request("GET", path).found:
            self._write("PUT", path, data, what=f"product group {category.key}")
        else:
            self._create(
                PRODUCT_GROUPS.path,
                data,
                f"product group {category.key}",
                lambda: self.transport.request("GET", path).body.get(PRODUCT_GROUPS.one),
            )
        return category.key, {"number": category.key}

    def _group_id(self, product: Product) -> int:
        number = product.categories[0] if product.categories else self.settings.default_group
        if number is None:
            raise RecordError(
                f"product {product.sku} has no product group, and Rackbeat needs one; map "
                "categories or set the system's default_group",
                "categories",
            )
        answer = self.transport.request("GET", f"{PRODUCT_GROUPS.path}/{segment(number)}")
        if not answer.found:
            raise RecordError(f"product group {number} of product {product.sku} is not in Rackbeat", "categories")
        return int(answer.body[PRODUCT_GROUPS.one]["id"])

    def _write_product(self, product: Product) -> tuple[str, Data]:
        existing = self._product(product.sku)
        # an item written without a category keeps the group it has in Rackbeat; a new one takes the default
        group_id = int(existing["group_id"]) if existing and not product.categories else self._group_id(product)
        data = convert.product_to(product, group_id)
        what = f"product {product.sku}"
        if existing is not None:
            self._write("PUT", f"{PRODUCTS.path}/{segment(str(existing['urlfriendly_number']))}", data, what=what)
        else:
            self._create(PRODUCTS.path, data, what, lambda: self._product(product.sku))
        return product.sku, {"number": product.sku, "created": existing is None}

    def _count_stock(self, level: StockLevel) -> tuple[str, Data]:
        """The item's stock at the location set to `on_hand`, by a count booked there; nothing is
        sent when Rackbeat already holds that much there."""
        where = f"{level.sku} at location {level.location}"
        if level.location == convert.ALL_LOCATIONS:
            raise RecordError(
                f"stock of {where}: a count is of one location, not of all together; map each location "
                "to a Rackbeat location number in the flow's location_map",
                "location",
            )
        if level.on_hand is None:
            raise RecordError(f"stock of {where} has no on_hand quantity to count", "on_hand")
        product = self._product(level.sku)
        if product is None:
            raise RecordError(f"Rackbeat has no item {level.sku}: copy the items in first", "sku")
        if self._on_hand(product, level.location) == level.on_hand:
            return level.sku, {"counted": str(level.on_hand), "booked": False}
        count = {"item_number": level.sku, "location_number": level.location, "quantity": str(level.on_hand)}
        draft = self._open_count(count, where)
        path = f"{CHECKING_DRAFTS.path}/{draft['id']}/book"
        with suppress(RecordError):  # booked already (sent again after a lost answer): the stock says
            self._write("POST", path, {}, what=f"the count of {where}", field="on_hand")
        if self._on_hand(product, level.location) != level.on_hand:
            raise RecordError(f"Rackbeat booked no count of {level.on_hand} for {where}", "on_hand")
        return level.sku, {"counted": str(level.on_hand), "booked": True, "checking_draft": draft["id"]}

    def _open_count(self, count: Data, where: str) -> Data:
        """A draft count, made; after a lost answer, the open draft of this count that Rackbeat made."""
        found: list[Data] = []

        def settle() -> Data | None:
            found.extend(d for d in self._list(CHECKING_DRAFTS, CHECKING_DRAFTS.many) if _is_open_count(d, count))
            return found[0] if found else None

        made = self._create(CHECKING_DRAFTS.path, count, f"count of {where}", settle)
        draft = made.get(CHECKING_DRAFTS.one) if made else found[0]
        if not draft or draft.get("id") is None:
            raise RecordError(f"Rackbeat made no count of {where}", "on_hand")
        return dict(draft)

    def _on_hand(self, product: Data, location: str) -> Decimal | None:
        [level] = self._levels(product, location) or [StockLevel(sku=str(product["number"]), location=location)]
        return level.on_hand

    def _write_customer(self, customer: Customer) -> tuple[str, Data]:
        made = self._save_customer(customer)
        return str(made["number"]), {"number": made["number"]}

    def _save_customer(self, customer: Customer, update: bool = True) -> Data:
        """The customer of this email (updated, unless not `update`); else made with the next free number."""
        existing = self._search(CUSTOMERS, customer.email, "contact_email")
        what = f"customer {customer.email}"
        if existing is not None and not update:
            return existing
        data = convert.customer_to(customer)
        if existing is not None:
            answer = self._write("PUT", f"{CUSTOMERS.path}/{existing['number']}", data, what=what, field="email")
            return dict(answer.get(CUSTOMERS.one) or existing)
        found: list[Data] = []

        def settle() -> Data | None:
            made = self._search(CUSTOMERS, customer.email, "contact_email")
            found.extend([made] if made else [])
            return made

        created = self._create(CUSTOMERS.path, data, what, settle)
        made: Data | None = created.get(CUSTOMERS.one) if created else found[0]
        if not made:
            raise RecordError(f"Rackbeat made no {what}", "email")
        return dict(made)

    def _order_customer(self, order: Order) -> Data:
        if order.customer is not None:  # found by email and taken as Rackbeat has it, or made
            return self._save_customer(order.customer, update=False)
        if order.customer_number:
            answer = self.transport.request("GET", f"{CUSTOMERS.path}/{segment(order.customer_number)}")
            if answer.found:
                return dict(answer.body[CUSTOMERS.one])
            raise RecordError(f"order {order.number}: Rackbeat has no customer {order.customer_number}", "customer")
        raise RecordError(f"order {order.number} has no customer and no customer_number", "customer")

    def _write_order(self, order: Order) -> tuple[str, Data]:
        existing = self._order(order.number)
        if existing is not None:  # the same order again (a webhook twice, a rerun): it is there already
            return str(existing["number"]), {"number": existing["number"], "existed": True}
        items: dict[str, int] = {}
        for index, line in enumerate(order.lines):
            product = self._product(line.sku)
            if product is None:
                raise RecordError(
                    f"order {order.number}: Rackbeat has no item {line.sku}; nothing was created", f"lines.{index}.sku"
                )
            items[line.sku] = int(product["id"])
        customer = self._order_customer(order)
        data = convert.order_to(order, int(customer["id"]), items)
        body = self._create(ORDERS.path, data, f"order {order.number}", lambda: self._order(order.number))
        created = body.get(ORDERS.one) if body else self._order(order.number)
        if not created:
            raise RecordError(f"Rackbeat made no order {order.number}")
        made = self._bring_to_state(dict(created))
        return str(made["number"]), {
            "number": made["number"],
            "customer": customer["number"],
            "state": self.settings.order_state,
        }

    def _bring_to_state(self, order: Data) -> Data:
        """Move a booked order on to the settings' state, each step only while its flag is unset."""
        number = str(order["number"])
        base = f"{ORDERS.path}/{number}"
        wanted = TARGET_FLAGS[self.settings.order_state]
        steps: list[tuple[str, Callable[[], object]]] = [
            ("is_booked", lambda: self._step(f"{base}/book", {"mail": {"send": False}}, number)),
            ("is_ready_for_shipping", lambda: self._shipment(number)),
            ("is_shipped", lambda: self._ship(number)),
            ("is_invoiced", lambda: self._step(f"{base}/convert-to-invoice?book=true", {}, number)),
        ]
        for flag, step in steps:
            if flag in wanted and not order.get(flag):
                step()
                order = self._get(base).body[ORDERS.one]
                if not order.get(flag):
                    raise RecordError(f"order {number} was made in Rackbeat but not brought to "
                                      f"{self.settings.order_state}: {flag} is not set")  # fmt: skip
        return order

    def _step(self, path: str, body: Data, number: str) -> None:
        """An action Rackbeat takes once (book, mark shipped, invoice): a second is refused, so it
        may be sent again; its refusal is settled by the flags the caller reads next."""
        # refused as done already (sent again after a lost answer), or not done: the flags say which
        with suppress(RecordError):
            self._write("POST", path, body, what=f"{path.split('/')[-1].split('?')[0]} of order {number}")

    def _shipments(self, number: str) -> list[Data]:
        return list(self._list(SHIPMENTS, SHIPMENTS.many, {"order_number": number}))

    def _shipment(self, number: str) -> None:
        """A shipment for the order, unless it has one: a second would be made if sent twice, so a
        lost answer is settled by looking for it, and sent again only once none is found."""
        for _ in range(3):
            if self._shipments(number):
                return
            try:
                self._write("POST", f"{ORDERS.path}/{number}/create-shipment", {}, resend=False,
                            what=f"create-shipment of order {number}")  # fmt: skip
                return
            except AnswerLostError:
                continue

    def _ship(self, number: str) -> None:
        self._shipment(number)
        for shipment in self._shipments(number):
            if not shipment.get("is_shipped"):
                self._step(f"orders/shipments/{shipment['id']}/mark-shipped", {"pick": True}, number)

    # ---- deleting -------------------------------------------------------------------------------

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        if entity not in (Entity.product, Entity.category):
            raise FatalConnectorError(f"the rackbeat connector does not delete {entity.value} records")
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):
            for key in keys:
                try:
                    self._delete(entity, key[0])
                except RecordError as exc:
                    outcomes.append(WriteOutcome(key, error=f"Rackbeat: {exc}"))
                else:
                    outcomes.append(WriteOutcome(key, target_id=key[0]))
        return outcomes

    def refused_deletes(self, entity: Entity, keys: Sequence[Key]) -> dict[Key, str]:
        """The products of these keys that have registered stock: Rackbeat refuses to delete them."""
        if entity is not Entity.product:
            return {}
        refused: dict[Key, str] = {}
        for key in keys:
            product = self._product(key[0])
            stock = convert.registered_stock(product) if product is not None else None
            if stock is not None:
                refused[key] = f"item {key[0]} has {stock} registered in stock, and Rackbeat keeps an item with stock"
        return refused

    def _delete(self, entity: Entity, number: str) -> None:
        if entity is Entity.category:
            path = f"{PRODUCT_GROUPS.path}/{segment(number)}"
        else:
            product = self._product(number)
            if product is None:
                return  # gone already
            path = f"{PRODUCTS.path}/{segment(str(product['urlfriendly_number']))}"
        answer = self.transport.request("DELETE", path)
        if answer.refused is not None:
            raise RecordError(
                f"Rackbeat refused to delete {entity.value} {number}: {_said(answer.refused)}",
                next(iter(answer.refused), None),
            )

    # ---- webhooks -------------------------------------------------------------------------------

    def subscribe(self, event: str, url: str) -> str:
        """Have Rackbeat send `event` (e.g. `product.updated`) to `url`; returns the token it sends."""
        body = self._write("POST", WEBHOOKS.path, {"event": event, "url": url}, what=f"webhook {event}")
        return str(body[WEBHOOKS.one].get("token") or "")


def _is_open_count(draft: Data, count: Data) -> bool:
    """Whether `draft` is an open count of `count`'s quantity of its item at its location."""
    if draft.get("is_booked") or draft.get("quantity") is None:
        return False
    return (str(draft.get("item_number")), str(draft.get("location_number"))) == (
        count["item_number"],
        count["location_number"],
    ) and Decimal(str(draft["quantity"])) == Decimal(count["quantity"])


def _said(errors: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{path}: {' '.join(messages)}" if path else " ".join(messages) for path, messages in errors.items()
    )
