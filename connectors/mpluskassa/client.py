"""The MplusKASSA client: canonical records read from and written to one till system.

An order is written the way merchants rely on: skipped when an order with its external id exists;
every article checked before anything is created (a missing one fails the order whole); the
customer found by email and created or updated (a company with its contact person, or a person),
or the default debtor used; the employee number and branch filled in; then `createOrder`.

A write whose answer was lost is never sent again blindly (`protocol.WRITES` says which may be):
`createOrder` may, since the till refuses a second order with the same external id and the first
is then found by it; a lost `createProduct` or `createRelation` is settled by looking the product
up by number or the relation by email, and a lost relative `updateStock` by the till's stock
movements since the one read just before it. Found, the write is done; not found, the record fails
with why, and the next run writes it again from what it reads then.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.mpluskassa import convert
from connectors.mpluskassa.amounts import from_amount, to_amount
from connectors.mpluskassa.protocol import QUANTITY_PLACES
from connectors.mpluskassa.settings import MplusSettings
from connectors.mpluskassa.soap import SoapFault
from connectors.mpluskassa.transport import Transport
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, FatalConnectorError, RecordError
from engine.keys import Key
from engine.mapping.transforms import numeric_sku
from engine.records import KEYS, MODELS, Category, Customer, Entity, Order, Product, Record, StockLevel

CURRENCY = "EUR"
PAGE = 100
ORDER_EXISTS = "CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS"
API_MOVEMENT = "STOCK-HISTORY-TYPE-API"  # a stock movement made through the API (see protocol)


class MplusClient:
    def __init__(
        self, settings: MplusSettings, credentials: dict[str, str], transport: Transport | None = None
    ) -> None:
        self.settings = settings
        self.transport = transport or Transport(
            settings.url.rstrip("/") + "/", credentials["ident"], credentials["secret"], timeout=settings.timeout
        )

    @property
    def calls(self) -> int:
        return self.transport.calls

    def close(self) -> None:
        self.transport.close()

    def _call(self, operation: str, parts: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.transport.call(operation, parts)

    # ---- reading ---------------------------------------------------------------------------

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        readers = {
            Entity.product: self._read_products,
            Entity.category: self._read_categories,
            Entity.stock: self._read_stock,
            Entity.price: self._read_prices,
            Entity.customer: self._read_customers,
        }
        if entity is Entity.order:
            return self._read_orders(keys, wanted.since if wanted else None)
        if entity not in readers:
            raise FatalConnectorError(f"the mpluskassa connector cannot read {entity.value} records")
        return readers[entity](keys)

    def _feed(self, operation: str, name: str, since: int = 0) -> list[dict[str, Any]]:
        """Every item of a change feed changed after sync marker `since`, following the marker."""
        items: list[dict[str, Any]] = []
        marker = since
        while True:
            page = self._call(operation, {"request": {"syncMarker": marker, "syncMarkerLimit": PAGE}})
            batch = page.get(name) or []
            items += batch
            # each item carries its own marker (the feed's answer has none of its own)
            new_marker = max([int(item.get("syncMarker") or 0) for item in batch] + [marker])
            if not batch or new_marker <= marker:
                return items
            marker = new_marker

    def _products(self, numbers: Sequence[int]) -> list[dict[str, Any]]:
        return self._call("getProducts", {"request": {"productNumbers": list(numbers)}}).get("productList") or []

    def _read_products(self, keys: Sequence[Key] | None) -> list[Record]:
        if keys is None:
            data = self._feed("getProducts", "productList")
        else:
            numbers = [int(key[0]) for key in keys if key[0].isdigit()]
            data = self._products(numbers) if numbers else []
        return [convert.product_from(p, CURRENCY) for p in data]

    def _groups(self) -> list[dict[str, Any]]:
        return self._call("getArticleGroups", {"request": {}}).get("articleGroupList") or []

    def _read_categories(self, keys: Sequence[Key] | None) -> list[Record]:
        return [g for g in convert.categories_from(self._groups()) if keys is None or (g.key,) in set(keys)]

    def _branches(self) -> list[int]:
        return [int(b["branchNumber"]) for b in self._call("getBranches").get("branches") or []]

    def _stock(self, branch: int, articles: Sequence[int]) -> list[dict[str, Any]]:
        request = {"branchNumber": branch, "articleNumbers": list(articles)}
        return self._call("getStock", {"request": request}).get("articleStocks") or []

    def _read_stock(self, keys: Sequence[Key] | None) -> list[Record]:
        wanted = set(keys) if keys is not None else None
        found: list[Record] = []
        for branch in self._branches():
            articles = sorted({int(k[0]) for k in wanted if k[1] == str(branch) and k[0].isdigit()}) if wanted else []
            if wanted is not None and not articles:
                continue
            found += [s for row in self._stock(branch, articles) if (s := convert.stock_from(row, branch))
                      and (wanted is None or (s.sku, s.location) in wanted)]  # fmt: skip
        return found

    def _read_prices(self, keys: Sequence[Key] | None) -> list[Record]:
        groups = self._call("getPriceGroupList").get("priceGroup") or []
        names = {int(g["priceGroupNumber"]): str(g.get("description") or g["priceGroupNumber"]) for g in groups}
        found = [p for product in self._feed("getProducts", "productList")
                 for p in convert.prices_from(product, names, CURRENCY)]  # fmt: skip
        return [p for p in found if keys is None or (p.sku, p.price_group) in set(keys)]

    def _find_relation(self, email: str) -> dict[str, Any] | None:
        answer = self._call("findRelation", {"relation": {"email": email}})
        return answer.get("relation") if _found(answer, f"relation {email}") else None

    def _read_customers(self, keys: Sequence[Key] | None) -> list[Record]:
        if keys is None:
            relations = self._feed("getRelations", "relationList")
        else:
            relations = [r for key in keys if (r := self._find_relation(key[0]))]
        return [c for r in relations if (c := convert.customer_from(r)) is not None]

    def _read_orders(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        """Orders by id, or those the order change feed shows changed after a sync marker (the
        flow's cursor), each read whole with getOrder."""
        if keys is None:
            marker = int(since) if since and since.isdigit() else 0
            changed = {c["orderId"]: c for c in self._feed("getOrderChanges", "orderChangeList", marker)}
            data = [o for order_id in changed if (o := self._get_order(order_id))]
        else:
            data = [o for key in keys if (o := self._find_order(key[0]))]
        return [convert.order_from(o, CURRENCY) for o in data]

    def _get_order(self, order_id: str) -> dict[str, Any] | None:
        answer = self._call("getOrder", {"orderId": order_id})
        return answer.get("order") if _found(answer, f"order {order_id}") else None

    def _find_order(self, number: str) -> dict[str, Any] | None:
        """An order by the id another system gave it, or by the till's own id (a till sale synced out
        and back is the same order)."""
        answer = self._call("findOrder", {"extOrderId": number})
        found = answer.get("order") if _found(answer, f"order {number}") else None
        if found is None and "-" in number and number.replace("-", "").isdigit():
            found = self._get_order(number)
        return found or None

    # ---- writing ---------------------------------------------------------------------------

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        writers = {
            Entity.product: self._write_product,
            Entity.category: self._write_category,
            Entity.stock: self._write_stock,
            Entity.customer: self._write_customer,
            Entity.order: self._write_order,
        }
        if entity not in writers:
            raise FatalConnectorError(f"the mpluskassa connector cannot write {entity.value} records")
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):  # one request per record: a run stopped midway keeps what it wrote
            for record in records:
                outcomes.append(self._one(writers[entity], record))
        return outcomes

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        raise FatalConnectorError("the mpluskassa connector does not delete records")

    def _one(self, writer: Any, record: Record) -> WriteOutcome:
        """Write one record; bad input (a client fault or a record error) fails that record only."""
        try:
            key, target_id, response = writer(record)
        except (RecordError, SoapFault) as exc:
            message = exc.message if isinstance(exc, SoapFault) else str(exc)
            return WriteOutcome(_key(record), error=f"MplusKASSA: {message}")
        return WriteOutcome(key, target_id=target_id, response=response)

    def _write_product(self, product: Product) -> tuple[Key, str, dict[str, Any]]:
        data = convert.product_to(product)
        number = data["productNumber"]
        exists = bool(self._products([number]))
        operation = "updateProduct" if exists else "createProduct"
        try:
            _ok(self._call(operation, {"product": data}), f"product {number}")
        except AnswerLostError as lost:  # only a create may be lost: an update is sent again
            if not self._products([number]):
                raise RecordError(f"{lost}; MplusKASSA has no product {number}, so the next run makes it") from None
        return (product.sku,), str(number), {"productNumber": str(number), "created": not exists}

    def _write_category(self, category: Category) -> tuple[Key, str, dict[str, Any]]:
        number = int(numeric_sku(category.key))
        group = {"groupNumber": number, "name": category.name, "text": "", "subGroupList": []}
        if category.parent:  # a subgroup is saved inside its group, sent as the till has it
            parent = int(numeric_sku(category.parent))
            found = next((g for g in _flat(self._groups()) if g["groupNumber"] == parent), None)
            if found is None:
                raise RecordError(f"article group {parent} does not exist in MplusKASSA", "parent")
            group = {"groupNumber": parent, "name": found["name"], "text": found.get("text") or "",
                     "subGroupList": [group]}  # fmt: skip
        _ok(self._call("saveArticleGroups", {"request": {"articleGroupList": [group]}}), f"article group {number}")
        return (category.key,), str(number), {"groupNumber": number}

    def _write_stock(self, level: StockLevel) -> tuple[Key, str, dict[str, Any]]:
        if level.on_hand is None:
            raise RecordError(f"stock of {level.sku} at branch {level.location} has no on-hand amount to set")
        branch, article = int(numeric_sku(level.location)), int(numeric_sku(level.sku))
        what = f"stock of {level.sku} at branch {branch}"
        if self.settings.relative_stock:  # book the difference, as a stock mutation the till can show
            current = next((r for r in self._stock(branch, [article]) if r["articleNumber"] == article), None)
            on_hand = convert.stock_from(current, branch).on_hand if current else Decimal(0)
            change, places = to_amount(level.on_hand - (on_hand or 0), QUANTITY_PLACES)
            request = {"branchNumber": branch, "articleNumber": article, "amountChanged": change,
                       "decimalPlaces": places}  # fmt: skip
            try:
                _ok(self._call("updateStock", {"request": request}), what)
            except AnswerLostError as lost:
                since = int((current or {}).get("stockId") or 0)
                self._settle_stock(branch, article, from_amount(change, places), since, lost)
        else:
            amount, places = to_amount(level.on_hand, QUANTITY_PLACES)
            request = {"branchNumber": branch, "articleNumber": article, "amount": amount, "decimalPlaces": places}
            _ok(self._call("setStock", {"request": request}), what)
        return (level.sku, level.location), f"{branch}/{level.sku}", {"amount": str(level.on_hand)}

    def _settle_stock(self, branch: int, article: int, change: Decimal, since: int, lost: AnswerLostError) -> None:
        """Whether a relative change whose answer was lost was booked: among the movements after
        `since` (the level's stockId read just before sending it), one made through the API by
        exactly that much. Not found, the record fails: the next run books what is missing then."""
        request = {"branchNumber": branch, "articleNumbers": [article], "sinceStockId": since}
        movements = self._call("getStockHistory", {"request": request}).get("articleStockHistory") or []
        booked = any(m.get("type") == API_MOVEMENT and from_amount(m["amountChanged"], m.get("decimalPlaces")) == change
                     for m in movements)  # fmt: skip
        if not booked:
            raise RecordError(f"{lost}; MplusKASSA shows no such stock change, so the next run books it", "on_hand")

    def _write_customer(self, customer: Customer) -> tuple[Key, str, dict[str, Any]]:
        number = self._save_relation(customer)
        return (customer.email,), str(number), {"relationNumber": number}

    def _save_relation(self, customer: Customer, payment_days: int | None = None) -> int:
        found = self._find_relation(customer.email)
        number = int(found["relationNumber"]) if found else None
        relation = convert.relation_to(customer, number, payment_days)
        if found:  # what the record does not say is kept as the till has it
            relation = _merged(found, relation)
        try:
            answer = self._call("updateRelation" if found else "createRelation", {"relation": relation})
        except AnswerLostError as lost:  # only a create may be lost: an update is sent again
            made = self._find_relation(customer.email)
            if not made:
                raise RecordError(f"{lost}; MplusKASSA has no relation {customer.email}, so the next run makes it",
                                  "email") from None  # fmt: skip
            return int(made["relationNumber"])
        _ok(answer, f"relation {customer.email}")
        return int(answer.get("relationNumber") or number or 0)

    def _write_order(self, order: Order) -> tuple[Key, str, dict[str, Any]]:
        existing = self._find_order(order.number)
        if existing:  # the same order delivered again: it is there already
            return (order.number,), str(existing["orderId"]), {"orderId": existing["orderId"], "existed": True}
        if order.type == "invoice":
            raise RecordError(
                f"order {order.number} is an invoice; MplusKASSA books invoices with saveInvoice, "
                "which this connector does not write: set the flow's order_type to order",
                "type",
            )
        articles = sorted({int(numeric_sku(line.sku)) for line in order.lines})
        products = self._call("getProducts", {"request": {"articleNumbers": articles}}).get("productList") or []
        known = {int(a["articleNumber"]) for p in products for a in p.get("articleList") or []}
        missing = [str(a) for a in articles if a not in known]
        if missing:
            raise RecordError(f"order {order.number} has articles MplusKASSA does not know: {', '.join(missing)}; "
                              "nothing was created", "lines")  # fmt: skip
        if order.branch and not order.branch.isdigit():
            raise RecordError(
                f"branch {order.branch!r} is not a MplusKASSA branch number; map it in the spec", "branch"
            )
        if order.customer is not None:
            relation = self._save_relation(order.customer, payment_days(order.payment_terms))
        elif order.customer_number:
            relation = int(numeric_sku(order.customer_number))
        else:
            raise RecordError(f"order {order.number} has no customer and the flow sets no default_debtor", "customer")
        employee = int(order.employee) if order.employee else self.settings.employee_number
        branch = int(order.branch) if order.branch else self.settings.branch
        answer = self._call("createOrder", {"order": convert.order_to(order, relation, employee, branch)})
        if answer["result"] == ORDER_EXISTS:  # sent again after its answer was lost: the first made it
            existing = self._find_order(order.number)
            if existing:
                return (order.number,), str(existing["orderId"]), {"orderId": existing["orderId"], "existed": True}
        _ok(answer, f"order {order.number}")
        order_id = answer["info"]["orderId"]
        return (order.number,), str(order_id), {"orderId": order_id, "relationNumber": relation}


