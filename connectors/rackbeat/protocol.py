"""What Tillsync assumes of Rackbeat's REST API, in one place, each with its evidence.

Markers: [C] confirmed by Rackbeat (developer.rackbeat.com, its MIT PHP client `Rackbeat/laravel-client`),
[C-3p] confirmed only by third-party code or docs, [I] inferred, to check against a live account.
The client and the sandbox both read their wire names from here, so a correction is made once.

- Base path `/api/`, JSON, `Authorization: Bearer <token>` (one account-wide token). [C] reference
  "Authentication"; the official client also sends `Consumer-Name`, `Consumer-Contact` and a
  `User-Agent` of `name (contact)`, refuses to start without them and warns that leaving them out
  may get an IP restricted (`src/API.php`, `config/rackbeat.php`). [C] The sandbox accepts them and
  does not require them. [I]
- No version in the URL; the official client sends `API-Version: latest`. [C]
- A record is answered wrapped in its singular key (`{"product": {...}}`), a list in the plural key
  beside `page`, `limit`, `pages`, `total` (`Resources/BaseResource.php`). [C] Lists answer HTTP
  206 Partial Content, other reads 200 (reference "Pagination"); both are success. [C] `page` is
  1-based, `limit` defaults to 20; the official client walks pages of 200 while `page < pages`. [C]
- Master data and documents are addressed by their `number`, which users may edit (so `updated`
  webhooks carry `old_key`/`new_key`). [C] A product number may hold `/`: the API gives each
  product a `urlfriendly_number` for paths (the official client passes it, `rawurlencode`d, for
  `items/{item}/locations/available`). [C] Its exact form is not documented [I]: the client never
  makes one, it reads it; the sandbox makes it by replacing every character other than a letter,
  digit, `-` or `_` with `-` and keeping it unique.
- Free-text `search=` and boolean filters on lists; `updated_at_from`/`updated_at_to` with values
  like `2025-07-14 00:00:00` (reference "Filtering", shown on customer invoices). [C] That every
  list honours `updated_at_from` is [I]. Timestamps carry no zone; they are the account's local
  time (Europe/Copenhagen unless set otherwise). [I]
- Finding a customer by email or an order by the webshop's order id goes through `search=` and an
  exact comparison of the field afterwards (`contact_email`, `your_reference`). [I]
- Errors: 401 refused token, 404 unknown, 5xx server, 429 throttled (the official client's
  `ThrottledException`; no limit or header is documented, so a `Retry-After` is honoured when
  present and backed off otherwise). [C] 422 is the validation and business-rule error, its body
  `{"errors": {"lines.0.item_id": ["..."]}}`: dotted Laravel paths to lists of messages. [C]
- Money is a JSON number (`"sales_price": 89`, `119.5`) [C-3p] (`RackbeatProduct.cs` reads a decimal;
  App4Sales maps a number): a number keeps no scale, so 89.00 comes back as 89. Read as it stands, a
  price would never equal the same price a webshop writes with its cents ("89.00"), and each plan
  would update every item again; the client reads a price to the cent, keeping more decimals only
  where Rackbeat has them (it keeps four [I]).
- Product groups are keyed by `number`; every product needs one (`group_id`, the group's `id`).
  [C] (reference "Intro to items"). VAT comes from the group per VAT zone (`vat_domestic`). [C-3p]
  Prices exclude VAT unless the account says otherwise. [I]
- Products with registered stock cannot be deleted (helpdesk ht-07001). [C] The answer is a 422
  with an `errors` map naming `number`. [I] A product read carries `stock_quantity`, its stock of
  all locations together [C-3p] (`RackbeatProduct.cs`; the C# client and App4Sales read it): a plan
  reads it before it proposes a delete, and shows one of an item whose stock is not zero as blocked.
  Stock received after the plan is still refused by Rackbeat, and that refusal is the record's error.
- Stock per location: `GET items/{urlfriendly_number}/locations/available`, plural key `locations`
  [C]; each row `{location: {number, name}, in_stock, in_order, available}` is [I], with
  available = in stock − in order (reserved by booked orders not yet shipped or invoiced). [I]
  Locations (`locations`, keyed by `number`, `is_default`) [C-3p].
- Stock is set by counting it (reference "Intro to Inventory": checking drafts, "item numbers,
  locations, quantities, and booking status"): `POST inventory/checking-drafts` makes a draft count
  of one item at one location, `POST inventory/checking-drafts/{id}/book` books it, `GET
  inventory/checking-drafts` lists them. [C] Its wire names (`item_number`, `location_number`,
  `quantity`, `is_booked`; answered under `checking_draft`/`checking_drafts`) are [I]. Booking a count
  sets the item's stock at the location to the counted quantity, Rackbeat registering the
  difference as a quantity adjustment (the product ledger's "Quantity adjustment", helpdesk
  ht-00224) [C] for the ledger, [I] for the count's effect; booking a booked draft is refused (a 422
  here [I]). The reference also names stock adjustments (relative) and internal movements (between
  locations); a count is the write that sets a level outright, which is what copying a webshop's
  stock in once asks for. A count is of what is on hand: Rackbeat's reservations for its own booked
  orders come off it as they do for any stock.
- Customers: `POST customers` without a `number` takes the next free one of the number series. [I]
  (Rackbeat's "automatic customer numbering" is [C] in its product pages.)
- Orders: `POST orders/drafts` makes a draft, `POST orders` a booked order [I: the draft endpoint
  is [C]]; `POST orders/{n}/book` (`{"mail": {"send": false}}`) books a draft, and booking a booked
  one is refused (a 422 here [I]; the official client refuses client-side). [C] `POST
  orders/{n}/create-shipment` needs a booked, unshipped order [C]; `POST
  orders/shipments/{id}/mark-shipped` (`{"pick": true}`) [C-3p]; `POST
  orders/{n}/convert-to-invoice?book=true` answers `invoice_id` [C-3p]. Lines take `item_id`,
  `quantity`, `line_price`, `discount_percentage` (the last three are [I]). The webshop's order id
  travels in `your_reference`. [I]
- An order's state is a set of flags, not one status: `is_booked`, `is_ready_for_shipping`,
  `is_shipped`, `is_partly_shipped`, `is_invoiced`, `is_partly_invoiced`, `is_cancelled`, ... [C]
  Tillsync reads one status from them (`order_status`), in the order cancelled, shipped and
  invoiced, invoiced, shipped, ready to ship, booked, draft. [I]
- Webhooks: no signature; each delivery carries the static `Rackbeat-Webhook-Token` given when the
  webhook was made, and `Rackbeat-Webhook-Event`, `Rackbeat-Account-Id`, `User-Agent: Rackbeat
  Webhook`. [C] Payload `{"key", "key_name", "event", "data"}`, plus `old_key`, `new_key`,
  `changed` on `updated` events. [C] Events are singular (`order.created`); the reference's intro
  also shows `orders.created`, read as the same. [C] Creating a webhook for an existing
  `(event, url)` updates it. [C] Deliveries carry no id of their own. [I]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

API_PATH = "/api/"
LIST_STATUSES = (200, 206)
PAGE_SIZE = 200  # what the official client asks for when it walks every page
DEFAULT_PAGE_SIZE = 20
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_TIMEZONE = "Europe/Copenhagen"

TOKEN_HEADER = "Rackbeat-Webhook-Token"
EVENT_HEADER = "Rackbeat-Webhook-Event"
ACCOUNT_HEADER = "Rackbeat-Account-Id"
WEBHOOK_AGENT = "Rackbeat Webhook"


@dataclass(frozen=True)
class Resource:
    """A collection: its path under `/api/` and the keys its answers wrap records in."""

    path: str
    one: str
    many: str


PRODUCTS = Resource("products", "product", "products")
PRODUCT_GROUPS = Resource("product-groups", "product_group", "product_groups")
LOCATIONS = Resource("locations", "location", "locations")
CUSTOMERS = Resource("customers", "customer", "customers")
ORDERS = Resource("orders", "order", "orders")
SHIPMENTS = Resource("order-shipments", "order_shipment", "order_shipments")
WEBHOOKS = Resource("webhooks", "webhook", "webhooks")
ITEM_STOCK = "items/{item}/locations/available"  # answered under LOCATIONS.many
CHECKING_DRAFTS = Resource("inventory/checking-drafts", "checking_draft", "checking_drafts")


def order_status(order: Mapping[str, Any]) -> str:
    """One status from an order's flags, the furthest it got."""
    if order.get("is_cancelled"):
        return "cancelled"
    if order.get("is_shipped") and order.get("is_invoiced"):
        return "shipped_and_invoiced"
    for flag, status in (
        ("is_invoiced", "invoiced"),
        ("is_shipped", "shipped"),
        ("is_ready_for_shipping", "ready_to_ship"),
        ("is_booked", "booked"),
    ):
        if order.get(flag):
            return status
    return "draft"


