"""What Tillsync assumes of MplusKASSA's API, in one place, with which writes may be sent twice (`WRITES`).

MplusKASSA's full documentation lives on each merchant's endpoint and is not public (see
`shared/systems/mpluskassa.md`). The operation names below are those of Mplus's published PHP
client; the shapes of requests and answers are our best reading of it and are kept here, in one
module, so they can be corrected against a live system without touching the rest:

- every call sends one `request` element and gets one `…Response` element back;
- lists travel in elements named `…List` holding the singular name (`articleList`/`article`);
- amounts travel as `{"value": 1999, "decimalPlaces": 2}` (see `amounts`);
- a product holds its articles (the variants) in `articleList`; an article's attributes (size,
  colour, …) are `attributeList` entries `{name, value}`, its features `customFieldList` entries;
- stock per branch has `amount` (on hand) and `reserved` (held for open sales orders);
- change feeds (`getProducts`, `getRelations`, `getOrderChanges`) take a `syncMarker` and
  `syncMarkerLimit` and answer the items changed after it, each with its own `syncMarker`.

Since then Mplus has published its WSDL (`mplusqapi.wsdl` in the `MplusKASSA/mplusqapi-php`
repository, the vendor's generated client). What it and the vendor's clients show, and what the
sandbox follows:

- a change feed's answer holds only the items: `GetProductsResponse` is `productList` alone,
  `GetRelationsResponse` `relationList` alone, so the next page must be asked from the last item's
  `syncMarker`. `syncMarkerLimit` is an optional int, its default and maximum undocumented, so a
  port may answer fewer items than asked and a reader follows markers until an empty answer. The
  sandbox answers so, and a test can cap its pages (`Till.page_cap`). `MplusClient._feed` still
  looks for a marker in the answer and so stops after the first page (a known contract failure);
- a refused login: the vendor's client (`BaseSoapClient::communicate`) reads SOAP faults only from
  HTTP 5xx answers and gives `Client.Authentication` as its example of a fault code in parts, and
  SOAP 1.1 (section 6.2) answers every fault with HTTP 500. So a wrong ident or secret most likely
  comes back as HTTP 500 with fault code `Client.Authentication`, not as HTTP 401, and fault codes
  may have parts (`Server.…`). The sandbox still answers 401, the one answer the transport takes
  for a refused login; both should change together;
- stock changes are movements with an increasing `stockId`: `UpdateStockResponse` and
  `SetStockResponse` carry the `stockId` of the movement made, `ArticleStock` (getStock) the
  level's current one, and `getStockHistory(branchNumber, articleNumbers, sinceStockId)` answers
  the movements after a `stockId` (`ArticleStockHistory`: `stockId`, `articleNumber`,
  `amountChanged`, `type` — `STOCK-HISTORY-TYPE-API` for changes made through the API,
  `…-SALES` for sales — and the `orderId` of a sale). The sandbox keeps them so (in this module's
  list naming: `articleNumberList` in, `stockHistoryList` out);
- creating answers with a result code, not a fault, when the till refuses: `CreateOrderResult`
  has `CREATE-ORDER-RESULT-EXT-ORDER-ID-ALREADY-EXISTS` (the till keeps one order per external
  order id; `SaveOrderResult` has the same code), `CreateRelationResult` only
  `…-FAILED-RELATION-NUMBER-ALREADY-TAKEN`: nothing keeps two relations from sharing an email, so
  a relation sent twice is made twice. The sandbox answers so;
- a GET on the port without `?wsdl` answers 405 Method Not Allowed: Mplus's older PHP client
  (`mplus-api-client-php`, `initClient`) probes for exactly that to tell that the API is up. The
  sandbox does;
- not reconciled yet: the WSDL names request lists as repeated elements in the plural
  (`productNumbers`, `articleNumbers`), not `…List`; `createProduct` takes `product` beside, not
  inside, `request`; `getOrderChanges` answers `orderChangeList`; article groups are written with
  `newArticleGroup`/`updateArticleGroup` (there is no `saveArticleGroups`); `getSalesPriceList`
  takes no arguments and answers sales (promotion) prices without article numbers, so prices per
  price group and article are read from somewhere this module does not know yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

OPERATIONS = (
    "getBranches",
    "getActiveEmployeeList",
    "getPaymentMethods",
    "getArticleGroups",
    "saveArticleGroups",
    "getProducts",
    "createProduct",
    "updateProduct",
    "getStock",
    "getStockHistory",
    "setStock",
    "updateStock",
    "getPriceGroupList",
    "getSalesPriceList",
    "findRelation",
    "createRelation",
    "updateRelation",
    "getRelations",
    "createOrder",
    "findOrder",
    "getOrder",
    "getOrderChanges",
    "getCurrentSyncMarkers",
)

DEFAULT_EMPLOYEE = 999999  # what integrations put on an order when nobody at the till made it
PRICE_PLACES = 2
QUANTITY_PLACES = 3


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
