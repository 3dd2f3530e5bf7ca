"""The sandbox against an independent SOAP client: zeep, built from the sandbox's own WSDL, calls
every operation the way Mplus's published PHP client does (its parts, element names and types)
and gets well-typed answers (zeep hands back an answer of one list as that list). A renamed
element fails the call or its check; a changed type fails the check of the value's type. The
calls run in order: later ones read what earlier ones wrote."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.mpluskassa.sandbox import MplusSandbox, start
from connectors.mpluskassa.schema import OPERATIONS
from connectors.testing.server import serving

zeep = pytest.importorskip("zeep")

TERMINAL = {"branchNumber": 1, "branchName": "Amsterdam", "terminalNumber": 1, "terminalName": "Kassa 1",
            "terminalStatus": "TERMINAL-STATUS-AVAILABLE", "uniqueDeviceIdentifier": "tillsync-test"}  # fmt: skip
MUG = {"productNumber": 3000, "description": "Espresso cup", "groupNumbers": [20],
       "articleList": {"article": [{"articleNumber": 3001, "description": "Espresso cup blue", "colour": "blue",
                                    "priceIncl": 895, "vatPercentage": 21, "stockArticle": True}]}}  # fmt: skip
ORDER = {"orderId": "", "extOrderId": "W9001", "entryBranchNumber": 1, "employeeNumber": 999999,
         "relationNumber": 1000, "financialBranchNumber": 1, "totalInclAmount": 2500,
         "vatMethod": "VAT-METHOD-INCLUSIVE", "fullyPaid": True,
         "lineList": {"line": [{"articleNumber": 2000, "data": {"quantity": 2, "decimalPlaces": 0, "price": 1250}}]},
         "paymentList": {"payment": [{"method": "IDEAL", "amount": 2500}]}}  # fmt: skip

INVOICE = {"invoiceId": "", "extInvoiceId": "F9001", "employeeNumber": 999999, "relationNumber": 1000,
           "financialBranchNumber": 1, "entryBranchNumber": 1, "totalInclAmount": 1250,
           "vatMethod": "VAT-METHOD-INCLUSIVE",
           "lineList": {"line": [{"articleNumber": 2000, "data": {"quantity": 1, "decimalPlaces": 0, "price": 1250}}]},
           "paymentList": {"payment": [{"method": "PIN", "amount": 1250}]}}  # fmt: skip


@pytest.fixture(scope="module")
def till() -> Iterator[tuple[MplusSandbox, Any]]:
    sandbox = start()
    with serving(sandbox) as url:
        assert httpx.get(url + "/").status_code == 405, "a plain GET of the endpoint answers as the real server"
        client = zeep.Client(url + "/?wsdl")
        query = f"?ident={sandbox.ident}&secret={sandbox.secret}"
        yield sandbox, client.create_service("{urn:mplusqapi}MplusQapiBinding", url + "/" + query)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# In order: later calls read what earlier ones wrote.
CALLS: list[tuple[str, dict[str, Any], Callable[[Any], bool]]] = [
    ("getApiVersion", {}, lambda a: _int(a.majorNumber) and a.majorNumber >= 1 and a.inDebugMode is False),
    ("getBranches", {}, lambda a: [(b.branchNumber, b.branchName) for b in a] == [(1, "Amsterdam"),
                                                                                           (2, "Utrecht")]),
    ("getActiveEmployeeList", {"terminal": TERMINAL}, lambda a: 999999 in [e.number for e in a]),
    ("getPaymentMethods", {}, lambda a: "IDEAL" in [m.method for m in a]),
    ("getArticleGroups", {"request": {"groupNumbers": [10, 20]}},
     lambda a: [(g.groupNumber, g.name) for g in a] == [(10, "Shirts"), (20, "Mugs")]),
    ("saveArticleGroups", {"request": {"articleGroupList": {"articleGroups": [
        {"groupNumber": 20, "name": "Mugs", "text": "", "subGroupList": {"articleGroups": [
            {"groupNumber": 21, "name": "Cups", "text": "", "subGroupList": {"articleGroups": []}}]}}]}}},
     lambda a: a.result == "SAVE-ARTICLE-GROUPS-RESULT-OK"),
    ("createProduct", {"product": MUG}, lambda a: a.result == "CREATE-PRODUCT-RESULT-OK" and a.productNumber == 3000
     and a.articleNumbers == [3001]),
    ("updateProduct", {"product": {**MUG, "description": "Espresso cup, 80 ml"}},
     lambda a: a.result == "UPDATE-PRODUCT-RESULT-OK" and a.existingArticleNumbers == [3001]),
    ("getProducts", {"request": {"productNumbers": [1000, 3000], "includeAllArticlesOfSelectedProducts": False}},
     lambda a: [p.productNumber for p in a] == [1000, 3000]
     and a[0].articleList.article[0].priceIncl == 2995 and a[1].groupNumbers == [20]),
    ("setStock", {"request": {"branchNumber": 1, "articleNumber": 3001, "amount": 55, "decimalPlaces": 1}},
     lambda a: a.result == "SET-STOCK-RESULT-OK" and _int(a.stockId)),
    ("updateStock", {"request": {"branchNumber": 1, "articleNumber": 3001, "amountChanged": -5, "decimalPlaces": 1}},
     lambda a: a.result == "UPDATE-STOCK-RESULT-OK" and _int(a.stockId)),
    ("getStock", {"request": {"branchNumber": 1, "articleNumbers": {"articleNumbers": [1001, 3001]}}},
     lambda a: [(s.articleNumber, Decimal(s.amountFree).scaleb(-s.decimalPlacesFree), s.amountReserved)
                for s in a] == [(1001, 12, 2), (3001, 5, 0)] and all(_int(s.amountFree) for s in a)),
    ("getStockHistory", {"request": {"branchNumber": 1, "articleNumbers": {"articleNumbers": [3001]}}},
     lambda a: [(m.amountChanged, m.decimalPlaces, m.type) for m in a]
     == [(55, 1, "STOCK-HISTORY-TYPE-API"), (-5, 1, "STOCK-HISTORY-TYPE-API")] and _int(a[0].timestamp.year)),
    ("getPriceGroupList", {}, lambda a: [(g.priceGroupNumber, g.description) for g in a] == [(1, "retail"),
                                                                                             (2, "wholesale")]),
    ("getSalesPriceList", {}, lambda a: a == []),
    ("createRelation", {"relation": {"name": "Lotte Visser", "email": "lotte@example.com", "address": "Dam 1"}},
     lambda a: a.result == "CREATE-RELATION-RESULT-OK" and _int(a.relationNumber) and a.relationNumber > 20002),
    ("findRelation", {"relation": {"email": "lotte@example.com"}},
     lambda a: a.result == "FIND-RELATION-RESULT-OK" and a.relation.name == "Lotte Visser"),
    ("updateRelation", {"relation": {"relationNumber": 20002, "telephone": "+31201111111"}},
     lambda a: a.result == "UPDATE-RELATION-RESULT-OK"),
    ("getRelation", {"relationNumber": 20002},
     lambda a: a.result == "GET-RELATION-RESULT-OK" and a.relation.telephone == "+31201111111"),
    ("getRelations", {"request": {"syncMarker": 0, "syncMarkerLimit": 2}},
     lambda a: [r.relationNumber for r in a] == [1000, 20001]),
    ("createOrder", {"order": ORDER}, lambda a: a.result == "CREATE-ORDER-RESULT-OK" and a.info.orderId != ""),
    ("findOrder", {"extOrderId": "W9001"},
     lambda a: a.result == "GET-ORDER-RESULT-OK" and a.order.employeeNumber == 999999
     and a.order.lineList.line[0].data.quantity == 2 and a.order.paymentList.payment[0].amount == 2500),
    ("getOrder", {"orderId": "1-000001"}, lambda a: a.result == "GET-ORDER-RESULT-OK" and a.order.fullyPaid is True),
    ("getOrderChanges", {"request": {"syncMarker": 0}},
     lambda a: [c.extOrderId for c in a] == [None, "W9001"]),
    ("saveInvoice", {"invoice": INVOICE}, lambda a: a.result == "SAVE-INVOICE-RESULT-OK" and a.info.invoiceId != ""
     and _int(a.info.invoiceNumber.number)),
    ("findInvoice", {"extInvoiceId": "F9001"},
     lambda a: a.result == "GET-INVOICE-RESULT-OK" and a.invoice.state == "INVOICE-STATE-PAID"
     and a.invoice.paidAmount == 1250 and a.invoice.lineList.line[0].data.quantity == 1),
    ("getInvoice", {"invoiceId": "no-such-invoice"}, lambda a: a.result == "GET-INVOICE-RESULT-NOT-FOUND"),
    ("getInvoices", {"request": {"syncMarker": 0, "relationNumbers": [1000]}},
     lambda a: [(i.extInvoiceId, i.invoiceType, i.relationNumber) for i in a]
     == [("F9001", "INVOICE-TYPE-INVOICE", 1000)] and _int(a[0].syncMarker)),
    ("getCurrentSyncMarkers", {},
     lambda a: all(_int(m) for m in (a.articleSyncMarker, a.relationSyncMarker, a.orderSyncMarker))
     and a.invoiceSyncMarker > a.orderSyncMarker > a.articleSyncMarker > 0),
]  # fmt: skip


def test_every_operation_the_sandbox_offers_is_called() -> None:
    assert sorted(op for op, _, _ in CALLS) == sorted(OPERATIONS)


def test_zeep_calls_every_operation_in_turn_and_reads_well_typed_answers(till: tuple[MplusSandbox, Any]) -> None:
    """One walk through the API, in order, as a client works: later calls read what earlier ones wrote."""
    for operation, parts, check in CALLS:
        answer = getattr(till[1], operation)(**parts)
        assert check(answer), f"{operation} answered {answer}"


def test_a_lookup_without_its_key_is_a_fault_not_a_match(till: tuple[MplusSandbox, Any]) -> None:
    with pytest.raises(zeep.exceptions.Fault, match="findRelation needs"):
        till[1].findRelation(relation={"name": "Jan Jansen"})
    assert till[1].findRelation(relation={"email": "nobody@example.com"}).result == "FIND-RELATION-RESULT-NOT-FOUND"
