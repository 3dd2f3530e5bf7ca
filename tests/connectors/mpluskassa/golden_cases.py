"""Every MplusKASSA operation's recorded request and answer (`tests/fixtures/mpluskassa/`) as the data
the connector's encoder takes and its decoder gives: parts as Mplus's published PHP client builds
them (`convert…` functions: `request` wrappers, `articleNumbers/articleNumbers`, integers with their
`decimalPlaces`, `invoiceId` "" for a new invoice), answers as it parses them (result codes, list
shapes such as `branches/branch`, `articleStocks`, `orderChangeList/orderChange`, `invoiceList/invoice`).

A case's name is its fixture's: the operation, or `operation.variant` for a second recorded pair of
the same operation (a lookup that finds nothing, a request of another shape)."""

from __future__ import annotations

from typing import Any

MUG_ARTICLE = {"articleNumber": 2001, "description": "Stoneware mug blue", "colour": "blue",
               "barcode": "8712345000042", "brandName": "Tillhome", "turnoverGroup": 0, "vatPercentage": 21,
               "priceIncl": 1250, "stockArticle": True,
               "customFieldList": [{"fieldName": "country_of_origin", "dataType": "DATA-TYPE-STRING",
                                    "strValue": "NL"}]}  # fmt: skip
MUG = {"productNumber": 2000, "description": "Stoneware mug", "extraText": "350 ml", "articleList": [MUG_ARTICLE],
       "groupNumbers": [20]}  # fmt: skip
LINES = [{"articleNumber": 2000, "text": "Stoneware mug",
          "data": {"quantity": 2000, "decimalPlaces": 3, "price": 1250}}]  # fmt: skip
PAYMENTS = [{"method": "IDEAL", "amount": 2500}]
BOOKED_ORDER = {"orderId": "1-000002", "extOrderId": "#1002", "syncMarker": 15, "entryBranchNumber": 1,
                "employeeNumber": 999999, "relationNumber": 1000, "financialDate": {"day": 3, "mon": 3, "year": 2025},
                "financialBranchNumber": 1, "reference": "Pick up Saturday", "totalInclAmount": 2500,
                "vatMethod": "VAT-METHOD-INCLUSIVE", "paymentMethod": "IDEAL", "fullyPaid": True, "lineList": LINES,
                "paymentList": PAYMENTS}  # fmt: skip
NEW_INVOICE = {"invoiceId": "", "extInvoiceId": "#1002", "employeeNumber": 999999, "relationNumber": 1000,
               "financialBranchNumber": 1, "entryBranchNumber": 1, "reference": "Pick up Saturday",
               "totalInclAmount": 2500, "vatMethod": "VAT-METHOD-INCLUSIVE", "lineList": LINES,
               "paymentList": PAYMENTS}  # fmt: skip
INVOICE_ID = "6f1c2b0e-5d7a-4c1e-9a43-2f0d8e6b1a57"
BOOKED_INVOICE = {**NEW_INVOICE, "invoiceId": INVOICE_ID, "syncMarker": 16,
                  "invoiceNumber": {"year": 2025, "number": 1}, "invoiceType": "INVOICE-TYPE-INVOICE",
                  "financialDate": {"day": 3, "mon": 3, "year": 2025},
                  "paidAmount": 2500, "state": "INVOICE-STATE-PAID"}  # fmt: skip
KORF = {"relationNumber": 20001, "syncMarker": 7, "name": "De Korf BV", "address": "Prinsengracht 263B",
        "zipcode": "1016 GV", "city": "Amsterdam", "country": "NL", "contact": "Sanne de Vries",
        "telephone": "+31201234567", "email": "inkoop@dekorf.example", "vatNumber": "NL001234567B01",
        "contactList": [{"name": "Sanne de Vries", "email": "sanne@dekorf.example"}],
        "companyName": "De Korf BV"}  # fmt: skip
JAN = {"relationNumber": 20002, "syncMarker": 8, "name": "Jan Jansen", "address": "Keizersgracht 123A",
       "zipcode": "1015 CJ", "city": "Amsterdam", "country": "NL", "email": "j.jansen@example.com"}  # fmt: skip
LOTTE = {"name": "Lotte Visser", "telephone": "+31612345678", "email": "lotte@example.com", "address": "Dam 1",
         "zipcode": "1012 JS", "city": "Amsterdam", "country": "NL"}  # fmt: skip