ORDER_STATUSES = ("draft", "booked", "ready_to_ship", "shipped", "invoiced", "shipped_and_invoiced", "cancelled")
# a target state → the flags an order must have reached for it
TARGET_FLAGS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "booked": ("is_booked",),
        "ready_to_ship": ("is_booked", "is_ready_for_shipping"),
        "shipped": ("is_booked", "is_shipped"),
        "invoiced": ("is_booked", "is_invoiced"),
        "shipped_and_invoiced": ("is_booked", "is_shipped", "is_invoiced"),
    }
)


def event_entity(event: str) -> tuple[str, str]:
    """`product.updated` as (`product`, `updated`); the plural spelling `orders.created` too."""
    resource, _, action = event.partition(".")
    singular = {
        "products": "product",
        "orders": "order",
        "customers": "customer",
        "items": "item",
        "product_groups": "product_group",
    }.get(resource, resource)
    return singular, action


def errors_of(body: Any) -> dict[str, list[str]]:
    """A 422 answer's `errors` map (dotted path → messages); {} when it has none."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {
        str(path): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        for path, messages in errors.items()
    }


_NOT_URL_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def urlfriendly(number: str) -> str:
    """The sandbox's `urlfriendly_number` of a product number (see above: the client only reads them)."""
    return _NOT_URL_SAFE.sub("-", number)


