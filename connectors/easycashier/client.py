"""The EasyCashier client: canonical records read from and written to one company's Back Office.

- Products are articles, one per SKU, matched on the article number; an update GETs the article
  and PUTs the whole of it back with the product's values laid over it.
- Stock is read from the articles' entries per store. It is changed only by relative increase and
  decrease calls, by the difference from what was just read, so a sale made at the till meanwhile
  is never overwritten.
- An order (a web order) lowers the stock of its store by its lines, in one decrease call; a
  cancelled order that reaches the till with its lines (the lines it was counted with, as the
  last apply recorded them) puts them back in one increase call, and one that comes without lines
  (never counted: the connector's default mapping gives a cancelled order none) changes nothing.
  EasyCashier keeps no trace of them that can be read back, so orders are not read: what Tillsync
  last applied stands for what the till holds (`EntitySupport.read` is False), and each order is
  counted once however often it is delivered.
- A stock change whose answer was lost is never sent again blindly: the articles are read again
  and the till's own sales in between taken from the sales report; the stock moved by exactly the
  change, it was booked; not moved, the record fails and the next run books it; anything else is
  in doubt, and the record fails saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.easycashier import convert
from connectors.easycashier import protocol as p
from connectors.easycashier.sales import Seen, Totals, days_to_read, sold_since, today, totals
from connectors.easycashier.settings import EasyCashierSettings
from connectors.easycashier.transport import Refused, Transport
from engine.connector import ReadFilter, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, FatalConnectorError, RecordError
from engine.keys import Key
from engine.records import Entity, Order, Product, Record, StockLevel, record_key

SEARCHED = 20  # up to this many articles are looked up one by one; more are read with the whole list
Article = dict[str, Any]


class EasyCashierClient:
    def __init__(
        self,
        settings: EasyCashierSettings,
        credentials: Mapping[str, str],
        transport: Transport | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.now = now
        self.transport = transport or Transport(
            settings.url, settings.company, credentials["username"], credentials["password"], settings.timeout
        )

    @property
    def calls(self) -> int:
        return self.transport.calls

    def close(self) -> None:
        self.transport.close()

    # ---- reading ---------------------------------------------------------------------------

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        if entity is Entity.product:
            return [convert.product_from(a) for a in self.articles([k[0] for k in keys] if keys is not None else None)]
        if entity is Entity.stock:
            return self._read_stock(keys)
        if entity is Entity.order:
            return []  # the till keeps no readable trace of them: see the module's docstring
        raise FatalConnectorError(f"the easycashier connector cannot read {entity.value} records")

    def articles(self, numbers: Sequence[str] | None = None) -> list[Article]:
        """Articles by number (those the Back Office has), or every article."""
        params = {p.SORT_PARAM: p.ARTICLE_SORT, p.SORT_DIRECTION_PARAM: "asc"}
        if numbers is not None and len(numbers) <= SEARCHED:
            found: dict[str, Article] = {}
            for wanted in dict.fromkeys(numbers):
                for article in self.transport.pages("getArticles", p.ARTICLES_PATH, {**params, p.SEARCH_PARAM: wanted}):
                    if str(article.get(p.ARTICLE_NUMBER)) == wanted:  # the search matches descriptions too
                        found[wanted] = article
            return list(found.values())
        every = list(self.transport.pages("getArticles", p.ARTICLES_PATH, params))
        if numbers is None:
            return every
        chosen = set(numbers)
        return [a for a in every if str(a.get(p.ARTICLE_NUMBER)) in chosen]

    def _read_stock(self, keys: Sequence[Key] | None) -> list[Record]:
        wanted = set(keys) if keys is not None else None
        articles = self.articles(sorted({k[0] for k in wanted}) if wanted is not None else None)
        found: list[Record] = []
        for article in articles:
            if not article.get(p.STOCK_ITEM, True):
                continue  # not stock-tracked: nothing to keep in step
            if self.settings.webshop_only and not article.get(p.WEBSHOP):
                continue
            for store in self.settings.stores:
                level = convert.stock_from(article, store)
                if wanted is None or (level.sku, level.location) in wanted:
                    found.append(level)
        return found

    def sales_since(self, seen: Seen | None) -> tuple[Totals, Seen]:
        """What the till sold (negative: took back) per article and store since `seen`, and what is
        seen now; a first look (`seen` None) only sees."""
        reports = {}
        for day in days_to_read(seen, today(self.now())):
            stamp = day.isoformat()
            rows = self.transport.pages("getSalesReport", p.SALES_PATH, {p.SALES_START: stamp, p.SALES_STOP: stamp})
            try:
                reports[day] = totals(rows)
            except (ValueError, KeyError) as exc:
                raise FatalConnectorError(f"EasyCashier's sales report cannot be read: {exc}") from None
        return sold_since(seen, reports)

    # ---- writing ---------------------------------------------------------------------------

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        writers: dict[Entity, Callable[[Any], WriteOutcome]] = {
            Entity.product: self._write_product,
            Entity.stock: self._write_stock,
            Entity.order: self._write_order,
        }
        if entity not in writers:
            raise FatalConnectorError(f"the easycashier connector cannot write {entity.value} records")
        outcomes: list[WriteOutcome] = []
        with settled_so_far(outcomes):  # one record at a time: a run stopped midway keeps what it wrote
            for record in records:
                try:
                    outcomes.append(writers[entity](record))
                except (RecordError, Refused) as exc:
                    reason = exc.reason if isinstance(exc, Refused) else str(exc)
                    outcomes.append(WriteOutcome(record_key(entity, record), error=f"EasyCashier: {reason}"))
        return outcomes

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        raise FatalConnectorError("the easycashier connector does not delete records")

    def _write_product(self, product: Product) -> WriteOutcome:
        existing: Article | None = next(iter(self.articles([product.sku])), None)
        article = convert.article_to(product, existing)
        if existing is not None:
            path = p.ARTICLE_PATH.format(id=existing[p.ARTICLE_ID])
            self.transport.call("updateArticle", "PUT", path, body=article)
            made = existing
        else:
            try:
                made = self.transport.call("createArticle", "POST", p.ARTICLES_PATH, body=article) or {}
            except AnswerLostError as lost:
                found = self.articles([product.sku])
                if not found:
                    raise RecordError(f"{lost}; EasyCashier has no article {product.sku}, so the next run makes it",
                                      "sku") from None  # fmt: skip
                made = found[0]
        made_id = made.get(p.ARTICLE_ID)
        response = {"id": made_id, "created": existing is None}
        return WriteOutcome((product.sku,), target_id=str(made_id or product.sku), response=response, sent=article)

    def _write_stock(self, level: StockLevel) -> WriteOutcome:
        if level.on_hand is None:
            raise RecordError(
                f"stock of {level.sku} at store {level.location} has no on-hand quantity to set", "on_hand"
            )
        store = self._store(level.location, "location")
        article = self._known([level.sku])[level.sku]
        current = convert.stock_entries(article).get(store, Decimal(0))
        change = level.on_hand - current
        sent = self._change(store, {level.sku: change}, {level.sku: article}, self.settings.comment) if change else None
        return WriteOutcome((level.sku, level.location), target_id=f"{store}/{level.sku}",
                            response={"before": str(current), "change": str(change)}, sent=sent)  # fmt: skip

    def _write_order(self, order: Order) -> WriteOutcome:
        store = self._store(order.branch, "branch") if order.branch else self.settings.default_store
        lines: dict[str, Decimal] = {}
        for line in order.lines:
            lines[line.sku] = lines.get(line.sku, Decimal(0)) + line.quantity
        cancelled = order.status == "cancelled"
        if not lines:
            if cancelled:  # cancelled before it was ever counted: there is nothing to put back
                return WriteOutcome((order.number,), target_id=f"{store}/{order.number}",
                                    response={"booked": False, "why": "cancelled before it was counted"})  # fmt: skip
            raise RecordError(f"order {order.number} has no lines to take from the till's stock", "lines")
        articles = self._known(sorted(lines))
        sign = Decimal(1) if cancelled else Decimal(-1)
        # the order's number in the comment: the till's own record of the change names the order it is for
        comment = f"{self.settings.comment} {order.number}{' cancelled' if cancelled else ''}"
        sent = self._change(store, {sku: sign * q for sku, q in lines.items()}, articles, comment)
        return WriteOutcome((order.number,), target_id=f"{store}/{order.number}",
                            response={"booked": True, "store": store, "returned" if cancelled else "taken": {
                                sku: str(q) for sku, q in lines.items()}}, sent=sent)  # fmt: skip

    # ---- stock changes ---------------------------------------------------------------------

    def _store(self, location: str | None, field: str) -> int:
        store = convert.store_number(location or "", field)
        if store not in self.settings.stores:
            stores = ", ".join(map(str, self.settings.stores))
            raise RecordError(f"store {store} is not one of this system's stores ({stores})", field)
        return store

    def _known(self, numbers: Sequence[str]) -> dict[str, Article]:
        """These articles as the Back Office has them; one it does not is the record's error, before any change."""
        found = {str(a[p.ARTICLE_NUMBER]): a for a in self.articles(numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise RecordError(f"EasyCashier has no article {', '.join(missing)}; nothing was changed", "sku")
        return found

    def _change(
        self, store: int, changes: Mapping[str, Decimal], before: Mapping[str, Article], comment: str
    ) -> dict[str, Any]:
        """Book these signed changes at `store`: one decrease call for what goes down, one increase
        for what goes up. Returns what was sent."""
        seen = self.sales_since(None)[1]  # after the articles were read: a sale in between is in both
        sent: dict[str, Any] = {}
        for call, path, sign in (("decreaseStock", p.DECREASE_PATH, -1), ("increaseStock", p.INCREASE_PATH, 1)):
            part = {sku: abs(q) for sku, q in changes.items() if q * sign > 0}
            if not part:
                continue
            body = convert.stock_change(store, part, comment)
            try:
                self.transport.call(call, "POST", path, body=body)
            except AnswerLostError as lost:
                self._settle(store, {sku: sign * q for sku, q in part.items()}, before, seen, lost)
            sent[call] = body
        return sent

    def _settle(
        self,
        store: int,
        change: Mapping[str, Decimal],
        before: Mapping[str, Article],
        seen: Seen,
        lost: AnswerLostError,
    ) -> None:
        """Whether a change whose answer was lost was booked: the stock now, against the stock before
        less what the till sold in between."""
        sold = self.sales_since(seen)[0]
        now = {str(a[p.ARTICLE_NUMBER]): a for a in self.articles(sorted(change))}
        moved = {}  # how far each article's stock moved besides the till's sales
        for sku in change:
            was = convert.stock_entries(before[sku]).get(store, Decimal(0)) - sold.get((sku, store), Decimal(0))
            moved[sku] = convert.stock_entries(now.get(sku, {})).get(store, Decimal(0)) - was
        if moved == dict(change):
            return  # booked
        if not any(moved.values()):
            raise RecordError(f"{lost}; EasyCashier shows no such stock change, so the next run books it", "lines")
        raise RecordError(f"{lost}; the stock at store {store} moved otherwise meanwhile, so whether it was booked is "
                          "in doubt: check the till's stock before running again", "lines")  # fmt: skip
