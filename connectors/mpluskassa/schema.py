"""The part of MplusKASSA's API (`urn:mplusqapi`) that Tillsync speaks: its operations, elements and types.

One description serves both sides of the wire: `soap` encodes and decodes envelopes by it (so an
element is written in its type's order and a repeated element is a list even when it occurs once),
and the sandbox renders its WSDL from it. Names, order, types and occurrences are those of the
vendor's published WSDL and PHP clients (see `protocol` for the evidence and the few places where
this differs); each type keeps only the elements Tillsync or its sandbox use.

A field is written `name type`, with `?` after the type for an optional element (minOccurs 0),
`*` for a repeated one (0..unbounded) and nothing for a required one. A type whose one element is
repeated (`ArticleList` of `article`s) is a *list type*: its data is a Python list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

NAMESPACE = "urn:mplusqapi"
SIMPLE = ("string", "int", "long", "boolean", "decimal")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    optional: bool = False
    repeated: bool = False


def _fields(text: str) -> tuple[Field, ...]:
    fields = []
    for part in text.split(","):
        name, kind = part.split()
        fields.append(Field(name, kind.rstrip("?*"), kind.endswith(("?", "*")), kind.endswith("*")))
    return tuple(fields)


_DATE = "day int, mon int, year int"
_RESULT = "result {0}, errorMessage string?"

_TYPES = {
    "SoapMplusDate": _DATE,
    "SoapMplusDateTime": "sec int, min int, hour int, " + _DATE + ", isdst boolean, timezone int",
    "YearNumber": "year int, number long",
    "Terminal": "branchNumber int, branchName string, terminalNumber int, terminalName string, "
                "terminalStatus TerminalStatus, uniqueDeviceIdentifier string, terminalSoftwareName string?, "
                "terminalSoftwareVersion string?",
    "Branch": "branchNumber int, branchName string, abbreviation string, priceGroupNumber int?, countryCode int, "
              "countryIso3 string, countryName string",
    "BranchList": "branch Branch*",
    "EmployeeName": "number long, loginname string, name string, allowNegativeOrdering boolean",
    "PaymentMethod": "method string, description string, buttonText string, allowNegativeAmount boolean, "
                     "active boolean?",
    "PaymentMethodList": "paymentMethod PaymentMethod*",
    "ArticleGroup": "groupNumber int, syncMarker long?, name string, text string, subGroupList ArticleGroupList, "
                    "sortOrder int?, isDeleted boolean?",
    "ArticleGroupList": "articleGroups ArticleGroup*",
    "GetArticleGroupsRequest": "syncMarker long?, syncMarkerLimit int?, groupNumbers int*, "
                               "retrieveArticleNumbers boolean?",
    "SaveArticleGroupsRequest": "articleGroupList ArticleGroupList",
    "CustomField": "fieldName string, dataType DataType?, strValue string?",
    "CustomFieldList": "customField CustomField*",
    "PriceGroup": "priceGroupNumber int, description string?, priceIncl long?, priceExcl long?",
    "PriceGroupList": "priceGroup PriceGroup*",
    "SalesPrice": "salesPriceNumber int, description string?, startDate SoapMplusDate?, endDate SoapMplusDate?, "
                  "priceIncl long?, priceExcl long?",
    "Article": "articleNumber long?, pluNumber string?, syncMarker long?, active boolean?, description string?, "
               "colour string?, size string?, receiptText string?, displayText string?, barcode string?, "
               "brandName string?, turnoverGroup int?, vatPercentage int?, priceIncl long?, priceExcl long?, "
               "webshop boolean?, stockArticle boolean?, customFieldList CustomFieldList?, "
               "priceGroupList PriceGroupList?",
    "ArticleList": "article Article*",
    "SortOrderGroup": "groupNumber int, sortOrder int",
    "SortOrderGroupList": "sortOrderGroup SortOrderGroup*",
    "Product": "productNumber long?, syncMarker long?, description string?, extraText string?, "
               "articleList ArticleList?, groupNumbers int*, sortOrderGroupList SortOrderGroupList?",
    "ProductList": "product Product*",
    "GetProductsRequest": "articleNumbers long*, groupNumbers int*, syncMarker long?, syncMarkerLimit int?, "
                          "includeAllArticlesOfSelectedProducts boolean?, productNumbers long*",
    "ArticleNumberList": "articleNumbers long*",
    "GetStockRequest": "branchNumber int, articleNumbers ArticleNumberList, stockId long?",
    "ArticleStock": "branchNumber int?, articleNumber long, stockId long, amountFree long, decimalPlacesFree int?, "
                    "amountReserved long, decimalPlacesReserved int?, amountIncoming long, "
                    "decimalPlacesIncoming int?, isDayStockArticle boolean",
    "GetStockHistoryRequest": "branchNumber int, articleNumbers ArticleNumberList?, sinceStockId long?, "
                              "sinceStockIdLimit int?",
    "ArticleStockHistory": "stockId long, timestamp SoapMplusDateTime, branchNumber int?, articleNumber long, "
                           "amountChanged long, decimalPlaces int?, type StockHistoryType, orderId string?",
    "SetStockRequest": "branchNumber int, articleNumber long, amount long, decimalPlaces int?, "
                       "employeeNumber long?, reference string?",
    "UpdateStockRequest": "branchNumber int, articleNumber long, amountChanged long, decimalPlaces int?, "
                          "employeeNumber long?, reference string?",
    "Relation": "relationNumber long?, extRelationId string?, syncMarker long?, name string?, address string?, "
                "zipcode string?, city string?, country string?, deliveryAddress string?, "
                "deliveryZipcode string?, deliveryCity string?, deliveryCountry string?, contact string?, "
                "telephone string?, email string?, paymentWithinDays int?, vatNumber string?, "
                "contactList RelationList?, companyName string?",
    "RelationList": "relation Relation*",
    "GetRelationsRequest": "relationNumbers long*, syncMarker long?, syncMarkerLimit int?",
    "LineData": "quantity long, decimalPlaces int?, price long?, discountAmount long?",
    "Line": "articleNumber long, text string?, data LineData?",
    "LineList": "line Line*",
    "Payment": "method string, amount long",
    "PaymentList": "payment Payment*",
    "Order": "orderId string, extOrderId string?, syncMarker long?, entryBranchNumber int?, employeeNumber long?, "
             "relationNumber long?, financialDate SoapMplusDate?, financialBranchNumber int?, reference string?, "
             "totalInclAmount long?, vatMethod VatMethod?, paymentMethod string?, fullyPaid boolean?, "
             "lineList LineList?, paymentList PaymentList?",
    "CreateOrderInfo": "orderId string, orderString string",
    "GetOrderChangesRequest": "syncMarker long?, syncMarkerLimit int?",
    "OrderChange": "orderId string, extOrderId string?, syncMarker long?",
    "OrderChangeList": "orderChange OrderChange*",
    "Invoice": "invoiceId string?, extInvoiceId string?, syncMarker long?, invoiceNumber YearNumber?, "
               "invoiceType InvoiceType?, employeeNumber long?, relationNumber long?, financialDate SoapMplusDate?, "
               "financialBranchNumber int?, entryBranchNumber int?, reference string?, dueDate SoapMplusDate?, "
               "totalInclAmount long?, vatMethod VatMethod?, paidAmount long?, state InvoiceState?, "
               "lineList LineList?, paymentList PaymentList?",
    "InvoiceList": "invoice Invoice*",
    "SaveInvoiceInfo": "invoiceId string, invoiceString string, invoiceNumber YearNumber?",
    "GetInvoicesRequest": "syncMarker long?, syncMarkerLimit int?, fromFinancialDate SoapMplusDate?, "
                          "throughFinancialDate SoapMplusDate?, branchNumbers int*, employeeNumbers long*, "
                          "relationNumbers long*, articleNumbers long*, finalizeInvoices boolean?",
}  # fmt: skip

ENUMS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "TerminalStatus": ("TERMINAL-STATUS-AVAILABLE", "TERMINAL-STATUS-REGISTERED"),
    "DataType": ("DATA-TYPE-UNKNOWN", "DATA-TYPE-STRING", "DATA-TYPE-INTEGER", "DATA-TYPE-DECIMAL",
                 "DATA-TYPE-BOOLEAN", "DATA-TYPE-DATE", "DATA-TYPE-DATETIME"),
    "VatMethod": ("VAT-METHOD-INCLUSIVE", "VAT-METHOD-EXCLUSIVE", "VAT-METHOD-SHIFTED", "VAT-METHOD-NONE"),
    "StockHistoryType": ("STOCK-HISTORY-TYPE-API", "STOCK-HISTORY-TYPE-CORRECTION", "STOCK-HISTORY-TYPE-DELIVERY",
                         "STOCK-HISTORY-TYPE-MANUAL", "STOCK-HISTORY-TYPE-SALES", "STOCK-HISTORY-TYPE-UNKNOWN"),
    "CreateProductResult": ("CREATE-PRODUCT-RESULT-OK", "CREATE-PRODUCT-RESULT-FAILED",
                            "CREATE-PRODUCT-RESULT-FAILED-PRODUCT-NUMBER-ALREADY-TAKEN"),
    "UpdateProductResult": ("UPDATE-PRODUCT-RESULT-OK", "UPDATE-PRODUCT-RESULT-NOT-FOUND",
                            "UPDATE-PRODUCT-RESULT-NOT-ALLOWED", "UPDATE-PRODUCT-RESULT-FAILED"),
    "SaveArticleGroupsResult": ("SAVE-ARTICLE-GROUPS-RESULT-OK", "SAVE-ARTICLE-GROUPS-RESULT-FAILED"),
    "SetStockResult": ("SET-STOCK-RESULT-OK", "SET-STOCK-RESULT-BRANCH-NOT-FOUND",
                       "SET-STOCK-RESULT-ARTICLE-NOT-FOUND", "SET-STOCK-RESULT-FAILED"),
    "UpdateStockResult": ("UPDATE-STOCK-RESULT-OK", "UPDATE-STOCK-RESULT-BRANCH-NOT-FOUND",
                          "UPDATE-STOCK-RESULT-ARTICLE-NOT-FOUND", "UPDATE-STOCK-RESULT-FAILED"),
    "FindRelationResult": ("FIND-RELATION-RESULT-OK", "FIND-RELATION-RESULT-NOT-FOUND"),
    "GetRelationResult": ("GET-RELATION-RESULT-OK", "GET-RELATION-RESULT-NOT-FOUND"),
    "CreateRelationResult": ("CREATE-RELATION-RESULT-OK", "CREATE-RELATION-RESULT-FAILED",
                             "CREATE-RELATION-RESULT-FAILED-RELATION-NUMBER-ALREADY-TAKEN"),
    "UpdateRelationResult": ("UPDATE-RELATION-RESULT-OK", "UPDATE-RELATION-RESULT-NOT-FOUND",
                             "UPDATE-RELATION-RESULT-FAILED"),
    "CreateOrderResult": ("CREATE-ORDER-RESULT-OK", "CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS",
                          "CREATE-ORDER-RESULT-FAILED", "CREATE-ORDER-RESULT-PAYMENT-FAILED"),
    "GetOrderResult": ("GET-ORDER-RESULT-OK", "GET-ORDER-RESULT-NOT-FOUND"),
    "InvoiceType": ("INVOICE-TYPE-INVOICE", "INVOICE-TYPE-DIRECT-INVOICE", "INVOICE-TYPE-CREDIT-INVOICE",
                    "INVOICE-TYPE-REPEATING-INVOICE"),
    "InvoiceState": ("INVOICE-STATE-OUTSTANDING", "INVOICE-STATE-PARTLY-PAID", "INVOICE-STATE-PAID",
                     "INVOICE-STATE-HANDLED", "INVOICE-STATE-OUTSTANDING-CREDIT"),
    "SaveInvoiceResult": ("SAVE-INVOICE-RESULT-OK", "SAVE-INVOICE-RESULT-NOT-FOUND",
                          "SAVE-INVOICE-RESULT-INVOICE-HAS-CHANGED", "SAVE-INVOICE-RESULT-FAILED",
                          "SAVE-INVOICE-RESULT-EXT-INVOICE-ID-ALREADY-EXISTS"),
    "GetInvoiceResult": ("GET-INVOICE-RESULT-OK", "GET-INVOICE-RESULT-NOT-FOUND"),
})  # fmt: skip


@dataclass(frozen=True)
class Operation:
    """An operation's request element (`name`) and answer element, each with its fields."""

    name: str
    request: tuple[Field, ...]
    answer_name: str
    answer: tuple[Field, ...]


