"""What Tillsync assumes of the CCV Shop ("Verto") REST API that CCV SalesPOS runs on, in one place.

Every assumption carries its evidence: [C] confirmed by CCV's own material (its PHP SDK
`ccvshop/ccvshop-api-sdk`, the API reference at /API/Docs, the JSON Schemas it serves at
/API/Schema), [C-3p] by a third-party client generated from CCV's reference
(`jacobdekeizer/ccvshop-client`), [I] our inference. Correct them here, against a live system,
without touching the rest of the connector.

Requests and answers
- [C] Paths under `/api/rest/v1/`, on the account's own host; the SDK sends them without a
  trailing slash, the reference writes them with one: the sandbox takes both.
- [C] Every request carries `x-public` (the public key), `x-date` (now, ISO 8601 UTC) and
  `x-hash`: lowercase hex HMAC-SHA512, keyed by the secret, of `public|METHOD|uri|body|x-date`,
  `uri` the path with its query string, `body` the exact bytes sent ("" without one). The server
  refuses a date more than five minutes from its own clock.
- [C] Answers are signed the same way over the request's public key, method and uri, the answer's
  body and the answer's own `x-date`; the SDK throws `InvalidHashOnResult` when they differ. It
  checks only answers it reads as data (2xx): an error answer is thrown before. So does Tillsync:
  an unsigned or wrongly signed 2xx answer is a fatal error, never data.
- [C] A collection is `{start, size, href, first, previous, next, items}`; pages are asked with
  `start` (0-based offset) and `size`; the last page has no `next`. [I] Pages of 100.
- [C] An error answer is `{code: "<http>.<sub>", status, developermessage}`. `429.10` is the limit
  per resource and method per minute, `429.11` the total per minute; [C-3p] a client waits a
  minute before it tries again; [I] no Retry-After is known, so `rate_limit_wait` seconds.
- [I] A record the API refuses (validation) answers 400 with a code; 404 for an id it does not hold.

Resources and fields (snake_case JSON) [C-3p]
- products: `productnumber` (the SKU), `name`, `description`, `price` (list price) and `discount`
  (selling price = price − discount [C-3p]), `vatrate` (a percentage; deprecated beside
  `taxtariff`, whose values no source names, so Tillsync reads and writes `vatrate`), `stockenabled`,
  `stocktype` (`product` or `attribute_combination`: where stock is kept), `stock`, `brand`,
  `package_id` (required when creating), `modifydate`. Filters: `productnumber`; `orderby`
  `modifydate_desc` for reads of what changed (no "changed since" filter exists).
- variants are attribute combinations: attributes (`/attributes/`: `name`, `type`) with values
  (`/attributes/{id}/attributevalues/`: `name`, `default_price`); a product gets values with
  `POST /products/{id}/productattributevalues/` (`optionvalue`, `price` = the extra price, `stock`),
  and the platform makes the combinations, each with its own `sku_number`, `ean_number`, `stock`
  and `combination[]` of `{attribute: {name}, attribute_value: {name}, extra_price}`, set with
  `PATCH /attributecombinations/{id}/`.
- categories (`name`, `parent`: {id}) and product-to-category links (`product_id`, `category_id`).
- customers are users (`username`, `group_id`, `userinfo`: personal info with `email`,
  `customertype` b2c/b2b, `billingaddress` {first_name, last_name, company, street, housenumber,
  housenumber_suffix, zipcode, city, country_code, telephone}, `deliveryaddress`, `btw`); users
  belong to user groups (price groups). No filter by email: a user is found by reading them all.
- orders: `status` 1–14 (`STATUSES`), `is_completed`, `paid`, `create_date`, `currency`,
  `order_row_taxes_included` (row prices include VAT), `is_intra_community_order` and
  `is_platform_sale` (0 % VAT on every row), `total_price`, `customer` (personal info), `user`,
  `reservationnumber`, `paymethod`, `track_and_trace_code`; rows (`orderrows`: `product_id`,
  `product_number`, `sub_sku_number`, `count`, `price`, `discount`, `tax` %) editable only while
  the order is not completed. Filters: `min_create_date` (the only change read), `status`,
  `is_completed` (default true: open baskets are hidden). No shipment object: status 5 (Sent) with
  track and trace on the order. `POST /orders/` takes `user_id`, `customer`, `orderrows` (with
  `product_id` and `attribute_combination_id`), `status`, `paid` and the VAT flags, no external id.
- invoices for orders: `POST /orders/{id}/invoices/` (numbered, `paid`/`unpaid` as the order is,
  with its totals), read at `/invoices/`.

Webhooks
- [C-3p] `GET/POST /webhooks/`, `GET/PATCH/DELETE /webhooks/{id}/`; a webhook is `{id, href,
  createdate, event, address, key, is_active}`; a POST takes `event`, `address` and `is_active`,
  and CCV makes the `key`, "the secret key associated with this event. This key will be used to
  calculate a hash". [C] Events `products.created|updated|deleted` (CCV's example app registers
  exactly these and stores each webhook's key); [I] `orders.created|updated` by analogy.
- [C] What CCV itself sends to an app (the App Store's handshake and uninstall calls) carries
  `x-hash`: lowercase hex HMAC-SHA512 of the pipe-joined parts (the URI called, the raw body),
  keyed by the app's secret; the example app compares it before reading anything.
- [I] A webhook delivery is signed the same way with the webhook's `key`: `x-hash` = hex
  HMAC-SHA512 of the raw body. No source shows a delivery's header or hash recipe, so the receiver
  refuses every delivery it cannot verify exactly so (no `x-hash`, another key, a changed body);
  should the real recipe put the address in front as the App Store's calls do, change
  `webhook_signature` here and nothing else.
- [I] CCV's key is per webhook and made by CCV; Tillsync verifies with one key per system (the
  `webhook_key` credential; `previous_webhook_key` while it changes), so the webhooks one system
  sends to Tillsync must share it. The sandbox gives every webhook it makes its one key.
- [I] A delivery's body is `{"event", "id", "href", "data"}`: the event, the id and link of the
  resource it is about, and the resource as `GET` answers it. The record it names is read from
  `data` (a product's `productnumber`, an order's number as `order_number` reads it); a delivery
  without `data` names none, and its flow runs whole. A retry sends the same bytes, another change
  other `data`: a delivery's id is a digest of its body.

Tillsync's own choices where no source says
- [I] The id an order has in its source (a Shopify name) is kept in the order's
  `reservationnumber`, "visible on the invoice"; an order is found by it among the orders made
  since the source order was (`min_create_date`), there being no filter on it.
- [I] A SalesPOS account is one store (a website): its id is the system's `store_id` setting, the
  branch every order read from it names, and an order written to it must name that store or none.
- [I] Reservations are the rows of orders in status 14 (Reserved): stock available = stock − those.
- [I] Product prices include VAT (Dutch consumer prices); order rows say so per order.
- [I] Orders carry no change time and have no filter on one (`min_create_date` is the only date
  filter [C-3p]), so a flow reading orders from CCV keeps no cursor and reads them whole: an older
  order whose status changed is seen by the next read, and at once by an `orders.updated` delivery
  naming it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

PREFIX = "/api/rest/v1/"
ACCEPT = "application/vnd.verto.webshop+json"
CLOCK_WINDOW = 300.0  # seconds between x-date and the server's clock
PAGE_SIZE = 100
RATE_LIMIT_CODES = MappingProxyType({"429.10": "the limit per resource and method", "429.11": "the total limit"})
EXTERNAL_NUMBER = "reservationnumber"
STOCK_ON_PRODUCT, STOCK_ON_COMBINATIONS = "product", "attribute_combination"
RESERVED = 14

# the order status numbers and the canonical order statuses they are read as and written from
STATUSES: Mapping[int, str] = MappingProxyType({
    1: "new", 2: "in_process", 3: "wait_for_manufacturer", 4: "wait_for_payment", 5: "sent", 6: "delivered",
    7: "completed", 8: "cancelled", 9: "wait_for_supplier", 10: "being_packaged", 11: "ready_for_pickup",
    12: "being_assembled", 13: "backorder", 14: "reserved",
})  # fmt: skip
STATUS_NUMBERS: Mapping[str, int] = MappingProxyType({name: number for number, name in STATUSES.items()})
WEBHOOK_EVENTS = ("products.created", "products.updated", "products.deleted", "orders.created", "orders.updated")
WEBHOOK_HASH_HEADER = "x-hash"


def signed_text(public: str, method: str, uri: str, body: bytes, date: str) -> bytes:
    """What is signed, request or answer: `public|METHOD|uri|body|date`, the body byte for byte."""
    return b"|".join([public.encode(), method.upper().encode(), uri.encode(), body, date.encode()])


def signature(secret: str, public: str, method: str, uri: str, body: bytes, date: str) -> str:
    """The `x-hash` of a request or answer."""
    return hmac.new(secret.encode(), signed_text(public, method, uri, body, date), hashlib.sha512).hexdigest()


def webhook_signature(key: str, body: bytes) -> str:
    """The `x-hash` assumed on a webhook delivery: hex HMAC-SHA512 of its raw body keyed by the webhook's key."""
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def timestamp(now: float) -> str:
    """An `x-date`: ISO 8601 in UTC to the second, as the SDK writes it (`2025-09-01T10:00:00+00:00`)."""
    return datetime.fromtimestamp(now, UTC).replace(microsecond=0).isoformat()


