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

    def _call(self, operation: str, request: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.transport.call(operation, request)

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
            page = self._call(operation, {"syncMarker": marker, "syncMarkerLimit": PAGE})
            batch = page.get(name) or []
            items += batch
            # each item carries its own marker (the published WSDL's feed answers have none of their own)
            new_marker = max([int(item.get("syncMarker") or 0) for item in batch] + [marker])
            if not batch or new_marker <= marker:
                return items
            marker = new_marker

    def _read_products(self, keys: Sequence[Key] | None) -> list[Record]:
        if keys is None:
            data = self._feed("getProducts", "productList")
        else:
            numbers = [key[0] for key in keys if key[0].isdigit()]
            data = self._call("getProducts", {"productNumberList": numbers}).get("productList") or [] if numbers else []
        return [convert.product_from(p, CURRENCY) for p in data]

    def _read_categories(self, keys: Sequence[Key] | None) -> list[Record]:
        groups = [convert.category_from(g) for g in self._call("getArticleGroups").get("articleGroupList") or []]
        return [g for g in groups if keys is None or (g.key,) in set(keys)]

    def _branches(self) -> list[int]:
        return [int(b["branchNumber"]) for b in self._call("getBranches").get("branchList") or []]

    def _read_stock(self, keys: Sequence[Key] | None) -> list[Record]:
        wanted = set(keys) if keys is not None else None
        found: list[Record] = []
        for branch in self._branches():
            articles = sorted({k[0] for k in wanted if k[1] == str(branch)}) if wanted is not None else []
            if wanted is not None and not articles:
                continue
            rows = (
                self._call("getStock", {"branchNumber": branch, "articleNumberList": articles}).get("stockList") or []
            )
            found += [s for row in rows if (s := convert.stock_from(row, branch)) and (wanted is None or
                      (s.sku, s.location) in wanted)]  # fmt: skip
        return found

    def _read_prices(self, keys: Sequence[Key] | None) -> list[Record]:
        found: list[Record] = []
        for group in self._call("getPriceGroupList").get("priceGroupList") or []:
            rows = self._call("getSalesPriceList", {"priceGroupNumber": group["priceGroupNumber"]}).get(
                "salesPriceList"
            )
            found += [convert.price_from(row, str(group["name"]), CURRENCY) for row in rows or []]
        return [p for p in found if keys is None or (p.sku, p.price_group) in set(keys)]  # type: ignore[attr-defined]

    def _read_customers(self, keys: Sequence[Key] | None) -> list[Record]:
        if keys is None:
            relations = self._feed("getRelations", "relationList")
        else:
            relations = [r for key in keys if (r := self._call("findRelation", {"email": key[0]}).get("relation"))]
        return [c for r in relations if (c := convert.customer_from(r)) is not None]

    def _read_orders(self, keys: Sequence[Key] | None, since: str | None = None) -> list[Record]:
        """Orders by id, or the order change feed from a sync marker (the flow's cursor)."""
        if keys is None:
            marker = int(since) if since and since.isdigit() else 0
            data = self._feed("getOrderChanges", "orderList", marker)
        else:
            data = [o for key in keys if (o := self._find_order(key[0]))]
        return [convert.order_from(o, CURRENCY) for o in data]

    def _find_order(self, number: str) -> dict[str, Any] | None:
        """An order by the id another system gave it, or by the till's own id (a till sale synced out
        and back is the same order)."""
        found = self._call("findOrder", {"extOrderId": number}).get("order")
        if found is None and "-" in number and number.replace("-", "").isdigit():
            found = self._call("getOrder", {"orderId": number}).get("order")
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
        exists = self._call("getProducts", {"productNumberList": [number]}).get("productList")
        try:
            self._call("updateProduct" if exists else "createProduct", {"product": data})
        except AnswerLostError as lost:  # only a create may be lost: an update is sent again
            if not self._call("getProducts", {"productNumberList": [number]}).get("productList"):
                raise RecordError(f"{lost}; MplusKASSA has no product {number}, so the next run makes it") from None
        return (product.sku,), number, {"productNumber": number, "created": not exists}

    def _write_category(self, category: Category) -> tuple[Key, str, dict[str, Any]]:
        number = numeric_sku(category.key)
        parent = numeric_sku(category.parent) if category.parent else None
        group = {"groupNumber": number, "name": category.name, "parentGroupNumber": parent}
        self._call("saveArticleGroups", {"articleGroupList": [group]})
        return (category.key,), number, {"groupNumber": number}

    def _write_stock(self, level: StockLevel) -> tuple[Key, str, dict[str, Any]]:
        if level.on_hand is None:
            raise RecordError(f"stock of {level.sku} at branch {level.location} has no on-hand amount to set")
        branch, article = numeric_sku(level.location), numeric_sku(level.sku)
        if self.settings.relative_stock:  # book the difference, as a stock mutation the till can show
            rows = self._call("getStock", {"branchNumber": branch, "articleNumberList": [article]}).get("stockList")
            current = next((row for row in rows or [] if str(row.get("articleNumber")) == article), None)
            on_hand = from_amount(current["amount"]) if current else Decimal(0)
            change = to_amount(level.on_hand - on_hand, QUANTITY_PLACES)
            try:
                self._call("updateStock", {"branchNumber": branch, "articleNumber": article, "amountChanged": change})
            except AnswerLostError as lost:
                self._settle_stock(branch, article, change, int((current or {}).get("stockId") or 0), lost)
        else:
            amount = to_amount(level.on_hand, QUANTITY_PLACES)
            self._call("setStock", {"branchNumber": branch, "articleNumber": article, "amount": amount})
        return (level.sku, level.location), f"{branch}/{level.sku}", {"amount": str(level.on_hand)}

    def _settle_stock(
        self, branch: str, article: str, change: dict[str, int], since: int, lost: AnswerLostError
    ) -> None:
        """Whether a relative change whose answer was lost was booked: among the movements after
        `since` (the level's stockId read just before sending it), one made through the API by
        exactly that much. Not found, the record fails: the next run books what is missing then."""
        request = {"branchNumber": branch, "articleNumberList": [article], "sinceStockId": since}
        movements = self._call("getStockHistory", request).get("stockHistoryList") or []
        amount = from_amount(change)
        booked = any(m.get("type") == API_MOVEMENT and from_amount(m["amountChanged"]) == amount for m in movements)
        if not booked:
            raise RecordError(f"{lost}; MplusKASSA shows no such stock change, so the next run books it", "on_hand")

    def _write_customer(self, customer: Customer) -> tuple[Key, str, dict[str, Any]]:
        number = self._save_relation(customer)
        return (customer.email,), str(number), {"relationNumber": number}

    def _save_relation(self, customer: Customer) -> int:
        found = self._call("findRelation", {"email": customer.email}).get("relation")
        number = int(found["relationNumber"]) if found else None
        relation = convert.relation_to(customer, number)
        if found:  # what the record does not say is kept as the till has it
            relation = _merged(found, relation)
        try:
            result = self._call("updateRelation" if found else "createRelation", {"relation": relation})
        except AnswerLostError as lost:  # only a create may be lost: an update is sent again
            made = self._call("findRelation", {"email": customer.email}).get("relation")
            if not made:
                raise RecordError(f"{lost}; MplusKASSA has no relation {customer.email}, so the next run makes it",
                                  "email") from None  # fmt: skip
            return int(made["relationNumber"])
        if not str(result.get("result") or "-OK").endswith("-OK"):
            raise RecordError(f"MplusKASSA refused the relation {customer.email}: {result.get('errorMessage')}")
        return int(result.get("relationNumber") or number or 0)

    def _write_order(self, order: Order) -> tuple[Key, str, dict[str, Any]]:
        existing = self._find_order(order.number)
        if existing:  # the same order delivered again: it is there already
            return (order.number,), str(existing["orderId"]), {"orderId": existing["orderId"], "existed": True}
        articles = sorted({numeric_sku(line.sku) for line in order.lines})
        products = self._call("getProducts", {"articleNumberList": articles}).get("productList") or []
        known = {str(a["articleNumber"]) for p in products for a in p.get("articleList") or []}
        missing = [a for a in articles if a not in known]
        if missing:
            raise RecordError(f"order {order.number} has articles MplusKASSA does not know: {', '.join(missing)}; "
                              "nothing was created", "lines")  # fmt: skip
        if order.customer is not None:
            relation = self._save_relation(order.customer)
        elif order.customer_number:
            relation = int(numeric_sku(order.customer_number))
        else:
            raise RecordError(f"order {order.number} has no customer and the flow sets no default_debtor", "customer")
        employee = int(order.employee) if order.employee else self.settings.employee_number
        if order.branch and not order.branch.isdigit():
            raise RecordError(
                f"branch {order.branch!r} is not a MplusKASSA branch number; map it in the spec", "branch"
            )
        branch = int(order.branch) if order.branch else self.settings.branch
        result = self._call("createOrder", {"order": convert.order_to(order, relation, employee, branch)})
        if result.get("result") == ORDER_EXISTS:  # sent again after its answer was lost: the first made it
            existing = self._find_order(order.number)
            if existing:
                return (order.number,), str(existing["orderId"]), {"orderId": existing["orderId"], "existed": True}
        if "orderId" not in result:
            raise RecordError(f"MplusKASSA did not make order {order.number}: {result.get('errorMessage') or result}")
        return (order.number,), str(result["orderId"]), {"orderId": result["orderId"], "relationNumber": relation}


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
