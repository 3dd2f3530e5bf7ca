"""What Tillsync assumes of Visma.net beyond Visma's OpenAPI description of the ERP API, in one
place, each with its evidence: [C] Visma's own material (docs.vismasoftware.no, its published
OpenAPI files), [C-3p] third-party code that calls the real API, [I] our inference, to check
against a live company before relying on it. `openapi.py` holds what the ERP description says.

Services and authentication
- The ERP API is served at `https://api.finance.visma.net/v1/…`, the SalesOrders V3 API at
  `https://salesorder.visma.net/api/v3/…` [C] (docs.vismasoftware.no: exploring the API, change of
  base URL). Sales orders are written through V3: the v1/v2 order endpoints passed end of life on
  31.03.2026 and are throttled since [C] (end-of-life notices).
- Tokens come from Visma Connect, `POST https://connect.visma.com/connect/token`, form fields
  `grant_type=client_credentials`, `client_id`, `client_secret`, `scope`, `tenant_id` [C]
  (authentication; service integrations). The answer is `{access_token, token_type, expires_in}`
  as OAuth 2.0 has it (RFC 6749 §5.1) [I]. One token with the ERP and the sales-order scopes serves
  both services [I]; the scopes are `SCOPES` [C-3p] (Pionect/visma-php-sdk, the SalesOrders V3
  OpenAPI's securitySchemes). A token is reused until `TOKEN_MARGIN` seconds before it expires [I].
- A refused client id or secret is answered by the token endpoint with 400 `invalid_client`
  (RFC 6749 §5.2) or 401 [I]. A token for the wrong tenant (the customer's contract tenant, not
  the company's) is issued normally, and then every API call answers 401 [C] (how-to: fix 401).
  So a 401 from the API with a token just fetched names the tenant as the likely cause.

ERP API conventions (beside the OpenAPI description)
- Lists are bare arrays; every item carries `metadata{totalCount, maxPageSize}`; `pageNumber`
  starts at 1; a `pageSize` over the maximum is cut to it, not refused [C] (pagination; the
  description's MetadataDto). Maxima are unpublished except inventory's 5000 [C]; the sandbox
  defaults to `MAX_PAGE_SIZE` [I].
- Change reads: `lastModifiedDateTime` with `lastModifiedDateTimeCondition` (`>`, `>=`, …), given
  together, as `yyyy-MM-dd HH:mm:ss` [C] (date-time condition operators). Which time zone the
  value is read in is not documented [I]: the cursor is kept as the ERP wrote `lastModifiedDateTime`
  and sent back as written, minus `CURSOR_OVERLAP` seconds, so nothing is missed either way.
- Creates answer 201 with the new record's URL in `Location`, its last segment the record's number
  [C-3p] (ON-IT/Visma.Net follows it; MjukBiltvatt/go-visma-net reads the id from it).
- `ETag` on single GETs, the same value in the body's `timeStamp`/`timestamp`; `If-Match` on a PUT
  gives 412 when stale [C] (ETag). Honoured where sent, never required on the ERP API [I]. A stale
  write is read again and sent once more with the new ETag.
- `erp-api-background: none` on any call answers 202 `{id, stateLocation}`; `GET
  /v1/background/{id}` says `status` (Started, Finished, Failed) and `statusCode`, then `GET
  /v1/background/{id}/content` gives the original answer's body [C] (background API). Polled every
  `BACKGROUND_POLL` seconds, at most `BACKGROUND_POLLS` times [I]. The description declares that
  content as an object; it is the original call's answer [C] (background API), an array for a list,
  so the sandbox checks it as the original call's answer instead.
- Rate limits: `X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the window resets),
  `-Policy`; 429 with `Retry-After` in seconds [C] (rate limits). A `Reset` over 10^9 is read as
  an epoch time, as the 2021 knowledge base had it [C] (Visma community article 271133).
- Errors: `{"message": "VismaId: <guid>. <text>"}` or the older IPP body with `ExceptionMessage`
  [C-3p] (ON-IT/Visma.Net, go-visma-net). The sandbox answers the first.
- Read and write names differ [C] (the description's *Dto and *UpdateDto): e.g. `customerClass.id`
  is written `customerClassId`, `country.id` `countryId`. Validation refuses properties an
  *UpdateDto does not declare [I]: the real API may ignore them silently,
  which is worse, so the sandbox and the tests refuse them.

Domain assumptions
- A company customer is a customer with contact persons linked by `businessAccount`; a person is
  a customer without one [I] (Visma.net has no company/person flag). A person's `name` is their
  first and last name with a space between; read back, the first word is the first name [I].
- Matching customers by email: `GET /v1/customer?email=` matches `mainContact.email` [C] (the
  description's query parameter); whether exactly or case-insensitively is undocumented [I]: the
  client compares lower-cased emails itself.
- Stock for Shopify is what can be sold: `onHand − soBooked − soAllocated` per warehouse [I]
  (`available` depends on the item class's availability rules [C]).
- Prices per price group are the rows of `/v1/customerSalesPrice` with `priceType
  CustomerPriceClass`; their `priceCode` is the price class id [I] (the screen's semantics).
  Customer-specific prices (`priceType Customer`) are not read: one-to-one prices are not supported.
- Variants: Visma.net has no matrix items in this API; items are grouped into one product by the
  attribute named in the settings (`variant_attribute`), whose value is the product number [I].
  Items without it are simple products. Other attributes become options or features only as the
  settings map them.
  A variant's description is its product's title, then " - " and what sets it apart ("Organic shirt
  - M"); the product's title is the part before " - " [I].
- Images are item attachments [C] (`InventoryDto.attachments`, multipart upload); re-uploading a
  file name adds a revision [C]. An image's URL is its download URL with the revision, so it changes
  exactly when the image does and Shopify is sent only changed images [I].
- Orders are found again by the Shopify order number sent as the customer's order reference,
  `customer.order` (≤ 40 characters), read back as `customerOrder` in the list [C] (the SalesOrders
  V3 description); the V3 list cannot filter on it, so the client pages through the list [I].
- The V3 single order fills only the sections its `expand` names [C] (the description of
  `GET /api/v3/SalesOrders/{type}/{orderId}`): the client asks for `ORDER_EXPANSIONS`, comma-separated
  as Visma's sample request writes it (`expand=customer,payment`) [C]; the sandbox takes the values
  repeated too. Its `version` is a row version in base64 and its `ETag` that version; a V3 change
  (`PATCH`) without `If-Match` is 428, with a stale one 412 [C].
- Order types: the codes are per company [C-3p]; `SalesOrderTypeDto.behavior` says what a type
  does [C]. The settings map Tillsync's order, invoice and sales invoice onto codes.
- Shipments: a shipment counts as shipped in `SHIPPED_STATUSES` [I]; its tracking numbers are on
  its package lines and its carrier is `shipVia` [C]. The carrier's name is its `carrierDescription`
  in `GET /v1/carrier` [C]; `shipVia.description` is declared, but not that it holds that name [I],
  so the carrier list is read with the shipments; a shipment holding lines of several orders is
  one record per order [I].

The SalesOrders V3 API has its own OpenAPI document; `openapi.SALES_ORDERS` is the subset of it
the connector uses, kept beside this module (version 1.1.0.1279, see `openapi`), and closed to
undeclared properties as above [I].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

ERP_URL = "https://api.finance.visma.net"
SALESORDER_URL = "https://salesorder.visma.net"
TOKEN_URL = "https://connect.visma.com/connect/token"
SCOPES = (
    "vismanet_erp_service_api:read",
    "vismanet_erp_service_api:create",
    "vismanet_erp_service_api:update",
    "visma.net.erp.salesorder:read",
    "visma.net.erp.salesorder:write",
)
TOKEN_MARGIN = 60.0  # seconds before expiry a token is no longer used
MAX_PAGE_SIZE = 1000  # the ERP's page size where unpublished (inventory: 5000)
V3_PAGE_SIZE = 100  # the V3 list's default and, with expand, its maximum
CURSOR_OVERLAP = 300  # seconds a change read starts before the cursor
BACKGROUND_HEADER = "erp-api-background"
BACKGROUND_CONTENT = "/v1/background/{requestId}/content"
BACKGROUND_POLL = 0.5
BACKGROUND_POLLS = 240
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Policy")
EPOCH_RESET = 1_000_000_000
SHIPPED_STATUSES = ("Confirmed", "Completed", "Invoiced", "PartiallyInvoiced")
PRICE_CLASS = "CustomerPriceClass"
ORDER_EXPANSIONS = "Customer,Payment,FinancialInformation,Note"  # the V3 order's sections the client reads
CUSTOMER_ORDER_LENGTH = 40

# written plainly inside a wrapped body: flags, and a line's operation
PLAIN_FIELDS = frozenset({"overrideWithClassValues"})
PLAIN_LINE_FIELDS = frozenset({"operation"})


@dataclass(frozen=True)
class Write:
    """Whether a write may be sent again once its answer is lost, and why; for one that may not,
    how the client settles it."""

    resend: bool
    why: str


WRITES: Mapping[str, Write] = MappingProxyType({
    "token": Write(True, "asks for a token: asking twice gives two tokens, both good"),
    "PUT /v1/customer": Write(True, "sets the customer's fields, found by its number"),
    "PUT /v1/contact": Write(True, "sets the contact's fields, found by its id"),
    "POST /v1/customer": Write(False, "settled by email: GET /v1/customer?email= shows whether it was made"),
    "POST /v1/contact": Write(False, "settled by email and customer: GET /v1/contact?email= shows whether it was made"),
    "POST /api/v3/SalesOrders": Write(False, "settled by the Shopify order number, the order's customerOrder in "
                                      "the V3 list"),
})  # fmt: skip


def may_resend(method: str, path: str) -> bool:
    """Whether a request may be sent again after it may have reached Visma.net: reads always; a
    write only when `WRITES` says so, by method and path without its record number."""
    if method.upper() == "GET":
        return True
    parts = path.strip("/").split("/")
    for length in (len(parts), 2, 3):
        write = WRITES.get(f"{method.upper()} /{'/'.join(parts[:length])}")
        if write is not None:
            return write.resend
    return False