def parse_timestamp(text: str) -> float | None:
    """Seconds since the epoch of an `x-date` (`Z` or `+00:00`), None when it is no such time."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


def uri_of(path: str, query: str) -> str:
    """The uri signed: the path with its query string, without the host."""
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Write:
    """Whether a write may be sent again once its answer is lost, and why (or how it is settled)."""

    resend: bool
    why: str


WRITES: Mapping[tuple[str, str], Write] = MappingProxyType({
    ("POST", "products"): Write(False, "settled by its productnumber: the product is there or not"),
    ("PATCH", "products"): Write(True, "sets the fields it names: sending it twice sets them once"),
    ("POST", "attributes"): Write(False, "settled by the attribute's name"),
    ("POST", "attributevalues"): Write(False, "settled by the value's name under its attribute"),
    ("POST", "productattributevalues"): Write(False, "settled by the product's attribute combinations"),
    ("PATCH", "attributecombinations"): Write(True, "sets the fields it names"),
    ("POST", "producttocategories"): Write(False, "settled by the product's category links"),
    ("POST", "users"): Write(False, "settled by email: the users are read for it"),
    ("PATCH", "users"): Write(True, "sets the fields it names"),
    ("POST", "orders"): Write(False, "settled by its reservationnumber among the orders made since"),
    ("POST", "webhooks"): Write(False, "settled by event and address among the webhooks"),
})  # fmt: skip


def may_resend(method: str, resource: str) -> bool:
    """Whether a request may be sent again after it may have been carried out: reads always; a
    write only when `WRITES` says so (one it does not name is taken as unsafe to send twice)."""
    if method == "GET":
        return True
    write = WRITES.get((method, resource))
    return write is not None and write.resend
