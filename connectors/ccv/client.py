"""The CCV client: canonical records read from and written to one SalesPOS account.

Products are written by product number: created (with the package `package_id`) or updated, their
variants made as attribute combinations (attributes, values, the product's values, then each
combination's SKU and EAN set), their categories linked. Customers (users) are found by email
among all users, there being no filter on it, and created (with a password nobody knows; the
customer sets one) or updated. An order is written the way merchants rely on: skipped when an
order with its number exists; every product checked before anything is made (one unknown fails
the order whole); its customer found by email and made or updated, or the default debtor used;
then `POST /orders/`.

A write whose answer was lost is never sent again blindly (`protocol.WRITES`): it is settled by
looking in the account — the product by number, the user by email, the order by its number —
and, not found, the record fails with why, and the next run writes it again from what it reads.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import httpx

from connectors.ccv import convert, protocol
from connectors.ccv.settings import CcvSettings
from connectors.ccv.transport import Transport
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, FatalConnectorError, RecordError
from engine.keys import Key
from engine.records import KEYS, MODELS, Customer, Entity, Order, Product, Record

CURRENCY = "EUR"


class CcvClient:
    def __init__(self, settings: CcvSettings, secret: str, http_transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = Transport(settings, secret, http_transport)

    @property
    def calls(self) -> int:
        return self.transport.calls

    def close(self) -> None:
        self.transport.close()

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        return self.transport.call(method, path, params, body)

    # ---- reading -----------------------------------------------------------------------------

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        readers: dict[Entity, Callable[[Sequence[Key] | None, str | None], list[Record]]] = {
            Entity.product: self._read_products, Entity.category: self._read_categories,
            Entity.stock: self._read_stock, Entity.customer: self._read_customers, Entity.order: self._read_orders,
        }  # fmt: skip
        if entity not in readers:
            raise FatalConnectorError(f"the ccv connector cannot read {entity.value} records")
        return readers[entity](keys, wanted.since if wanted else None)

    def _products(self, keys: Sequence[Key] | None, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Products by number, or all of them; with `since`, the most recently changed first, down
        to `since` (products have no filter on their change time, only an order by it)."""
        if keys is not None:
            for key in dict.fromkeys(keys):
                yield from self._call("GET", "products", {"productnumber": key[0]}).get("items") or []
            return
        params = {"orderby": "modifydate_desc"} if since else None
        for product in self.transport.pages("products", params):
            if since and str(product.get("modifydate") or "") <= since:
                return
            yield product

    def _combinations(self, product: dict[str, Any]) -> list[dict[str, Any]]:
        if product.get("stocktype") != protocol.STOCK_ON_COMBINATIONS:
            return []
        return list(self.transport.pages(f"products/{product['id']}/attributecombinations"))

    def _read_products(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        found: list[Record] = []
        for product in self._products(keys, since):
            links = self.transport.pages(f"products/{product['id']}/producttocategories")
            categories = [str(link["category_id"]) for link in links]
            found.append(convert.product_from(product, self._combinations(product), categories, CURRENCY))
        return found

    def _read_categories(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        wanted = set(keys) if keys is not None else None
        categories = [convert.category_from(c) for c in self.transport.pages("categories")]
        return [c for c in categories if wanted is None or (c.key,) in wanted]

    def _reservations(self) -> dict[str, Decimal]:
        """Quantities per SKU on orders in status Reserved (see `protocol`)."""
        held: dict[str, Decimal] = {}
        for order in self.transport.pages("orders", {"status": protocol.RESERVED}):
            for row in self.transport.pages(f"orders/{order['id']}/orderrows"):
                sku = str(row.get("sub_sku_number") or row.get("product_number") or "")
                held[sku] = held.get(sku, Decimal(0)) + Decimal(str(row.get("count") or 0))
        return held

    def _read_stock(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        store = self.settings.store_id
        wanted = {key for key in keys if key[1] == store} if keys is not None else None
        if wanted is not None and not wanted:
            return []
        held = self._reservations()
        levels = []
        for product in self._products(None):
            combinations = self._combinations(product)
            for sku, stock in ([(str(c.get("sku_number") or c["id"]), c.get("stock")) for c in combinations]
                               or [(str(product["productnumber"]), product.get("stock"))]):  # fmt: skip
                if wanted is None or (sku, store) in wanted:
                    reserved = held.get(sku, Decimal(0))
                    levels.append(convert.stock_from(sku, stock, reserved, product.get("stockenabled"), store))
        return levels  # type: ignore[return-value]

    def _users(self) -> Iterator[dict[str, Any]]:
        yield from self.transport.pages("users")

    def _user_by_email(self, email: str) -> dict[str, Any] | None:
        email = email.strip().lower()
        return next((u for u in self._users() if str((u.get("userinfo") or {}).get("email") or "").lower() == email),
                    None)  # fmt: skip

    def _read_customers(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        wanted = {key[0].lower() for key in keys} if keys is not None else None
        found: list[Record] = []
        for user in self._users():
            customer = convert.customer_from(user.get("userinfo") or {}, str(user["id"]))
            if customer is not None and (wanted is None or customer.email in wanted):
                found.append(customer)
        return found

    def _orders(self, since: str | None) -> Iterator[dict[str, Any]]:
        yield from self.transport.pages("orders", {"min_create_date": since} if since else None)

    def _read_orders(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        wanted = {key[0] for key in keys} if keys is not None else None
        found: list[Record] = []
        for order in self._orders(None if wanted is not None else since):
            if wanted is None or convert.order_number(order) in wanted:
                rows = list(self.transport.pages(f"orders/{order['id']}/orderrows"))
                found.append(convert.order_from(order, rows, self.settings.store_id))
        return found

    # ---- writing -----------------------------------------------------------------------------

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        writers: dict[Entity, Callable[[Any], tuple[str, dict[str, Any]]]] = {
            Entity.product: self._write_product, Entity.customer: self._write_customer,
            Entity.order: self._write_order,
        }  # fmt: skip
        if entity not in writers:
            raise FatalConnectorError(f"the ccv connector cannot write {entity.value} records")
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):  # one record at a time: a run stopped midway keeps what it wrote
            for record in records:
                try:
                    target_id, response = writers[entity](record)
                except RecordError as exc:
                    outcomes.append(WriteOutcome(_key(record), error=f"CCV: {exc}"))
                else:
                    outcomes.append(WriteOutcome(_key(record), target_id=target_id, response=response))
        return outcomes

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        raise FatalConnectorError("the ccv connector does not delete records")

    def _find_product(self, number: str) -> dict[str, Any] | None:
        items = self._call("GET", "products", {"productnumber": number}).get("items") or []
        return next((p for p in items if str(p.get("productnumber")) == number), None)

    def _write_product(self, product: Product) -> tuple[str, dict[str, Any]]:
        extras = convert.value_prices(product) if product.options else {}
        found = self._find_product(product.sku)
        if found is None:
            body = convert.product_to(product, self.settings.package_id)
            if "vatrate" not in body:
                raise RecordError(f"product {product.sku} has no VAT rate, which CCV needs to make it; map the "
                                  "variants' tax_rate", "variants")  # fmt: skip
            try:
                made = self._call("POST", "products", body=body)
            except AnswerLostError as lost:
                made = self._find_product(product.sku)
                if made is None:
                    raise RecordError(f"{lost}; CCV has no product {product.sku}, so the next run makes it") from None
            product_id = int(made["id"])
        else:
            product_id = int(found["id"])
            self._call("PATCH", f"products/{product_id}", body=convert.product_to(product, None))
        if product.options:
            self._write_combinations(product, product_id, extras)
        self._link_categories(product, product_id)
        return str(product_id), {"id": product_id, "created": found is None}

    def _write_combinations(self, product: Product, product_id: int, extras: dict[tuple[str, str], Decimal]) -> None:
        """Give the product each attribute value its variants have, then set each combination's SKU and EAN."""
        present = {(c["attribute"]["name"], c["attribute_value"]["name"])
                   for combination in self.transport.pages(f"products/{product_id}/attributecombinations")
                   for c in combination.get("combination") or []}  # fmt: skip
        for (name, value), extra in extras.items():
            if (name, value) not in present:
                value_id = self._attribute_value(name, value)
                self._call("POST", f"products/{product_id}/productattributevalues",
                           body={"optionvalue": value_id, "price": float(extra)})  # fmt: skip
        combinations = list(self.transport.pages(f"products/{product_id}/attributecombinations"))
        for variant in product.variants:
            combination = next((c for c in combinations if {p["attribute"]["name"]: p["attribute_value"]["name"]
                                for p in c.get("combination") or []} == variant.options), None)  # fmt: skip
            if combination is None:
                raise RecordError(f"CCV made no attribute combination for variant {variant.sku} of {product.sku}")
            patch = {"sku_number": variant.sku, "product_number": variant.sku, "ean_number": variant.barcode}
            if any(combination.get(k) != v for k, v in patch.items() if v is not None):
                self._call("PATCH", f"attributecombinations/{combination['id']}",
                           body={k: v for k, v in patch.items() if v is not None})  # fmt: skip

    def _attribute_value(self, name: str, value: str) -> int:
        """The id of attribute `name`'s value `value`, both made when CCV has none."""
        attribute = next((a for a in self.transport.pages("attributes") if a.get("name") == name), None)
        if attribute is None:
            attribute = self._settled_post("attributes", {"name": name, "type": "option_menu"},
                                           lambda: next((a for a in self.transport.pages("attributes")
                                                         if a.get("name") == name), None))  # fmt: skip
        path = f"attributes/{attribute['id']}/attributevalues"
        found = next((v for v in self.transport.pages(path) if v.get("name") == value), None)
        if found is None:
            found = self._settled_post(path, {"name": value, "default_price": 0.0},
                                       lambda: next((v for v in self.transport.pages(path) if v.get("name") == value),
                                                    None))  # fmt: skip
        return int(found["id"])

    def _settled_post(
        self, path: str, body: dict[str, Any], look: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        try:
            made: dict[str, Any] = self._call("POST", path, body=body)
            return made
        except AnswerLostError as lost:
            found = look()
            if found is None:
                raise RecordError(f"{lost}; CCV shows none made, so the next run makes it") from None
            return found

    def _link_categories(self, product: Product, product_id: int) -> None:
        linked = {
            str(link["category_id"]) for link in self.transport.pages(f"products/{product_id}/producttocategories")
        }
        for category in product.categories:
            if category in linked:
                continue
            if not category.isdigit():
                raise RecordError(f"category {category!r} is no CCV category id; map it in the spec", "categories")
            self._settled_post("producttocategories", {"product_id": product_id, "category_id": int(category)},
                               lambda c=category: next((link for link in self.transport.pages(  # type: ignore[misc]
                                   f"products/{product_id}/producttocategories") if str(link["category_id"]) == c),
                                   None))  # fmt: skip

    def _write_customer(self, customer: Customer) -> tuple[str, dict[str, Any]]:
        user_id = self._save_user(customer)
        return str(user_id), {"id": user_id}

    def _save_user(self, customer: Customer) -> int:
        found = self._user_by_email(customer.email)
        info = convert.info_to(customer)
        if found is not None:
            self._call("PATCH", f"users/{found['id']}", body={"userinfo": info})
            return int(found["id"])
        body = {"username": customer.email, "password": secrets.token_urlsafe(24), "userinfo": info}
        made = self._settled_post("users", body, lambda: self._user_by_email(customer.email))
        return int(made["id"])

    def _find_order(self, order: Order) -> dict[str, Any] | None:
        """The order made from `order` earlier: by its number, among the orders made since it was."""
        since = order.created_at[:10] if order.created_at else None
        return next((o for o in self._orders(since) if o.get(protocol.EXTERNAL_NUMBER) == order.number), None)

    def _write_order(self, order: Order) -> tuple[str, dict[str, Any]]:
        if order.branch not in (None, self.settings.store_id):
            raise RecordError(f"order {order.number} is for store {order.branch}; this account is store "
                              f"{self.settings.store_id}", "branch")  # fmt: skip
        existing = self._find_order(order)
        if existing is not None:  # the same order delivered again: it is there already
            return str(existing["id"]), {"id": existing["id"], "existed": True}
        rows, missing = [], []
        for line in order.lines:
            found = self._product_of(line.sku)
            if found is None:
                missing.append(line.sku)
            else:
                rows.append(convert.row_to(line, found[0], found[1], order.currency))
        if missing:
            unknown = ", ".join(sorted(set(missing)))
            raise RecordError(f"order {order.number} has products CCV does not know: {unknown}; "
                              "nothing was created", "lines")  # fmt: skip
        if order.customer is not None:
            user_id: int | None = self._save_user(order.customer)
        elif order.customer_number and order.customer_number.isdigit():
            user_id = int(order.customer_number)
        else:
            raise RecordError(f"order {order.number} has no customer and the flow sets no default_debtor", "customer")
        body = convert.order_to(order, user_id, rows)
        try:
            made = self._call("POST", "orders", body=body)
        except AnswerLostError as lost:
            made = self._find_order(order)
            if made is None:
                raise RecordError(f"{lost}; CCV has no order {order.number}, so the next run makes it") from None
        return str(made["id"]), {"id": made["id"], "user_id": user_id}

    def _product_of(self, sku: str) -> tuple[int, int | None] | None:
        """The product and attribute combination a SKU names: a product's number, or a combination's SKU."""
        found = self._find_product(sku)
        if found is not None:
            return int(found["id"]), None
        for product in self._products(None):
            for combination in self._combinations(product):
                if str(combination.get("sku_number")) == sku:
                    return int(product["id"]), int(combination["id"])
        return None

    # ---- webhooks ------------------------------------------------------------------------------

    def subscribe(self, event: str, address: str) -> str:
        """Have CCV send `event` (e.g. `orders.updated`) to `address`; returns the webhook's key,
        which signs its deliveries. A webhook for that event and address already there is kept."""
        if event not in protocol.WEBHOOK_EVENTS:
            raise FatalConnectorError(f"CCV sends no webhook {event!r}; known: {', '.join(protocol.WEBHOOK_EVENTS)}")

        def look() -> dict[str, Any] | None:
            return next((w for w in self.transport.pages("webhooks")
                         if w.get("event") == event and w.get("address") == address), None)  # fmt: skip

        found = look()
        if found is None:
            try:
                found = self._settled_post("webhooks", {"event": event, "address": address, "is_active": True}, look)
            except RecordError as exc:
                raise FatalConnectorError(f"CCV webhook {event}: {exc}") from None
        return str(found.get("key") or "")


def _key(record: Record) -> Key:
    entity = next(e for e, model in MODELS.items() if isinstance(record, model))
    return tuple(str(getattr(record, name)) for name in KEYS[entity])
