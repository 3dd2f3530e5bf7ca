"""What Tillsync assumes of EasyCashier's Back Office API, in one place, with the evidence for each.

EasyCashier publishes no API documentation, OpenAPI file or SDK. What is known comes from two
independent third-party clients of the JSON API the Back Office web app itself uses: E1
(`Eddie-Peters-Stride/Easycashier-sync`, a Shopify app in JavaScript, partly guesswork) and E2
(`aenlr/ecbokio`, a small Rust tool run against the live service), and from EasyCashier's own
pages about its webshop integrations (E3 `easycashier.se/artikel/shopify`, E4 `…/abicart`).
Every name and shape the client and the sandbox use is taken from here, so each can be corrected
against a real account without touching the rest. Markers:

- [C]     confirmed by EasyCashier's own pages;
- [C-3p]  seen in third-party code that ran against the real API (E2, or E1 echoing real GETs);
- [C-3p?] seen only in E1's speculative or configurable code paths;
- [I]     our inference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

# ---- protocol, host, authentication -----------------------------------------------------------

# [C-3p] E2 (EASYCASHIER_URL), E1 (default login URL)
BASE_URL = "https://backoffice.easycashier.se"
# [C-3p] E1 EasycashierApiClient.js, E2 login(): POST {"username", "password"} as JSON
LOGIN_PATH = "/v1/login"
# [C-3p] E1 validates the first three, E2 reads accessToken and preferredCorporateIdentity
LOGIN_TOKEN = "accessToken"
LOGIN_EXPIRES_IN = "expiresIn"  # seconds the token lives
LOGIN_RESULT = "authenticationResponseType"
LOGIN_SUCCESS = "AUTHORIZATION_SUCCESSFUL"
LOGIN_COMPANY = "preferredCorporateIdentity"  # the user's default company's organisation number
# [C-3p] E2 on every call, E1 (header name x-auth-token)
TOKEN_HEADER = "X-Auth-Token"
# [I] a token is renewed this many seconds before it expires, so a call does not meet a 401 it
# could have avoided; a 401 all the same is answered by logging in once more ([C-3p] E1), then fatal
TOKEN_MARGIN = 30.0
# [I] a refused login: E1 and E2 treat any non-2xx answer of /v1/login as failure; we take 400, 401
# and 403 as refused credentials, and a 2xx without LOGIN_SUCCESS as refused too
LOGIN_REFUSED = (400, 401, 403)

# ---- resources (under the company) ----------------------------------------------------------

# [C-3p] E2 builds {base}/v1/company/{company}/zReport; the company is the Swedish organisation
# number ("orgnummer"), as E2's --orgnummer and preferredCorporateIdentity show
COMPANY_PATH = "/v1/company/{company}"
ARTICLES_PATH = "/article"  # [C-3p] E1: GET list, POST create
ARTICLE_PATH = "/article/{id}"  # [C-3p] E1 updateProductSync.js: PUT with the whole article, by internal id
INCREASE_PATH = "/stock/increaseStock"  # [C-3p?] E1's default, overridable by an env var
DECREASE_PATH = "/stock/decreaseStock"  # [C-3p?] idem
# [C-3p] E1 getTodaysSalesData; E1's fixture note says a captured real report lacked storeNumber
SALES_PATH = "/report/sales/groupedByArticleAndStore/preview"

# ---- lists ----------------------------------------------------------------------------------

# [C-3p] E1, E2: itemsPerPage, pageNumber (1-based), sortColumn, sortDirection asc|desc
PAGE_PARAM, PAGE_SIZE_PARAM = "pageNumber", "itemsPerPage"
SORT_PARAM, SORT_DIRECTION_PARAM = "sortColumn", "sortDirection"
SEARCH_PARAM = "searchValue"  # [C-3p] E1 findEasycashierArticle.js: matches article number and description
ARTICLE_SORT = "articleNumber"
# [C-3p?] E1 caps article pages at 500, a constant of its own; the real maximum is unknown
PAGE_SIZE = 500
# [C-3p] E2 ZRapportListResponse; E1 looks for metaInformation first
META = "metaInformation"
META_PAGE, META_PAGES, META_TOTAL = "currentPage", "totalPages", "totalResources"
ITEMS = "items"

# ---- articles -------------------------------------------------------------------------------

# [C-3p] E1 reads these from a real GET and PUTs them back unchanged; names and types as observed
ARTICLE_ID = "id"  # internal id, used to update
ARTICLE_NUMBER = "articleNumber"  # text; unique per company; = Shopify's SKU (E1 README: no variants)
ARTICLE_TITLE = "description"
ARTICLE_BARCODE, ARTICLE_BARCODE2 = "barcode", "barcode2"  # text: EANs keep their leading zeros
ARTICLE_TYPE = "articleType"  # "PRODUCT" | "SERVICE"
PRICE_INCL_VAT = "retailPriceIncludingVat"  # number, SEK including VAT
COST_EXCL_VAT = "costPriceExcludingVat"  # number, excluding VAT
VAT = "vat"  # a fraction: 0.25 for 25 % ([C-3p] E1 README "vat: 0.25", divides percentages > 1 by 100)
ACCOUNT = "accountNumber"  # BAS revenue account; E1's default 3051
STOCK_ITEM = "stockItem"  # bool: stock-tracked
WEBSHOP = "webshop"  # bool: the article is sold in the webshop ([C] E4: only these are synced)
WEBSHOP_ARTICLE_ID = "webshopArticleId"  # the webshop's product id; not used for matching (issue, E1)
STOCK_ENTRIES = "stockEntries"  # per-store rows; E1 copies the array back on PUT
# [C-3p?] the names inside a stock entry: E1 assumes storeNumber and quantity, with fallbacks
ENTRY_STORE, ENTRY_QUANTITY = "storeNumber", "quantity"
# [C-3p] E1 createProductSync.js: what it sends on create where the source says nothing
ARTICLE_DEFAULTS: Mapping[str, object] = MappingProxyType({
    ARTICLE_TYPE: "PRODUCT", ACCOUNT: 3051, VAT: 0.25, STOCK_ITEM: True, "accumulative": False,
    "askForQuantity": False, "addTextWhenSold": False,
})  # fmt: skip
# [I] for the Swedish rates (0.25, 0.12, 0.06, 0); any fraction from 0 to 1 is taken as given
SWEDISH_VAT = (Decimal("0.25"), Decimal("0.12"), Decimal("0.06"), Decimal(0))
CURRENCY = "SEK"  # [I] the Back Office is Swedish; no currency field is seen on articles

# ---- stock changes --------------------------------------------------------------------------

# [C-3p?] E1: {"storeNumber": 1, "articles": [{"articleNumber", "quantity", "costPriceExcludingVat"}],
# "comment": "..."}; store numbers are integers here ([C-3p] E1, E2)
CHANGE_STORE, CHANGE_ARTICLES, CHANGE_COMMENT = "storeNumber", "articles", "comment"
# [I] one call changes all its articles or none (we send one call per order and store: an order
# shipped from several locations is a call per store, and one booked at one store and not at
# another cannot be sent again whole, so it is held for a person)

# ---- sales report ---------------------------------------------------------------------------

# [C-3p] E1: startDate/stopDate as YYYY-MM-DD; rows {articleNumber, storeNumber (text!), quantity};
# quantities are cumulative over the period asked and negative for returns; E1 diffs successive
# reads of the same day. E1 computes "today" in Europe/Stockholm.
SALES_START, SALES_STOP = "startDate", "stopDate"
SALES_ARTICLE, SALES_STORE, SALES_QUANTITY = "articleNumber", "storeNumber", "quantity"
TIMEZONE = ZoneInfo("Europe/Stockholm")

# ---- errors ---------------------------------------------------------------------------------

# [C-3p?] E1 reads error.message, then message, then error_description: the envelope is unknown
ERROR_FIELDS = ("message", "error_description")
# [C-3p?] a duplicate create is a 400 whose message contains "already exists" (E1 parses
# 'Article number "<x>"' out of it)
DUPLICATE = "already exists"
# [C-3p?] E1 throttles itself to 250-300 requests a minute and honours 429 with Retry-After
# (seconds or an HTTP date); the real limits are not documented


@dataclass(frozen=True)
class Write:
    """One writing call: whether it may be sent again once its answer is lost, and why (or what
    the client settles it by)."""

    resend: bool
    why: str


WRITES: Mapping[str, Write] = MappingProxyType({
    "login": Write(True, "makes a new token; making two leaves the company as one does"),
    "updateArticle": Write(True, "PUT of the whole article by its internal id: sending it twice sets the same"),
    "createArticle": Write(False, "a second create is refused as a duplicate ('already exists'); settled by "
                           "looking the article number up"),
    "increaseStock": Write(False, "a relative change, booked again if sent again: settled by the article's stock "
                           "read again, less the till's sales in between (the sales report)"),
    "decreaseStock": Write(False, "idem"),
})  # fmt: skip


def may_resend(call: str) -> bool:
    """Whether `call` may be sent again after it may have reached the Back Office; reads may, and
    a call this module does not name is taken as unsafe to send twice."""
    if call.startswith(("get", "read", "list")):
        return True
    write = WRITES.get(call)
    return write is not None and write.resend