@dataclass(frozen=True)
class Write:
    """One kind of write: whether it may be sent again once its answer is lost, and why."""

    resend: bool
    why: str


WRITES: Mapping[str, Write] = MappingProxyType(
    {
        "PUT": Write(True, "sets a record found by its number: setting it twice leaves it as once"),
        "DELETE": Write(True, "deletes by number: a second delete finds nothing (404), the record is gone either way"),
        "POST product-groups": Write(False, "settled by number: the group is read back by it"),
        "POST products": Write(False, "settled by number: the product is read back by it"),
        "POST customers": Write(
            False, "a new customer takes the next number, so a resend would make a second one: settled by email"
        ),
        "POST orders": Write(
            False, "a resend would make a second order: settled by the webshop's order id (your_reference)"
        ),
        "POST order action": Write(
            True,
            "book, mark-shipped and convert-to-invoice are refused once done (booking twice is refused): sent "
            "again, a refusal is settled by the order's flags",
        ),
        "POST create-shipment": Write(
            False, "a second shipment would be made: settled by the order's shipments, sent again only when it has none"
        ),
        "POST webhooks": Write(True, "an existing (event, url) pair is updated, not duplicated"),
        "POST inventory/checking-drafts": Write(
            False,
            "a second draft count would be left open, to set the stock back to this count when booked later: "
            "settled by the open draft of the item at the location with this quantity, booked if found",
        ),
        "POST checking-draft book": Write(
            True, "booking a booked count is refused: sent again, a refusal is settled by the stock at the location"
        ),
    }
)
