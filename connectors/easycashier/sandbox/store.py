"""The Back Office the sandbox keeps: a company's users and tokens, articles with stock per store,
stock changes, and the till's sales feeding the sales report. Shapes and behaviour follow
`connectors.easycashier.protocol`, not what the connector happens to send."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connectors.easycashier import protocol as p


class Refused(Exception):
    """What the Back Office answers with a status and a message (400, 401, 403, 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Refused(400, f"{what} must be a number")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise Refused(400, f"{what} must be a number") from None


@dataclass
class BackOffice:
    company: str = "556677-8899"
    users: dict[str, str] = field(default_factory=lambda: {"sandbox@example.se": "sandbox-password"})
    stores: tuple[int, ...] = (1, 3)
    token_lifetime: float = 3600.0  # seconds a token lives ([C-3p] expiresIn; its real length is unknown)
    page_cap: int = p.PAGE_SIZE  # the most items a page holds, whatever is asked
    clock: Callable[[], float] = time.monotonic  # for tokens
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # for the sales report's days
    articles: dict[int, dict[str, Any]] = field(default_factory=dict)  # internal id → article
    sales: dict[tuple[date, str, int], Decimal] = field(default_factory=dict)  # (day, article, store) → sold
    changes: list[dict[str, Any]] = field(default_factory=list)  # stock changes booked, in order
    _tokens: dict[str, float] = field(default_factory=dict)  # token → when it expires
    _next_id: int = 1001
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- sessions -------------------------------------------------------------------------

    def login(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping) or self.users.get(str(body.get("username"))) != body.get("password"):
            raise Refused(401, "Bad credentials")
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self.clock() + self.token_lifetime
        return {p.LOGIN_TOKEN: token, p.LOGIN_EXPIRES_IN: int(self.token_lifetime), p.LOGIN_RESULT: p.LOGIN_SUCCESS,
                p.LOGIN_COMPANY: self.company}  # fmt: skip

    def authorise(self, token: str | None, company: str) -> None:
        expires = self._tokens.get(token or "")
        if expires is None or self.clock() >= expires:
            raise Refused(401, "Authentication required")
        if company.replace("-", "") != self.company.replace("-", ""):
            raise Refused(403, f"no access to company {company}")

    def expire_tokens(self) -> None:
        """Every token handed out stops working, as after its lifetime."""
        self._tokens.clear()

    # ---- articles -------------------------------------------------------------------------

    def list_articles(self, params: Mapping[str, str]) -> dict[str, Any]:
        items = sorted(self.articles.values(), key=lambda a: str(a[p.ARTICLE_NUMBER]))
        if params.get(p.SORT_DIRECTION_PARAM) == "desc":
            items.reverse()
        search = (params.get(p.SEARCH_PARAM) or "").lower()
        if search:  # article number and description ([C-3p] E1)
            items = [a for a in items if search in str(a[p.ARTICLE_NUMBER]).lower()
                     or search in str(a.get(p.ARTICLE_TITLE) or "").lower()]  # fmt: skip
        return self._page(items, params)

    def create_article(self, body: Any) -> dict[str, Any]:
        article = self._valid(body)
        number = article[p.ARTICLE_NUMBER]
        if self._by_number(number) is not None:
            raise Refused(400, f'Article number "{number}" already exists')
        article[p.ARTICLE_ID] = self._next_id
        self._next_id += 1
        article.setdefault(p.STOCK_ENTRIES, [])
        self.articles[article[p.ARTICLE_ID]] = article
        return article

    def update_article(self, article_id: str, body: Any) -> dict[str, Any]:
        current = self.articles.get(int(article_id)) if article_id.isdigit() else None
        if current is None:
            raise Refused(404, f"Article {article_id} not found")
        article = self._valid(body)
        other = self._by_number(article[p.ARTICLE_NUMBER])
        if other is not None and other[p.ARTICLE_ID] != current[p.ARTICLE_ID]:
            raise Refused(400, f'Article number "{article[p.ARTICLE_NUMBER]}" already exists')
        article[p.ARTICLE_ID] = current[p.ARTICLE_ID]
        article[p.STOCK_ENTRIES] = current.get(p.STOCK_ENTRIES, [])  # stock moves by stock calls only [I]
        self.articles[current[p.ARTICLE_ID]] = article  # a PUT replaces the whole article
        return article

    def _valid(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise Refused(400, "an article must be a JSON object")
        article = dict(body)
        number = article.get(p.ARTICLE_NUMBER)
        if not isinstance(number, str) or not number.strip():
            raise Refused(400, "articleNumber is required")
        if not str(article.get(p.ARTICLE_TITLE) or "").strip():
            raise Refused(400, "description is required")
        vat = _number(article.get(p.VAT, 0.25), "vat")
        if not Decimal(0) <= vat <= Decimal(1):
            raise Refused(400, f"vat must be a fraction between 0 and 1, not {vat}")
        if article.get(p.PRICE_INCL_VAT) is not None and _number(article[p.PRICE_INCL_VAT], "price") < 0:
            raise Refused(400, "retailPriceIncludingVat must not be negative")
        return article

    def _by_number(self, number: str) -> dict[str, Any] | None:
        return next((a for a in self.articles.values() if a[p.ARTICLE_NUMBER] == number), None)

    # ---- stock ----------------------------------------------------------------------------

    def stock(self, number: str, store: int) -> Decimal:
        article = self._by_number(number)
        entries = (article or {}).get(p.STOCK_ENTRIES) or []
        return next((Decimal(str(e[p.ENTRY_QUANTITY])) for e in entries if e[p.ENTRY_STORE] == store), Decimal(0))

    def set_stock(self, number: str, store: int, quantity: Decimal) -> None:
        article = self._by_number(number)
        if article is None:
            raise KeyError(number)
        entries = [e for e in article.get(p.STOCK_ENTRIES) or [] if e[p.ENTRY_STORE] != store]
        value = int(quantity) if quantity == quantity.to_integral_value() else float(quantity)
        article[p.STOCK_ENTRIES] = sorted([*entries, {p.ENTRY_STORE: store, p.ENTRY_QUANTITY: value}],
                                          key=lambda e: e[p.ENTRY_STORE])  # fmt: skip

    def change_stock(self, body: Any, sign: int) -> dict[str, Any]:
        """An increase (`sign` 1) or decrease (-1): every article checked first, then all changed."""
        if not isinstance(body, Mapping) or not isinstance(body.get(p.CHANGE_ARTICLES), list):
            raise Refused(400, "storeNumber and articles are required")
        store = body.get(p.CHANGE_STORE)
        if not isinstance(store, int) or store not in self.stores:
            raise Refused(400, f"Store {store} does not exist")
        moves = []
        for row in body[p.CHANGE_ARTICLES]:
            number = str((row or {}).get(p.ARTICLE_NUMBER) or "")
            if self._by_number(number) is None:
                raise Refused(400, f'Article number "{number}" not found')
            quantity = _number((row or {}).get(p.ENTRY_QUANTITY), "quantity")
            if quantity <= 0:
                raise Refused(400, f"quantity must be above zero, not {quantity}")
            moves.append((number, quantity))
        for number, quantity in moves:
            self.set_stock(number, store, self.stock(number, store) + sign * quantity)
        self.changes.append({"store": store, "sign": sign, "articles": moves, "comment": body.get(p.CHANGE_COMMENT)})
        return {"storeNumber": store, "articles": [{p.ARTICLE_NUMBER: n, p.ENTRY_QUANTITY: str(q)} for n, q in moves]}

    # ---- the till's sales -----------------------------------------------------------------

    def sell(self, number: str, store: int, quantity: Decimal, when: datetime | None = None) -> None:
        """A sale at the till (a return when `quantity` is negative): stock goes down by it, and the
        sales report of that day in Stockholm counts it."""
        if self._by_number(number) is None or store not in self.stores:
            raise Refused(400, f"no article {number} at store {store}")
        day = (when or self.now()).astimezone(p.TIMEZONE).date()
        self.set_stock(number, store, self.stock(number, store) - quantity)
        key = (day, number, store)
        self.sales[key] = self.sales.get(key, Decimal(0)) + quantity

    def sales_report(self, params: Mapping[str, str]) -> dict[str, Any]:
        try:
            start, stop = date.fromisoformat(params[p.SALES_START]), date.fromisoformat(params[p.SALES_STOP])
        except (KeyError, ValueError):
            raise Refused(400, "startDate and stopDate are required, as YYYY-MM-DD") from None
        summed: dict[tuple[str, int], Decimal] = {}
        for (day, number, store), quantity in self.sales.items():
            if start <= day <= stop:
                summed[(number, store)] = summed.get((number, store), Decimal(0)) + quantity
        rows = [{p.SALES_ARTICLE: n, p.SALES_STORE: str(s), p.SALES_QUANTITY: int(q) if q == int(q) else float(q)}
                for (n, s), q in sorted(summed.items())]  # fmt: skip
        return self._page(rows, params)

    # ---- pages ----------------------------------------------------------------------------

    def _page(self, items: list[dict[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
        try:
            size = min(int(params.get(p.PAGE_SIZE_PARAM, 50)), self.page_cap)
            number = int(params.get(p.PAGE_PARAM, 1))
        except ValueError:
            raise Refused(400, "itemsPerPage and pageNumber must be numbers") from None
        if size < 1 or number < 1:
            raise Refused(400, "itemsPerPage and pageNumber start at 1")
        pages = max(-(-len(items) // size), 1)
        return {p.META: {p.META_PAGE: number, p.META_PAGES: pages, p.META_TOTAL: len(items)},
                p.ITEMS: items[(number - 1) * size: number * size]}  # fmt: skip
