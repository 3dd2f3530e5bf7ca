"""The MplusKASSA sandbox's data and the rules the till applies: numeric article numbers, an
employee on every order, sync markers that advance with every change, faults for bad input, and
every stock change kept as a movement with its own increasing `stockId` (see `protocol`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.mpluskassa.amounts import from_amount, to_amount
from connectors.mpluskassa.soap import SoapFault

Handler = Callable[[Mapping[str, Any]], dict[str, Any]]
PAYMENT_METHODS = {
    "CASH": "Contant",
    "PIN": "Pinnen",
    "IDEAL": "iDEAL",
    "CARD": "Creditcard",
    "ONACCOUNT": "Op rekening",
}


def _fault(message: str) -> SoapFault:
    return SoapFault("Client", message)


def _number(value: Any, what: str) -> int:
    text = str(value).strip()
    if not text.isascii() or not text.lstrip("-").isdigit():
        raise _fault(f"{what} '{value}' is not a number")
    return int(text)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Till:
    """One merchant's MplusKASSA: branches, employees, catalogue, stock, relations, orders."""

    branches: dict[int, str] = field(default_factory=lambda: {1: "Amsterdam", 2: "Utrecht"})
    employees: dict[int, str] = field(default_factory=lambda: {999999: "Webshop", 1: "Anna"})
    payment_methods: dict[str, str] = field(default_factory=lambda: dict(PAYMENT_METHODS))
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[int, int], dict[str, Decimal]] = field(default_factory=dict)
    price_groups: dict[int, str] = field(default_factory=lambda: {1: "retail", 2: "wholesale"})
    sales_prices: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    relations: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Stock movements as getStockHistory answers them, oldest first, and per level the stockId of
    # its last movement (getStock's `stockId`; a level never moved has none, 0)
    stock_history: list[dict[str, Any]] = field(default_factory=list)
    stock_ids: dict[tuple[int, int], int] = field(default_factory=dict)
    marker: int = 0
    # The most items a change feed answers, whatever syncMarkerLimit asks. Whether a real port caps
    # it is not documented; tests set a small cap to reach a page boundary with a few records, and
    # to see that a client follows the marker when it gets fewer items than it asked for.
    page_cap: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def handlers(self) -> dict[str, Handler]:
        return {
            "getBranches": lambda r: {"branchList": [{"branchNumber": n, "name": v} for n, v in self.branches.items()]},
            "getActiveEmployeeList": lambda r: {
                "employeeList": [{"employeeNumber": n, "name": v} for n, v in self.employees.items()]},
            "getPaymentMethods": lambda r: {
                "paymentMethodList": [{"method": k, "description": v} for k, v in self.payment_methods.items()]},
            "getArticleGroups": lambda r: {"articleGroupList": list(self.groups.values())},
            "saveArticleGroups": self.save_groups,
            "getProducts": self.get_products,
            "createProduct": lambda r: self.save_product(r, creating=True),
            "updateProduct": lambda r: self.save_product(r, creating=False),
            "getStock": self.get_stock,
            "getStockHistory": self.get_stock_history,
            "setStock": lambda r: self.change_stock(r, relative=False),
            "updateStock": lambda r: self.change_stock(r, relative=True),
            "getPriceGroupList": lambda r: {
                "priceGroupList": [{"priceGroupNumber": n, "name": v} for n, v in self.price_groups.items()]},
            "getSalesPriceList": self.get_sales_prices,
            "findRelation": self.find_relation,
            "createRelation": lambda r: self.save_relation(r, creating=True),
            "updateRelation": lambda r: self.save_relation(r, creating=False),
            "getRelations": lambda r: self._feed(self.relations.values(), r, "relationList"),
            "createOrder": self.create_order,
            "findOrder": self.find_order,
            "getOrder": self.get_order,
            "getOrderChanges": lambda r: self._feed(self.orders.values(), r, "orderList"),
            "getCurrentSyncMarkers": lambda r: {"syncMarker": self.marker},
        }  # fmt: skip

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        handler = self.handlers().get(operation)
        if handler is None:
            raise SoapFault("Client", f"unknown operation {operation}")
        with self.lock:
            return handler(request)

    def _stamp(self, item: dict[str, Any]) -> None:
        self.marker += 1
        item["syncMarker"] = self.marker

    def _feed(self, items: Any, request: Mapping[str, Any], name: str) -> dict[str, Any]:
        since = int(request.get("syncMarker") or 0)
        limit = int(request.get("syncMarkerLimit") or 100)
        limit = min(limit, self.page_cap) if self.page_cap else limit
        changed = sorted((i for i in items if i["syncMarker"] > since), key=lambda i: i["syncMarker"])[:limit]
        # only the items, each with its own syncMarker: the published WSDL's feed answers
        # (GetProductsResponse, GetRelationsResponse, ...) carry no marker of their own
        return {name: changed}

    # ---- catalogue -------------------------------------------------------------------------

    def save_groups(self, request: Mapping[str, Any]) -> dict[str, Any]:
        for group in _list(request.get("articleGroupList")):
            number = _number(group.get("groupNumber"), "groupNumber")
            self.groups[number] = {"groupNumber": number, "name": group.get("name") or "",
                                   "parentGroupNumber": group.get("parentGroupNumber") or None}  # fmt: skip
            self._stamp(self.groups[number])
        return {"result": "OK"}

    def article_product(self, article_number: int) -> dict[str, Any] | None:
        return next((p for p in self.products.values()
                     if any(int(a["articleNumber"]) == article_number for a in p["articleList"])), None)  # fmt: skip

    def get_products(self, request: Mapping[str, Any]) -> dict[str, Any]:
        wanted = {_number(n, "articleNumber") for n in _list(request.get("articleNumberList"))}
        numbers = {_number(n, "productNumber") for n in _list(request.get("productNumberList"))}
        if not wanted and not numbers:
            return self._feed(self.products.values(), request, "productList")
        found = [p for p in self.products.values() if p["productNumber"] in numbers
                 or any(int(a["articleNumber"]) in wanted for a in p["articleList"])]  # fmt: skip
        return {"productList": found}

    def save_product(self, request: Mapping[str, Any], creating: bool) -> dict[str, Any]:
        product = dict(request.get("product") or {})
        number = _number(product.get("productNumber"), "productNumber")
        if creating and number in self.products:
            raise _fault(f"product {number} already exists")
        if not creating and number not in self.products:
            raise _fault(f"product {number} does not exist")
        if not str(product.get("description") or "").strip():
            raise _fault(f"product {number} needs a description")
        articles = []
        for article in _list(product.get("articleList")):
            article_number = _number(article.get("articleNumber"), "articleNumber")
            owner = self.article_product(article_number)
            if owner is not None and owner["productNumber"] != number:
                raise _fault(f"article {article_number} belongs to product {owner['productNumber']}")
            turnover = _number(article.get("turnoverGroup") or 0, "turnoverGroup")
            if not 0 <= turnover <= 999:
                raise _fault(f"turnoverGroup {turnover} must be 0-999")
            for money in ("priceIncl", "priceExcl"):
                if article.get(money) is not None:
                    from_amount(article[money])
            articles.append({**article, "articleNumber": article_number, "turnoverGroup": turnover})
        for group in _list(product.get("groupNumberList")):
            if _number(group, "groupNumber") not in self.groups:
                raise _fault(f"article group {group} does not exist")
        stored = {**product, "productNumber": number, "articleList": articles}
        self._stamp(stored)
        self.products[number] = stored
        for article in articles:
            for branch in self.branches:
                self.stock.setdefault(
                    (branch, article["articleNumber"]), {"amount": Decimal(0), "reserved": Decimal(0)}
                )
        return {"productNumber": number}

    # ---- stock -----------------------------------------------------------------------------

    def _branch(self, value: Any) -> int:
        branch = _number(value, "branchNumber")
        if branch not in self.branches:
            raise _fault(f"branch {branch} does not exist")
        return branch

    def _level(self, branch: int, article: int) -> dict[str, Decimal]:
        return self.stock.setdefault((branch, article), {"amount": Decimal(0), "reserved": Decimal(0)})

    def get_stock(self, request: Mapping[str, Any]) -> dict[str, Any]:
        branch = self._branch(request.get("branchNumber"))
        wanted = {_number(n, "articleNumber") for n in _list(request.get("articleNumberList"))}
        rows = [
            {"articleNumber": article, "amount": to_amount(level["amount"]), "reserved": to_amount(level["reserved"]),
             "stockId": self.stock_ids.get((b, article), 0)}
            for (b, article), level in sorted(self.stock.items())
            if b == branch and (not wanted or article in wanted)
        ]  # fmt: skip
        return {"stockList": rows}

    def get_stock_history(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The movements of a branch's stock after `sinceStockId`, of the articles asked for (all when none)."""
        branch = self._branch(request.get("branchNumber"))
        wanted = {_number(n, "articleNumber") for n in _list(request.get("articleNumberList"))}
        since = _number(request.get("sinceStockId") or 0, "sinceStockId")
        rows = [m for m in self.stock_history if m["branchNumber"] == branch and m["stockId"] > since
                and (not wanted or m["articleNumber"] in wanted)]  # fmt: skip
        return {"stockHistoryList": rows}

    def change_stock(self, request: Mapping[str, Any], relative: bool) -> dict[str, Any]:
        branch = self._branch(request.get("branchNumber"))
        article = _number(request.get("articleNumber"), "articleNumber")
        if self.article_product(article) is None:
            raise _fault(f"article {article} does not exist")
        level = self._level(branch, article)
        amount = from_amount(request.get("amountChanged" if relative else "amount"))
        change = amount if relative else amount - level["amount"]
        stock_id = self._move(branch, article, change, "STOCK-HISTORY-TYPE-API")
        return {"result": "UPDATE-STOCK-RESULT-OK" if relative else "SET-STOCK-RESULT-OK", "stockId": stock_id}

    def _move(self, branch: int, article: int, change: Decimal, kind: str, order_id: str | None = None) -> int:
        """Change a level's amount on hand by `change`, kept as a movement; its stockId."""
        level = self._level(branch, article)
        level["amount"] += change
        stock_id = len(self.stock_history) + 1
        self.stock_ids[(branch, article)] = stock_id
        movement = {"stockId": stock_id, "branchNumber": branch, "articleNumber": article,
                    "amountChanged": to_amount(change), "type": kind, "orderId": order_id}  # fmt: skip
        self.stock_history.append({k: v for k, v in movement.items() if v is not None})
        return stock_id

    def get_sales_prices(self, request: Mapping[str, Any]) -> dict[str, Any]:
        group = _number(request.get("priceGroupNumber"), "priceGroupNumber")
        if group not in self.price_groups:
            raise _fault(f"price group {group} does not exist")
        rows = [
            {"articleNumber": a, "price": to_amount(p, 2)}
            for (g, a), p in sorted(self.sales_prices.items())
            if g == group
        ]
        return {"salesPriceList": rows}

    # ---- relations -------------------------------------------------------------------------

    def find_relation(self, request: Mapping[str, Any]) -> dict[str, Any]:
        email = str(request.get("email") or "").strip().lower()
        found = next((r for r in self.relations.values() if str(r.get("email") or "").lower() == email), None)
        return {"relation": found} if found else {}

    def save_relation(self, request: Mapping[str, Any], creating: bool) -> dict[str, Any]:
        relation = dict(request.get("relation") or {})
        if creating:
            # Nothing keeps two relations from sharing an email: CreateRelationResult knows only a
            # relation number already taken, so a relation sent twice is made twice.
            number = _number(relation["relationNumber"], "relationNumber") if relation.get("relationNumber") else (
                max(self.relations, default=20000) + 1)  # fmt: skip
            if number in self.relations:
                taken = "CREATE-RELATION-RESULT-FAILED-RELATION-NUMBER-ALREADY-TAKEN"
                return {"result": taken, "errorMessage": f"relation number {number} is already taken"}
        else:
            number = _number(relation.get("relationNumber"), "relationNumber")
            if number not in self.relations:
                raise _fault(f"relation {number} does not exist")
        if not (relation.get("name") or relation.get("companyName")):
            raise _fault("a relation needs a name or a company name")
        stored = {**self.relations.get(number, {}), **relation, "relationNumber": number}
        self._stamp(stored)
        self.relations[number] = stored
        return {
            "result": "CREATE-RELATION-RESULT-OK" if creating else "UPDATE-RELATION-RESULT-OK",
            "relationNumber": number,
        }

    # ---- orders ----------------------------------------------------------------------------

    def find_order(self, request: Mapping[str, Any]) -> dict[str, Any]:
        ext = str(request.get("extOrderId") or "")
        found = next((o for o in self.orders.values() if o.get("extOrderId") == ext), None)
        return {"order": found} if found else {}

    def get_order(self, request: Mapping[str, Any]) -> dict[str, Any]:
        found = self.orders.get(str(request.get("orderId")))
        return {"order": found} if found else {}

    def create_order(self, request: Mapping[str, Any]) -> dict[str, Any]:
        order = dict(request.get("order") or {})
        employee = _number(order.get("employeeNumber") or 0, "employeeNumber")
        if employee not in self.employees:
            raise _fault(f"employee {employee} does not exist; an order needs a known employee number")
        branch = self._branch(order.get("branchNumber"))
        if order.get("relationNumber") and _number(order["relationNumber"], "relationNumber") not in self.relations:
            raise _fault(f"relation {order['relationNumber']} does not exist")
        if order.get("extOrderId") and self.find_order({"extOrderId": order["extOrderId"]}):
            # an answer, not a fault: CreateOrderResult has a code of its own for it
            return {"result": "CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS",
                    "errorMessage": f"an order with extOrderId {order['extOrderId']} already exists"}  # fmt: skip
        lines = []
        for line in _list(order.get("lineList")):
            article = _number(line.get("articleNumber"), "articleNumber")
            if self.article_product(article) is None:
                raise _fault(f"article {article} does not exist")
            lines.append({**line, "articleNumber": article})
        for payment in _list(order.get("paymentList")):
            if payment.get("method") not in self.payment_methods:
                raise _fault(f"payment method {payment.get('method')} does not exist")
        invoice = order.get("type") == "invoice"
        order_id = f"{branch}-{len(self.orders) + 1:06d}"
        for line in lines:  # an order reserves stock at its branch; an invoice takes it (a sale)
            quantity = from_amount(line["quantity"])
            if invoice:
                self._move(branch, line["articleNumber"], -quantity, "STOCK-HISTORY-TYPE-SALES", order_id)
            else:
                self._level(branch, line["articleNumber"])["reserved"] += quantity
        stored = {**order, "orderId": order_id, "employeeNumber": employee, "branchNumber": branch, "lineList": lines,
                  "financialDate": order.get("financialDate") or datetime.now(UTC).date().isoformat()}  # fmt: skip
        self._stamp(stored)
        self.orders[order_id] = stored
        return {"result": "CREATE-ORDER-RESULT-OK", "orderId": order_id}