def payment_days(terms: str | None) -> int | None:
    """A payment term as the relation's `paymentWithinDays`: "14 days" → 14, "direct" → 0; other words
    are not a term MplusKASSA keeps (None: the relation's is left as it is)."""
    text = (terms or "").strip().lower()
    if text in ("direct", "immediate", "0"):
        return 0
    number = text.removesuffix("days").removesuffix("day").strip()
    return int(number) if number.isdigit() else None


def _found(answer: dict[str, Any], what: str) -> bool:
    """Whether a lookup found what it looked for: `…-RESULT-OK` yes, `…-RESULT-NOT-FOUND` no; any
    other result is that record's error, in the till's words."""
    code = str(answer.get("result") or "")
    if code.endswith("-RESULT-OK"):
        return True
    if code.endswith("-RESULT-NOT-FOUND"):
        return False
    raise RecordError(f"the till could not look up {what}: {answer.get('errorMessage') or code} ({code})")


def _ok(answer: dict[str, Any], what: str) -> None:
    """A write's answer: anything but `…-RESULT-OK` is that record's error, in the till's words."""
    code = str(answer.get("result") or "")
    if not code.endswith("-RESULT-OK"):
        raise RecordError(f"the till refused {what}: {answer.get('errorMessage') or code} ({code})")


def _flat(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [g for group in groups for g in [group, *_flat(group.get("subGroupList") or [])]]


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in old.items() if k != "syncMarker"}
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        elif value is not None:
            out[key] = value
    return out


def _key(record: Record) -> Key:
    entity = next(e for e, model in MODELS.items() if isinstance(record, model))
    return tuple(str(getattr(record, name)) for name in KEYS[entity])
