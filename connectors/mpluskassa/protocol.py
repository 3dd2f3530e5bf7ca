"""What Tillsync assumes of MplusKASSA's API, in one place.

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
- change feeds (`getProducts`, `getRelations`, `getOrderChanges`) take and return a `syncMarker`.
"""

from __future__ import annotations

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
