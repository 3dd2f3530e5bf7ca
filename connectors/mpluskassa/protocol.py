"""What Tillsync assumes of MplusKASSA's API, with its evidence, and which writes may be sent twice (`WRITES`).

MplusKASSA's full documentation lives on each merchant's endpoint and is not public (see
`shared/systems/mpluskassa.md`). The wire format follows two public sources by Mplus: its PHP client
`mplus-api-client-php` (`Mplusqapiclient.php`, 1.34.x: how it builds each request and reads each
answer) and the WSDL of its generated client (`mplusqapi.wsdl` in `MplusKASSA/mplusqapi-php`: the
names, order, types and occurrences of elements). Where they and `mpluskassa.md` disagree, they
win. The operations, elements and types Tillsync speaks are in `schema`; the sandbox's WSDL is
rendered from it, so a WSDL-driven client (the PHP client, zeep) can talk to the sandbox.

Seen in the sources (both agree):

- document/literal SOAP 1.1; an operation's element holds its parts directly: `request` for the
  reads and stock (`getProducts`, `getStock`, `setStock`, `getRelations`, `getOrderChanges`, …),
  `product` (`createProduct`, `updateProduct`), `relation` (`findRelation`, `createRelation`,
  `updateRelation`), `order` (`createOrder`), `extOrderId` (`findOrder`), `orderId` (`getOrder`),
  `relationNumber` (`getRelation`), `terminal` (`getActiveEmployeeList`); `getBranches`,
  `getPaymentMethods`, `getPriceGroupList`, `getSalesPriceList`, `getCurrentSyncMarkers` and
  `getApiVersion` take nothing;
- answers have their own element names (`GetProductsResponse`, `getBranchesResponse`,
  `getEmployeeListResponse`; `findOrder` answers `GetOrderResponse`) and list shapes:
  `productList/product`, `branches/branch`, `paymentMethodList/paymentMethod`,
  `articleGroupList/articleGroups` (groups nested in `subGroupList`), `orderChangeList/orderChange`,
  `relationList/relation`, and repeated elements without a wrapper: `articleStocks`,
  `articleStockHistory`, `priceGroup`, `salesPrice`, `return` (employees), `groupNumbers`,
  `productNumbers`; a request's article numbers for `getStock` are `articleNumbers/articleNumbers`;
- lookups and writes answer a `result` code (`FIND-RELATION-RESULT-OK`/`…-NOT-FOUND`,
  `GET-ORDER-RESULT-…`, `CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS`, `SET-STOCK-RESULT-
  ARTICLE-NOT-FOUND`, …) and most an `errorMessage`: the client checks the code, not a fault. So
  `…-RESULT-OK` is done, `…-RESULT-NOT-FOUND` is not found, any other code is that record's error
  with the till's words;
- quantities are an integer with `decimalPlaces` beside it (`setStock` `amount`, `updateStock`
  `amountChanged`, `LineData.quantity`; getStock's `amountFree`/`decimalPlacesFree`,
  `amountReserved`/`decimalPlacesReserved`); prices and money (`priceIncl`, `LineData.price`,
  `Payment.amount`, `totalInclAmount`, `PriceGroup.priceIncl`) are xsd:long with no places beside
  them, and the client passes them through as given: taken as cents (`amounts.PRICE_PLACES`);
- an order in the client's form fills `orderId` with "" and `employeeNumber` with 0 when not
  given: an integration sets `employeeNumber` (999999 by default) and the branch
  (`entryBranchNumber`, `financialBranchNumber`);
- one sync marker per entity in `getCurrentSyncMarkers` (`articleSyncMarker`,
  `relationSyncMarker`, `orderSyncMarker`, …, and the last `stockId`);
- the client probes the endpoint with a plain GET and expects 405, reads the WSDL, and calls
  `getApiVersion` (`checkApiVersion`): an API version outside 0.9.9 to 1.0.0 (`MIN_API_VERSION_*`,
  `MAX_API_VERSION_*`; with major 1 only 1.0.0 passes its comparison) is refused before any other
  call. The sandbox answers all three. The connector asks the same at its first call to a till and
  refuses another version as fatal (`SUPPORTED_API`): a till speaking another API version may
  read the same elements differently, and nothing it writes could be trusted;
- before `createProduct`/`updateProduct` the client asks `getApiVersion` for the *service*
  version (`isServiceVersionLowerThan('4.0.0')`, cached per client): below 4.0.0 it fills in the
  product's and each article's fields older services require (`convertProduct`'s
  `$add_default_fields`: `extraText` "", `sortOrderGroupList` empty; `colour`, `receiptText`,
  `displayText` "", `priceExcl` 0, `webshop` false, `pluNumber` false, which PHP sends as "").
  The connector reads the service version from the same first `getApiVersion` answer, once per
  client as the client caches it, and fills in the same fields (`OLD_SERVICE_DEFAULTS`); a till
  that gives no service version is taken as older, as the fields do no harm to a newer one;
- invoices: `saveInvoice(invoice)` answers `SaveInvoiceResponse` (`result`, `info` with
  `invoiceId`, `invoiceString` and `invoiceNumber`, `errorMessage`), read by the client as done
  only on `SAVE-INVOICE-RESULT-OK`; `findInvoice(extInvoiceId)` and `getInvoice(invoiceId)` answer
  `GetInvoiceResponse` (`GET-INVOICE-RESULT-OK`/`…-NOT-FOUND`, `invoice`), `getInvoices(request)`
  an `invoiceList/invoice` feed by `syncMarker`. A new invoice is sent with `invoiceId` "" and
  `extInvoiceId` "" when it has none (`convertInvoice`); `SaveInvoiceResult` has
  `SAVE-INVOICE-RESULT-EXT-INVOICE-ID-ALREADY-EXISTS`, so the till keeps one invoice per
  `extInvoiceId`;
- a change feed's answer holds only the items, each with its own `syncMarker`, so the next page is
  asked from the last item's marker until an empty answer; `syncMarkerLimit`'s default and maximum
  are undocumented (the sandbox can cap pages: `Till.page_cap`);
- stock changes are movements with an increasing `stockId`; `getStockHistory(branchNumber,
  articleNumbers, sinceStockId)` answers them with their `type` (`STOCK-HISTORY-TYPE-API` for
  changes made through the API);
- `createOrder` refuses a second order with the same `extOrderId` by its result code;
  `CreateRelationResult` knows only a relation number already taken, so a relation sent twice is
  made twice.

Assumed, with why:

- `amountFree` is the amount on hand and `amountReserved` what open sales orders hold: `setStock`
  sets an `amount` that getStock must read back, and the integration's rule (stock = on hand −
  reservations) subtracts the reservations itself;
- prices per price group are read from each article's `priceGroupList` (`PriceGroup.priceIncl`),
  named by `getPriceGroupList`'s `description`; `getSalesPriceList` answers promotions, not prices
  per article;
- a relation has one `name`; a person's first and last names are its first word and the rest. A
  company is `companyName` (and `name`) with its contact person as `contact` and the first of
  `contactList` (name, email, telephone). Addresses are one line (`address`, `deliveryAddress`)
  joined from and split into street, number and suffix (`split_street`);
- an article's options are its `colour` and `size` (other option names are a record error), its
  features `customFieldList` entries of `DATA-TYPE-STRING`; `vatPercentage` is a whole number;
- a payment term goes to the relation an order is booked on, as `paymentWithinDays` ("14 days",
  "direct" → 0): the published `Order` has no payment term of its own; orders on the default
  debtor leave it alone;
- `findRelation` finds by the keys it is given (`relationNumber`, `extRelationId`, `email`, all of
  them); the sandbox refuses a request that gives none rather than match anything;
- `saveArticleGroups` (the PHP client's, absent from the newer WSDL, which has
  `newArticleGroup`/`updateArticleGroup` instead) saves each group under its number and a
  subgroup inside the group it is sent in, keeping subgroups not sent; the client reads no
  answer, so its answer (`result` `SAVE-ARTICLE-GROUPS-RESULT-OK`, `errorMessage`) is ours;
- a refused login: the generated client reads SOAP faults only from HTTP 5xx answers and gives
  `Client.Authentication` as an example fault code, so a real port most likely answers HTTP 500
  with that fault, not HTTP 401. The sandbox still answers 401, the one answer the transport takes
  for a refused login; both should change together;
- an order of type invoice (`order_type: invoice`) is booked with `saveInvoice` on the same
  relation, employee and branch an order would have, paid by its payments (the till sets its
  `state` and `paidAmount` from them), and found again by `findInvoice` on its number; an order
  already booked as either is not booked again as the other. The bundled integration books
  orders; an invoice takes its stock at once, as a sale does (an order reserves it);
- `getInvoices`' `articlePluNumbers` and `articleBarcodes` are required `TextList`s in the WSDL,
  but the client sends them empty (null) when it does not filter by them: the sandbox's schema
  leaves them out, with the other filters Tillsync does not use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

DEFAULT_EMPLOYEE = 999999  # what integrations put on an order when nobody at the till made it
QUANTITY_PLACES = 3
SUPPORTED_API = ((0, 9, 9), (1, 0, 0))  # the API versions Mplus's client 1.34 talks to, first and last
NEW_SERVICE = (4, 0, 0)  # a service older than this needs OLD_SERVICE_DEFAULTS on products and articles
OLD_SERVICE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "product": {"extraText": "", "sortOrderGroupList": []},
    "article": {"colour": "", "receiptText": "", "displayText": "", "priceExcl": 0, "webshop": False, "pluNumber": ""},
}


@dataclass(frozen=True)
class Write:
    """One writing operation: whether it may be sent again once its answer is lost (it reached the
    till, or may have, and no answer says what became of it), and why; for one that may not, what
    `client` settles it by. Reads (`get…`, `find…`) are always sent again."""

    resend: bool
    why: str


WRITES: Mapping[str, Write] = MappingProxyType({
    "saveArticleGroups": Write(True, "saves each group under its group number: saving it twice leaves one group"),
    "updateProduct": Write(True, "sets a product, found by its product number"),
    "setStock": Write(True, "sets the amount on hand: setting it twice leaves the same amount"),
    "updateRelation": Write(True, "sets a relation, found by its relation number"),
    "saveInvoice": Write(True, "the till keeps one invoice per extInvoiceId (SAVE-INVOICE-RESULT-EXT-INVOICE-ID-"
                         "ALREADY-EXISTS), and the client always sends one: a resend is refused, and the invoice is "
                         "found with findInvoice"),
    "createOrder": Write(True, "the till keeps one order per extOrderId (CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-"
                         "EXISTS), and the client always sends one: a resend is refused, and the order is found "
                         "with findOrder"),
    "createProduct": Write(False, "settled by its product number: getProducts shows whether it was made"),
    "createRelation": Write(False, "settled by email: findRelation shows whether it was made (the till would make "
                            "a second relation of one email)"),
    "updateStock": Write(False, "a relative change, booked again if sent again: settled by the movements after the "
                         "stockId read just before it (getStockHistory). setStock, absolute, is the way to avoid "
                         "it; updateStock is used only when the flow asks for movements the till can show"),
})  # fmt: skip


def may_resend(operation: str) -> bool:
    """Whether `operation` may be sent again after it may have reached the till; an operation this
    module does not name as a read or a write is taken as unsafe to send twice."""
    if operation.startswith(("get", "find")):
        return True
    write = WRITES.get(operation)
    return write is not None and write.resend
