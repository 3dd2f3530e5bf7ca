"""The MplusKASSA sandbox's data and the rules the till applies, in the API's own shapes (`schema`).

Each handler takes an operation's parts as `soap.read_request` gives them and answers the data of
its answer element. Refusals are answers with the operation's result code and the till's words in
`errorMessage`, where the answer has a result; a request the till cannot act on at all (a branch
it does not have in `getStock`, a lookup without a key) is a Client fault. Numeric article
numbers, an existing employee on every order, sync markers that advance with every change, and
every stock change kept as a movement with its own increasing `stockId` (see `protocol`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.mpluskassa.amounts import from_amount, to_amount, to_cents
from connectors.mpluskassa.soap import SoapFault

Handler = Callable[[Mapping[str, Any]], dict[str, Any]]
API_VERSION = {"majorNumber": 1, "minorNumber": 0, "revisionNumber": 0, "serviceMajorNumber": 4,
               "serviceMinorNumber": 0, "serviceRevisionNumber": 0, "inDebugMode": False}  # fmt: skip
PAYMENT_METHODS = {"CASH": "Contant", "PIN": "Pinnen", "IDEAL": "iDEAL", "CARD": "Creditcard",
                   "ONACCOUNT": "Op rekening"}  # fmt: skip
BRANCH_COUNTRY = {"countryCode": 528, "countryIso3": "NLD", "countryName": "Nederland"}


def _fault(message: str) -> SoapFault:
    return SoapFault("Client", message)


def _now() -> dict[str, int | bool]:
    now = datetime.now(UTC)
    return {"sec": now.second, "min": now.minute, "hour": now.hour, "day": now.day, "mon": now.month,
            "year": now.year, "isdst": False, "timezone": 0}  # fmt: skip


@dataclass
class Till:
    """One merchant's MplusKASSA: branches, employees, catalogue, stock, relations, orders."""

    branches: dict[int, str] = field(default_factory=lambda: {1: "Amsterdam", 2: "Utrecht"})
    employees: dict[int, str] = field(default_factory=lambda: {999999: "Webshop", 1: "Anna"})
    payment_methods: dict[str, str] = field(default_factory=lambda: dict(PAYMENT_METHODS))
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)  # ArticleGroup without subgroups
    group_parents: dict[int, int] = field(default_factory=dict)  # group number → its parent's
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[int, int], dict[str, Decimal]] = field(default_factory=dict)  # amount on hand, reserved
    price_groups: dict[int, str] = field(default_factory=lambda: {1: "retail", 2: "wholesale"})
    group_prices: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (price group, article) → price
    relations: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # by invoiceId
    api_version: dict[str, Any] = field(default_factory=lambda: dict(API_VERSION))  # what getApiVersion answers
    # Stock movements as getStockHistory answers them, oldest first, and per level the stockId of
    # its last movement (getStock's `stockId`; a level never moved has none, 0)
    stock_history: list[dict[str, Any]] = field(default_factory=list)
    stock_ids: dict[tuple[int, int], int] = field(default_factory=dict)
    marker: int = 0
    # Items a change feed answers at most, whatever syncMarkerLimit asks: the maximum is not
    # documented, so a port may answer fewer; tests set it to reach a page boundary with a few
    # records, and to see that a client follows the marker when it gets fewer items than it asked for.
    page_cap: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def handlers(self) -> dict[str, Handler]:
        return {
            "getApiVersion": lambda p: dict(self.api_version),
            "getBranches": lambda p: {"branches": [
                {"branchNumber": n, "branchName": name, "abbreviation": name[:3].upper(), **BRANCH_COUNTRY}
                for n, name in self.branches.items()]},
            "getActiveEmployeeList": self.get_employees,
            "getPaymentMethods": lambda p: {"paymentMethodList": [
                {"method": k, "description": v, "buttonText": v, "allowNegativeAmount": False, "active": True}
                for k, v in self.payment_methods.items()]},
            "getCurrentSyncMarkers": self.current_markers,
            "getArticleGroups": self.get_groups,
            "saveArticleGroups": self.save_groups,
            "getProducts": self.get_products,
            "createProduct": lambda p: self.save_product(p["product"], creating=True),
            "updateProduct": lambda p: self.save_product(p["product"], creating=False),
            "getStock": self.get_stock,
            "getStockHistory": self.get_stock_history,
            "setStock": lambda p: self.change_stock(p["request"], relative=False),
            "updateStock": lambda p: self.change_stock(p["request"], relative=True),
            "getPriceGroupList": lambda p: {"priceGroup": [
                {"priceGroupNumber": n, "description": name} for n, name in self.price_groups.items()]},
            "getSalesPriceList": lambda p: {"salesPrice": []},  # promotions: the sandbox runs none
            "findRelation": self.find_relation,
            "getRelation": self.get_relation,
            "createRelation": lambda p: self.save_relation(p.get("relation"), creating=True),
            "updateRelation": lambda p: self.save_relation(p.get("relation"), creating=False),
            "getRelations": self.get_relations,
            "createOrder": lambda p: self.create_order(p.get("order")),
            "findOrder": lambda p: self._order_answer(
                next((o for o in self.orders.values() if o.get("extOrderId") == p["extOrderId"]), None)),
            "getOrder": lambda p: self._order_answer(self.orders.get(p["orderId"])),
            "getOrderChanges": lambda p: {"orderChangeList": [
                {"orderId": o["orderId"], "extOrderId": o.get("extOrderId"), "syncMarker": o["syncMarker"]}
                for o in self._changed(self.orders.values(), p["request"])]},
            "saveInvoice": lambda p: self.save_invoice(p["invoice"]),
            "findInvoice": lambda p: self._invoice_answer(
                next((i for i in self.invoices.values() if i.get("extInvoiceId") == p["extInvoiceId"]), None)),
            "getInvoice": lambda p: self._invoice_answer(self.invoices.get(p["invoiceId"])),
            "getInvoices": self.get_invoices,
        }  # fmt: skip

    def call(self, operation: str, parts: Mapping[str, Any]) -> dict[str, Any]:
        handler = self.handlers().get(operation)
        if handler is None:
            raise _fault(f"unknown operation {operation}")
        with self.lock:
            return handler(parts)

    def _stamp(self, item: dict[str, Any]) -> None:
        self.marker += 1
        item["syncMarker"] = self.marker

    def _changed(self, items: Iterable[dict[str, Any]], request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The items changed after the request's syncMarker, oldest first, at most syncMarkerLimit
        (and the page cap); each carries its own syncMarker, the feed's answer none of its own."""
        since = int(request.get("syncMarker") or 0)
        limit = int(request.get("syncMarkerLimit") or 100)
        limit = min(limit, self.page_cap) if self.page_cap else limit
        return sorted((i for i in items if i["syncMarker"] > since), key=lambda i: i["syncMarker"])[:limit]

    def current_markers(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        def last(items: Iterable[dict[str, Any]]) -> int:
            return max((int(i["syncMarker"]) for i in items), default=0)

        return {"articleSyncMarker": last(self.products.values()), "articleGroupSyncMarker": last(self.groups.values()),
                "relationSyncMarker": last(self.relations.values()), "employeeSyncMarker": 0,
                "invoiceSyncMarker": last(self.invoices.values()),
                "receiptSyncMarker": 0, "orderSyncMarker": last(self.orders.values()),
                "stockId": len(self.stock_history)}  # fmt: skip

    def get_employees(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        if parts["terminal"]["branchNumber"] not in self.branches:
            raise _fault(f"branch {parts['terminal']['branchNumber']} does not exist")
        return {"return": [{"number": n, "loginname": name.lower(), "name": name, "allowNegativeOrdering": False}
                           for n, name in self.employees.items()]}  # fmt: skip

    # ---- catalogue -------------------------------------------------------------------------

    def _tree(self, number: int) -> dict[str, Any]:
        children = [n for n, parent in self.group_parents.items() if parent == number]
        return {**self.groups[number], "subGroupList": [self._tree(n) for n in sorted(children)]}

    def get_groups(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        """The groups as a tree: each with its subgroups; asked by number, those groups' trees."""
        request = parts["request"]
        wanted = request.get("groupNumbers") or [n for n in sorted(self.groups) if n not in self.group_parents]
        return {"articleGroupList": [self._tree(n) for n in wanted if n in self.groups]}

    def save_groups(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        """Saves each group under its number, a subgroup under the group it is sent in; subgroups
        not sent are kept (see `protocol`)."""

        def save(groups: list[dict[str, Any]], parent: int | None) -> None:
            for group in groups:
                number = group["groupNumber"]
                self.groups[number] = {"groupNumber": number, "name": group["name"], "text": group["text"],
                                       "sortOrder": group.get("sortOrder") or 0}  # fmt: skip
                self._stamp(self.groups[number])
                if parent is None:
                    self.group_parents.pop(number, None)
                else:
                    self.group_parents[number] = parent
                save(group["subGroupList"], number)

        save(parts["request"]["articleGroupList"], None)
        return {"result": "SAVE-ARTICLE-GROUPS-RESULT-OK"}

    def article_product(self, article_number: int) -> dict[str, Any] | None:
        def sells(product: dict[str, Any]) -> bool:
            return any(a["articleNumber"] == article_number for a in product.get("articleList") or [])

        return next((p for p in self.products.values() if sells(p)), None)

    def _product_answer(self, product: dict[str, Any]) -> dict[str, Any]:
        articles = []
        for article in product.get("articleList") or []:
            prices = [{"priceGroupNumber": g, "description": self.price_groups[g], "priceIncl": to_cents(p)}
                      for (g, a), p in sorted(self.group_prices.items()) if a == article["articleNumber"]]  # fmt: skip
            articles.append({**article, "priceGroupList": prices} if prices else article)
        return {**product, "articleList": articles}

    def get_products(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        request = parts["request"]
        articles, numbers = set(request.get("articleNumbers") or []), set(request.get("productNumbers") or [])
        groups = set(request.get("groupNumbers") or [])
        found = list(self.products.values())
        if articles or numbers or groups:
            found = [p for p in found if p["productNumber"] in numbers or groups & set(p.get("groupNumbers") or [])
                     or any(a["articleNumber"] in articles for a in p.get("articleList") or [])]  # fmt: skip
        if "syncMarker" in request:
            found = self._changed(found, request)
        return {"productList": [self._product_answer(p) for p in found]}

    def save_product(self, product: dict[str, Any], creating: bool) -> dict[str, Any]:
        kind = "CREATE-PRODUCT-RESULT" if creating else "UPDATE-PRODUCT-RESULT"
        number = product.get("productNumber")
        answer: dict[str, Any] = {"productNumber": number or 0} if creating else {}

        def refused(code: str, message: str) -> dict[str, Any]:
            return {**answer, "result": f"{kind}-{code}", "errorMessage": message}

        if number is None:
            return refused("FAILED", "a product needs a productNumber")
        if creating and number in self.products:
            return refused("FAILED-PRODUCT-NUMBER-ALREADY-TAKEN", f"product number {number} is already taken")
        if not creating and number not in self.products:
            return refused("NOT-FOUND", f"product {number} does not exist")
        if not str(product.get("description") or "").strip():
            return refused("FAILED", f"product {number} needs a description")
        for article in product.get("articleList") or []:
            if article.get("articleNumber") is None:
                return refused("FAILED", f"an article of product {number} has no articleNumber")
            owner = self.article_product(article["articleNumber"])
            if owner is not None and owner["productNumber"] != number:
                return refused("FAILED", f"article {article['articleNumber']} belongs to product "
                                         f"{owner['productNumber']}")  # fmt: skip
            if not 0 <= (article.get("turnoverGroup") or 0) <= 999:
                return refused("FAILED", f"turnoverGroup {article['turnoverGroup']} must be 0-999")
        for group in product.get("groupNumbers") or []:
            if group not in self.groups:
                return refused("FAILED", f"article group {group} does not exist")
        articles = [{k: v for k, v in a.items() if k != "priceGroupList"} for a in product.get("articleList") or []]
        before = {a["articleNumber"] for a in (self.products.get(number) or {}).get("articleList") or []}
        stored = {**product, "productNumber": number, "articleList": articles}
        self._stamp(stored)
        self.products[number] = stored
        for article in articles:
            for branch in self.branches:
                self._level(branch, article["articleNumber"])
        made = [a["articleNumber"] for a in articles]
        if creating:
            return {"result": "CREATE-PRODUCT-RESULT-OK", "productNumber": number, "articleNumbers": made,
                    "syncMarker": self.marker, "errorMessage": ""}  # fmt: skip
        return {"result": "UPDATE-PRODUCT-RESULT-OK", "existingArticleNumbers": [a for a in made if a in before],
                "newArticleNumbers": [a for a in made if a not in before], "syncMarker": self.marker,
                "errorMessage": ""}  # fmt: skip

    # ---- stock -----------------------------------------------------------------------------

    def _level(self, branch: int, article: int) -> dict[str, Decimal]:
        return self.stock.setdefault((branch, article), {"amount": Decimal(0), "reserved": Decimal(0)})

    def get_stock(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        request = parts["request"]
        branch = request["branchNumber"]
        if branch not in self.branches:
            raise _fault(f"branch {branch} does not exist")
        wanted = set(request["articleNumbers"])
        since = request.get("stockId") or 0
        rows = []
        for (b, article), level in sorted(self.stock.items()):
            stock_id = self.stock_ids.get((b, article), 0)
            if b != branch or (wanted and article not in wanted) or (since and stock_id <= since):
                continue
            (free, free_places), (reserved, reserved_places) = to_amount(level["amount"]), to_amount(level["reserved"])
            rows.append({"branchNumber": b, "articleNumber": article, "stockId": stock_id, "amountFree": free,
                         "decimalPlacesFree": free_places, "amountReserved": reserved,
                         "decimalPlacesReserved": reserved_places, "amountIncoming": 0, "decimalPlacesIncoming": 0,
                         "isDayStockArticle": False})  # fmt: skip
        return {"articleStocks": rows}

    def get_stock_history(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        """The movements of a branch's stock after `sinceStockId`, of the articles asked for (all when none)."""
        request = parts["request"]
        branch, wanted = request["branchNumber"], set(request.get("articleNumbers") or [])
        since = request.get("sinceStockId") or 0
        rows = [m for m in self.stock_history if m["branchNumber"] == branch and m["stockId"] > since
                and (not wanted or m["articleNumber"] in wanted)]  # fmt: skip
        return {"articleStockHistory": rows[: request.get("sinceStockIdLimit") or None]}

    def change_stock(self, request: Mapping[str, Any], relative: bool) -> dict[str, Any]:
        kind = "UPDATE-STOCK-RESULT" if relative else "SET-STOCK-RESULT"
        branch, article = request["branchNumber"], request["articleNumber"]
        if branch not in self.branches:
            return {"result": f"{kind}-BRANCH-NOT-FOUND"}
        if self.article_product(article) is None:
            return {"result": f"{kind}-ARTICLE-NOT-FOUND"}
        amount = from_amount(request["amountChanged" if relative else "amount"], request.get("decimalPlaces"))
        change = amount if relative else amount - self._level(branch, article)["amount"]
        return {"result": f"{kind}-OK", "stockId": self._move(branch, article, change, "STOCK-HISTORY-TYPE-API")}

    def _move(self, branch: int, article: int, change: Decimal, kind: str, order_id: str | None = None) -> int:
        """Change a level's amount on hand by `change`, kept as a movement; its stockId."""
        self._level(branch, article)["amount"] += change
        stock_id = len(self.stock_history) + 1
        self.stock_ids[(branch, article)] = stock_id
        amount, places = to_amount(change)
        movement = {"stockId": stock_id, "timestamp": _now(), "branchNumber": branch, "articleNumber": article,
                    "amountChanged": amount, "decimalPlaces": places, "type": kind, "orderId": order_id}  # fmt: skip
        self.stock_history.append({k: v for k, v in movement.items() if v is not None})
        return stock_id

    # ---- relations -------------------------------------------------------------------------

    def find_relation(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        """The relation whose relationNumber, extRelationId and email are all those asked for (email
        without regard to case); a request that names none of them is refused, never matched."""
        asked = parts.get("relation") or {}
        keys = {k: asked[k] for k in ("relationNumber", "extRelationId", "email") if asked.get(k) not in (None, "")}
        if not keys:
            raise _fault("findRelation needs a relationNumber, extRelationId or email to find a relation by")

        def matches(relation: Mapping[str, Any]) -> bool:
            return all(str(relation.get(k) or "").lower() == str(v).strip().lower() for k, v in keys.items())

        found = next((r for r in self.relations.values() if matches(r)), None)
        if found is None:
            return {"result": "FIND-RELATION-RESULT-NOT-FOUND"}
        return {"result": "FIND-RELATION-RESULT-OK", "relation": found}

    def get_relation(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        found = self.relations.get(parts["relationNumber"])
        if found is None:  # the answer's relation is required: an empty one
            return {"result": "GET-RELATION-RESULT-NOT-FOUND", "relation": {}}
        return {"result": "GET-RELATION-RESULT-OK", "relation": found}

    def get_relations(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        request = parts.get("request") or {}
        found = list(self.relations.values())
        if request.get("relationNumbers"):
            found = [r for r in found if r["relationNumber"] in request["relationNumbers"]]
        if "syncMarker" in request:
            found = self._changed(found, request)
        return {"relationList": found}

    def save_relation(self, relation: dict[str, Any] | None, creating: bool) -> dict[str, Any]:
        kind = "CREATE-RELATION-RESULT" if creating else "UPDATE-RELATION-RESULT"
        relation = dict(relation or {})
        number = relation.get("relationNumber")
        answer: dict[str, Any] = {"relationNumber": number or 0} if creating else {}
        if creating:
            # Nothing keeps two relations from sharing an email: CreateRelationResult knows only a
            # relation number already taken, so a relation sent twice is made twice.
            number = number or max(self.relations, default=20000) + 1
            if number in self.relations:
                return {**answer, "result": f"{kind}-FAILED-RELATION-NUMBER-ALREADY-TAKEN",
                        "errorMessage": f"relation number {number} is already taken"}  # fmt: skip
        elif number not in self.relations:
            return {"result": f"{kind}-NOT-FOUND", "errorMessage": f"relation {number} does not exist"}
        stored = {**self.relations.get(number, {}), **relation, "relationNumber": number}
        if not (stored.get("name") or stored.get("companyName")):
            return {**answer, "result": f"{kind}-FAILED", "errorMessage": "a relation needs a name or a company name"}
        self._stamp(stored)
        self.relations[number] = stored
        answer = {"relationNumber": number} if creating else {}
        return {**answer, "result": f"{kind}-OK", "syncMarker": self.marker, "errorMessage": ""}

    # ---- orders ----------------------------------------------------------------------------

    @staticmethod
    def _order_answer(order: dict[str, Any] | None) -> dict[str, Any]:
        return {"result": "GET-ORDER-RESULT-OK", "order": order} if order else {"result": "GET-ORDER-RESULT-NOT-FOUND"}

    def _order_problem(self, order: Mapping[str, Any]) -> tuple[str, str] | None:
        """Why the till refuses `order` or an invoice (its result code's end and words), or None."""
        employee = order.get("employeeNumber") or 0
        if employee not in self.employees:
            return "FAILED", f"employee {employee} does not exist; an order needs a known employee number"
        branch = order.get("financialBranchNumber") or order.get("entryBranchNumber") or 0
        if branch not in self.branches:
            return "FAILED", f"branch {branch} does not exist"
        relation = order.get("relationNumber") or 0
        if relation and relation not in self.relations:
            return "FAILED", f"relation {relation} does not exist"
        for line in order.get("lineList") or []:
            if self.article_product(line["articleNumber"]) is None:
                return "FAILED", f"article {line['articleNumber']} does not exist"
        for payment in order.get("paymentList") or []:
            if payment["method"] not in self.payment_methods:
                return "PAYMENT-FAILED", f"payment method {payment['method']} does not exist"
        return None

    def create_order(self, order: dict[str, Any] | None, sale: bool = False) -> dict[str, Any]:
        """Book an order: it reserves stock at its branch. A `sale` (made at the till, as the seed
        does) takes the stock instead."""
        if order is None:
            raise _fault("createOrder needs an order")
        problem = self._order_problem(order)
        if order.get("extOrderId") and any(o.get("extOrderId") == order["extOrderId"] for o in self.orders.values()):
            problem = "EXT-ORDER-ID-ALREADY-EXISTS", f"an order with extOrderId {order['extOrderId']} already exists"
        if problem is not None:
            return {"result": f"CREATE-ORDER-RESULT-{problem[0]}", "info": {"orderId": "", "orderString": ""},
                    "errorMessage": problem[1]}  # fmt: skip
        branch = order.get("financialBranchNumber") or order["entryBranchNumber"]
        order_id = f"{branch}-{len(self.orders) + 1:06d}"
        for line in order.get("lineList") or []:
            data = line.get("data") or {"quantity": 1}
            quantity = from_amount(data["quantity"], data.get("decimalPlaces"))
            if sale:
                self._move(branch, line["articleNumber"], -quantity, "STOCK-HISTORY-TYPE-SALES", order_id)
            else:
                self._level(branch, line["articleNumber"])["reserved"] += quantity
        today = datetime.now(UTC).date()
        stored = {**order, "orderId": order_id, "entryBranchNumber": order.get("entryBranchNumber") or branch,
                  "financialBranchNumber": branch,
                  "financialDate": order.get("financialDate") or {"day": today.day, "mon": today.month,
                                                                  "year": today.year}}  # fmt: skip
        if not stored.get("extOrderId"):
            stored.pop("extOrderId", None)
        self._stamp(stored)
        self.orders[order_id] = stored
        return {"result": "CREATE-ORDER-RESULT-OK", "info": {"orderId": order_id, "orderString": order_id},
                "errorMessage": ""}  # fmt: skip

    def sale(self, order: dict[str, Any]) -> str:
        """Book a sale made at the till, which takes its stock; its orderId."""
        with self.lock:
            answer = self.create_order(order, sale=True)
        if answer["result"] != "CREATE-ORDER-RESULT-OK":
            raise ValueError(f"the till refused the sale: {answer['errorMessage']}")
        return str(answer["info"]["orderId"])

    # ---- invoices --------------------------------------------------------------------------

    @staticmethod
    def _invoice_answer(invoice: dict[str, Any] | None) -> dict[str, Any]:
        if invoice is None:
            return {"result": "GET-INVOICE-RESULT-NOT-FOUND"}
        return {"result": "GET-INVOICE-RESULT-OK", "invoice": invoice}

    def save_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        """Book a new invoice (`invoiceId` ""), which takes its stock at its branch as a sale does, and
        is paid as far as its payments go; one whose `invoiceId` the till does not have is not found,
        a second with the same `extInvoiceId` refused (see `protocol`)."""
        refused = {"info": {"invoiceId": "", "invoiceString": ""}}
        if invoice.get("invoiceId"):  # changing a booked invoice: the sandbox keeps them as booked
            if invoice["invoiceId"] not in self.invoices:
                return {**refused, "result": "SAVE-INVOICE-RESULT-NOT-FOUND",
                        "errorMessage": f"invoice {invoice['invoiceId']} does not exist"}  # fmt: skip
            return {**refused, "result": "SAVE-INVOICE-RESULT-INVOICE-HAS-CHANGED",
                    "errorMessage": "a booked invoice is credited, not changed"}  # fmt: skip
        problem = self._order_problem(invoice)
        ext = invoice.get("extInvoiceId")
        if ext and any(i.get("extInvoiceId") == ext for i in self.invoices.values()):
            problem = "EXT-INVOICE-ID-ALREADY-EXISTS", f"an invoice with extInvoiceId {ext} already exists"
        if problem is not None:
            code = "FAILED" if problem[0] == "PAYMENT-FAILED" else problem[0]
            return {**refused, "result": f"SAVE-INVOICE-RESULT-{code}", "errorMessage": problem[1]}
        branch = invoice.get("financialBranchNumber") or invoice["entryBranchNumber"]
        today = datetime.now(UTC).date()
        number = {"year": today.year, "number": len(self.invoices) + 1}
        invoice_id = str(uuid.uuid4())  # the till's invoice ids are UUIDs
        for line in invoice.get("lineList") or []:
            data = line.get("data") or {"quantity": 1}
            quantity = from_amount(data["quantity"], data.get("decimalPlaces"))
            self._move(branch, line["articleNumber"], -quantity, "STOCK-HISTORY-TYPE-SALES", invoice_id)
        paid = sum(p["amount"] for p in invoice.get("paymentList") or [])
        total = invoice.get("totalInclAmount") or 0
        state = "PAID" if paid and paid >= total else "PARTLY-PAID" if paid else "OUTSTANDING"
        stored = {**invoice, "invoiceId": invoice_id, "invoiceNumber": number,
                  "invoiceType": invoice.get("invoiceType") or "INVOICE-TYPE-INVOICE",
                  "entryBranchNumber": invoice.get("entryBranchNumber") or branch, "financialBranchNumber": branch,
                  "financialDate": invoice.get("financialDate") or {"day": today.day, "mon": today.month,
                                                                    "year": today.year},
                  "paidAmount": paid, "state": f"INVOICE-STATE-{state}"}  # fmt: skip
        if not stored.get("extInvoiceId"):
            stored.pop("extInvoiceId", None)
        self._stamp(stored)
        self.invoices[invoice_id] = stored
        info = {"invoiceId": invoice_id, "invoiceString": f"{number['year']}-{number['number']:06d}",
                "invoiceNumber": number}  # fmt: skip
        return {"result": "SAVE-INVOICE-RESULT-OK", "info": info, "errorMessage": ""}

    def get_invoices(self, parts: Mapping[str, Any]) -> dict[str, Any]:
        """Invoices changed after the request's syncMarker (when it names one), of the branches,
        employees, relations and articles asked for, booked within the financial dates asked for."""
        request = parts["request"]

        def day(date: Mapping[str, int] | None) -> tuple[int, int, int] | None:
            return (date["year"], date["mon"], date["day"]) if date else None

        since, through = day(request.get("fromFinancialDate")), day(request.get("throughFinancialDate"))
        filters = {"branchNumbers": "financialBranchNumber", "employeeNumbers": "employeeNumber",
                   "relationNumbers": "relationNumber"}  # fmt: skip
        found = [i for i in self.invoices.values()
                 if all(i.get(field) in request[name] for name, field in filters.items() if request.get(name))
                 and (not request.get("articleNumbers") or any(
                     line["articleNumber"] in request["articleNumbers"] for line in i.get("lineList") or []))
                 and (since is None or day(i["financialDate"]) >= since)  # type: ignore[operator]
                 and (through is None or day(i["financialDate"]) <= through)]  # type: ignore[operator]  # fmt: skip
        if "syncMarker" in request:
            found = self._changed(found, request)
        return {"invoiceList": found}