FEED = {"syncMarker": 0, "syncMarkerLimit": 100}
TERMINAL = {"branchNumber": 1, "branchName": "Amsterdam", "terminalNumber": 1, "terminalName": "Kassa 1",
            "terminalStatus": "TERMINAL-STATUS-AVAILABLE", "uniqueDeviceIdentifier": "4e0f3c2a9b7d",
            "terminalSoftwareName": "Mplus PHP API Client", "terminalSoftwareVersion": "1.34.6"}  # fmt: skip
MUGS = {"groupNumber": 20, "name": "Mugs", "text": "",
        "subGroupList": [{"groupNumber": 21, "name": "Cups", "text": "", "subGroupList": []}]}  # fmt: skip
NOW = {"sec": 5, "min": 30, "hour": 14, "day": 3, "mon": 3, "year": 2025, "isdst": False, "timezone": 60}

# name → (the operation's parts, its answer's data)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "getApiVersion": ({}, {"majorNumber": 1, "minorNumber": 0, "revisionNumber": 0, "serviceMajorNumber": 4,
                           "serviceMinorNumber": 2, "serviceRevisionNumber": 1, "inDebugMode": False}),
    "getBranches": ({}, {"branches": [
        {"branchNumber": 1, "branchName": "Amsterdam", "abbreviation": "AMS", "countryCode": 528,
         "countryIso3": "NLD", "countryName": "Nederland"},
        {"branchNumber": 2, "branchName": "Utrecht", "abbreviation": "UTR", "countryCode": 528,
         "countryIso3": "NLD", "countryName": "Nederland"}]}),
    "getActiveEmployeeList": ({"terminal": TERMINAL}, {"return": [
        {"number": 999999, "loginname": "webshop", "name": "Webshop", "allowNegativeOrdering": False},
        {"number": 1, "loginname": "anna", "name": "Anna", "allowNegativeOrdering": True}]}),
    "getPaymentMethods": ({}, {"paymentMethodList": [
        {"method": "CASH", "description": "Contant", "buttonText": "Contant", "allowNegativeAmount": True},
        {"method": "IDEAL", "description": "iDEAL", "buttonText": "iDEAL", "allowNegativeAmount": False,
         "active": True}]}),
    "getCurrentSyncMarkers": ({}, {"articleSyncMarker": 12, "relationSyncMarker": 9, "employeeSyncMarker": 0,
                                   "invoiceSyncMarker": 0, "receiptSyncMarker": 0, "orderSyncMarker": 15}),
    "getArticleGroups": ({"request": {}}, {"articleGroupList": [
        {"groupNumber": 10, "name": "Shirts", "text": "", "subGroupList": []}, MUGS]}),
    "saveArticleGroups": ({"request": {"articleGroupList": [MUGS]}}, {"result": "SAVE-ARTICLE-GROUPS-RESULT-OK"}),
    "getProducts": ({"request": {"includeAllArticlesOfSelectedProducts": False, "productNumbers": [2000]}},
                    {"productList": [{**MUG, "syncMarker": 14, "articleList": [{**MUG_ARTICLE, "syncMarker": 14,
                     "priceGroupList": [{"priceGroupNumber": 2, "description": "wholesale", "priceIncl": 1095}]}]}]}),
    "getProducts.none": ({"request": {"includeAllArticlesOfSelectedProducts": False, "productNumbers": [2000]}},
                         {"productList": []}),
    "getProducts.articles": ({"request": {"articleNumbers": [2000], "includeAllArticlesOfSelectedProducts": False}},
                             {"productList": [{"productNumber": 2000, "description": "Stoneware mug",
                                               "articleList": [{"articleNumber": 2000}]}]}),
    "getProducts.feed": ({"request": {**FEED, "includeAllArticlesOfSelectedProducts": False}},
                         {"productList": [{**MUG, "syncMarker": 14, "articleList": [{**MUG_ARTICLE,
                          "priceGroupList": [{"priceGroupNumber": 1, "description": "retail", "priceIncl": 1250},
                                             {"priceGroupNumber": 2, "description": "wholesale",
                                              "priceIncl": 1095}]}]}]}),
    "createProduct": ({"product": MUG}, {"result": "CREATE-PRODUCT-RESULT-OK", "productNumber": 2000,
                                         "articleNumbers": [2001], "syncMarker": 14, "errorMessage": ""}),
    "updateProduct": ({"product": MUG}, {"result": "UPDATE-PRODUCT-RESULT-OK", "existingArticleNumbers": [2001],
                                         "syncMarker": 15, "errorMessage": ""}),
    "getStock": ({"request": {"branchNumber": 1, "articleNumbers": [1001, 1002]}}, {"articleStocks": [
        {"branchNumber": 1, "articleNumber": 1001, "stockId": 41, "amountFree": 12500, "decimalPlacesFree": 3,
         "amountReserved": 2, "decimalPlacesReserved": 0, "amountIncoming": 0, "isDayStockArticle": False}]}),
    "getStockHistory": ({"request": {"branchNumber": 1, "articleNumbers": [2001], "sinceStockId": 41}},
                        {"articleStockHistory": [
                            {"stockId": 42, "timestamp": NOW, "branchNumber": 1, "articleNumber": 2001,
                             "amountChanged": 2500, "decimalPlaces": 3, "type": "STOCK-HISTORY-TYPE-API"}]}),
    "setStock": ({"request": {"branchNumber": 2, "articleNumber": 3001, "amount": 5500, "decimalPlaces": 3}},
                 {"result": "SET-STOCK-RESULT-ARTICLE-NOT-FOUND"}),
    "updateStock": ({"request": {"branchNumber": 1, "articleNumber": 2001, "amountChanged": 2500,
                                 "decimalPlaces": 3}}, {"result": "UPDATE-STOCK-RESULT-OK", "stockId": 42}),
    "getPriceGroupList": ({}, {"priceGroup": [{"priceGroupNumber": 1, "description": "retail"},
                                              {"priceGroupNumber": 2, "description": "wholesale"}]}),
    "getSalesPriceList": ({}, {"salesPrice": [
        {"salesPriceNumber": 1, "description": "Summer sale", "startDate": {"day": 1, "mon": 7, "year": 2025},
         "endDate": {"day": 31, "mon": 8, "year": 2025}, "priceIncl": 995}]}),
    "findRelation": ({"relation": {"email": "inkoop@dekorf.example"}},
                     {"result": "FIND-RELATION-RESULT-OK", "relation": KORF}),
    "findRelation.none": ({"relation": {"email": "lotte@example.com"}}, {"result": "FIND-RELATION-RESULT-NOT-FOUND"}),
    "getRelation": ({"relationNumber": 20002}, {"result": "GET-RELATION-RESULT-OK", "relation": JAN}),
    "createRelation": ({"relation": LOTTE}, {"result": "CREATE-RELATION-RESULT-OK", "relationNumber": 20003,
                                             "syncMarker": 17, "errorMessage": ""}),
    "updateRelation": ({"relation": {**{k: v for k, v in KORF.items() if k != "syncMarker"},
                                     "telephone": "+31209876543"}},
                       {"result": "UPDATE-RELATION-RESULT-OK", "errorMessage": "", "syncMarker": 18}),
    "getRelations": ({"request": FEED}, {"relationList": [KORF, JAN]}),
    "createOrder": ({"order": {**{k: v for k, v in BOOKED_ORDER.items() if k not in ("syncMarker", "financialDate")},
                               "orderId": ""}},
                    {"result": "CREATE-ORDER-RESULT-OK", "info": {"orderId": "1-000002", "orderString": "1-000002"},
                     "errorMessage": ""}),
    "findOrder": ({"extOrderId": "#1002"}, {"result": "GET-ORDER-RESULT-OK", "order": BOOKED_ORDER}),
    "findOrder.none": ({"extOrderId": "#1002"}, {"result": "GET-ORDER-RESULT-NOT-FOUND"}),
    "getOrder": ({"orderId": "1-000002"}, {"result": "GET-ORDER-RESULT-OK", "order": BOOKED_ORDER}),
    "getOrderChanges": ({"request": FEED}, {"orderChangeList": [
        {"orderId": "1-000002", "extOrderId": "#1002", "syncMarker": 15}]}),
    "saveInvoice": ({"invoice": NEW_INVOICE}, {"result": "SAVE-INVOICE-RESULT-OK", "errorMessage": "", "info": {
        "invoiceId": INVOICE_ID, "invoiceString": "2025-000001", "invoiceNumber": {"year": 2025, "number": 1}}}),
    "findInvoice": ({"extInvoiceId": "#1002"}, {"result": "GET-INVOICE-RESULT-OK", "invoice": BOOKED_INVOICE}),
    "findInvoice.none": ({"extInvoiceId": "#1002"}, {"result": "GET-INVOICE-RESULT-NOT-FOUND"}),
    "getInvoice": ({"invoiceId": INVOICE_ID}, {"result": "GET-INVOICE-RESULT-OK", "invoice": BOOKED_INVOICE}),
    "getInvoices": ({"request": {**FEED, "relationNumbers": [1000]}}, {"invoiceList": [BOOKED_INVOICE]}),
}  # fmt: skip