_OPERATIONS = (
    ("getApiVersion", "", "getApiVersionResponse",
     "majorNumber int, minorNumber int, revisionNumber int, serviceMajorNumber int?, serviceMinorNumber int?, "
     "serviceRevisionNumber int?, inDebugMode boolean"),
    ("getBranches", "", "getBranchesResponse", "branches BranchList"),
    ("getActiveEmployeeList", "terminal Terminal", "getEmployeeListResponse", "return EmployeeName*"),
    ("getPaymentMethods", "", "GetPaymentMethodsResponse", "paymentMethodList PaymentMethodList"),
    ("getCurrentSyncMarkers", "", "getCurrentSyncMarkersResponse",
     "articleSyncMarker long, articleGroupSyncMarker long?, relationSyncMarker long, employeeSyncMarker long, "
     "invoiceSyncMarker long, receiptSyncMarker long, orderSyncMarker long, stockId long?"),
    ("getArticleGroups", "request GetArticleGroupsRequest", "GetArticleGroupsResponse",
     "articleGroupList ArticleGroupList"),
    ("saveArticleGroups", "request SaveArticleGroupsRequest", "SaveArticleGroupsResponse",
     _RESULT.format("SaveArticleGroupsResult")),
    ("getProducts", "request GetProductsRequest", "GetProductsResponse", "productList ProductList"),
    ("createProduct", "product Product", "CreateProductResponse",
     "result CreateProductResult, productNumber long, articleNumbers long*, syncMarker long?, errorMessage string"),
    ("updateProduct", "product Product", "UpdateProductResponse",
     "result UpdateProductResult, existingArticleNumbers long*, newArticleNumbers long*, syncMarker long?, "
     "errorMessage string"),
    ("getStock", "request GetStockRequest", "GetStockResponse", "articleStocks ArticleStock*"),
    ("getStockHistory", "request GetStockHistoryRequest", "GetStockHistoryResponse",
     "articleStockHistory ArticleStockHistory*"),
    ("setStock", "request SetStockRequest", "SetStockResponse", "result SetStockResult, stockId long?"),
    ("updateStock", "request UpdateStockRequest", "UpdateStockResponse", "result UpdateStockResult, stockId long?"),
    ("getPriceGroupList", "", "getPriceGroupListResponse", "priceGroup PriceGroup*"),
    ("getSalesPriceList", "", "getSalesPriceListResponse", "salesPrice SalesPrice*"),
    ("findRelation", "relation Relation?", "FindRelationResponse", "result FindRelationResult, relation Relation?"),
    ("getRelation", "relationNumber long", "GetRelationResponse", "result GetRelationResult, relation Relation"),
    ("createRelation", "relation Relation?", "CreateRelationResponse",
     "result CreateRelationResult, relationNumber long, syncMarker long?, errorMessage string"),
    ("updateRelation", "relation Relation?", "UpdateRelationResponse",
     "result UpdateRelationResult, errorMessage string, syncMarker long?"),
    ("getRelations", "request GetRelationsRequest?", "GetRelationsResponse", "relationList RelationList"),
    ("createOrder", "order Order?", "CreateOrderResponse",
     "result CreateOrderResult, info CreateOrderInfo, errorMessage string"),
    ("findOrder", "extOrderId string", "GetOrderResponse", "result GetOrderResult, order Order?"),
    ("getOrder", "orderId string", "GetOrderResponse", "result GetOrderResult, order Order?"),
    ("getOrderChanges", "request GetOrderChangesRequest", "GetOrderChangesResponse",
     "orderChangeList OrderChangeList"),
    ("saveInvoice", "invoice Invoice", "SaveInvoiceResponse",
     "result SaveInvoiceResult, info SaveInvoiceInfo, errorMessage string"),
    ("findInvoice", "extInvoiceId string", "GetInvoiceResponse", "result GetInvoiceResult, invoice Invoice?"),
    ("getInvoice", "invoiceId string", "GetInvoiceResponse", "result GetInvoiceResult, invoice Invoice?"),
    ("getInvoices", "request GetInvoicesRequest", "GetInvoicesResponse", "invoiceList InvoiceList"),
)  # fmt: skip

TYPES: Mapping[str, tuple[Field, ...]] = MappingProxyType({name: _fields(text) for name, text in _TYPES.items()})
OPERATIONS: Mapping[str, Operation] = MappingProxyType({
    name: Operation(name, _fields(request) if request else (), answer, _fields(fields))
    for name, request, answer, fields in _OPERATIONS
})  # fmt: skip


def list_item(type_name: str) -> Field | None:
    """The repeated element of a list type (`ArticleList` → its `article`), else None."""
    fields = TYPES.get(type_name)
    if fields is not None and len(fields) == 1 and fields[0].repeated:
        return fields[0]
    return None


def _check() -> None:
    """Every type named is defined: a typo here must fail at import, not on the wire."""
    known = set(SIMPLE) | set(TYPES) | set(ENUMS)
    fields = [f for fs in TYPES.values() for f in fs]
    fields += [f for op in OPERATIONS.values() for f in op.request + op.answer]
    unknown = sorted({f.type for f in fields} - known)
    assert not unknown, f"undefined MplusKASSA types: {unknown}"


_check()
