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
- A stock change whose outcome is unknown is never sent again blindly: the articles are read again
  and the till's own sales since a snapshot taken before sending taken from the sales report; the
  stock moved by exactly the change, it was booked; not moved, it was not, and the next run books
  it; anything else is in doubt. For a web order that snapshot is noted in the journal with the
  intent (`note_before_write`), so a run killed between sending and recording is settled from it
  (`settle`); one in doubt is held for a person, never sent again blindly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connectors.easycashier import convert
from connectors.easycashier import protocol as p
from connectors.easycashier.sales import Seen, Totals, days_to_read, sold_since, today, totals
from connectors.easycashier.settings import EasyCashierSettings
from connectors.easycashier.transport import Refused, Transport
from engine.connector import ReadFilter, Settlement, WriteOutcome, settled_so_far
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
        self._noted: dict[Key, Snapshot] = {}  # orders' snapshots made before writing, by key
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

    def _order_change(self, order: Order) -> tuple[int, dict[str, Decimal]]:
        """The store an order changes, and by how much per article: down for an order, up for a
        cancelled one (by the lines it was counted with)."""
        store = self._store(order.branch, "branch") if order.branch else self.settings.default_store
        sign = Decimal(1) if order.status == "cancelled" else Decimal(-1)
        change: dict[str, Decimal] = {}
        for line in order.lines:
            change[line.sku] = change.get(line.sku, Decimal(0)) + sign * line.quantity
        return store, change

    def _write_order(self, order: Order) -> WriteOutcome:
        store, change = self._order_change(order)
        lines = {sku: abs(q) for sku, q in change.items()}
        cancelled = order.status == "cancelled"
        if not lines:
            if cancelled:  # cancelled before it was ever counted: there is nothing to put back
                return WriteOutcome((order.number,), target_id=f"{store}/{order.number}",
                                    response={"booked": False, "why": "cancelled before it was counted"})  # fmt: skip
            raise RecordError(f"order {order.number} has no lines to take from the till's stock", "lines")
        articles = self._known(sorted(lines))
        # the order's number in the comment: the till's own record of the change names the order it is for
        comment = f"{self.settings.comment} {order.number}{' cancelled' if cancelled else ''}"
        sent = self._change(store, change, articles, comment, self._noted.pop((order.number,), None))
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
        self,
        store: int,
        changes: Mapping[str, Decimal],
        before: Mapping[str, Article],
        comment: str,
        snapshot: Snapshot | None = None,
    ) -> dict[str, Any]:
        """Book these signed changes at `store`: one decrease call for what goes down, one increase
        for what goes up. A lost answer is settled against `snapshot` (taken now when not given).
        Returns what was sent."""
        if snapshot is None:
            seen = self.sales_since(None)[1]  # after the articles were read: a sale in between is in both
            snapshot = Snapshot(store, {sku: convert.stock_entries(before[sku]).get(store, Decimal(0))
                                        for sku in changes}, seen)  # fmt: skip
        sent: dict[str, Any] = {}
        for call, path, sign in (("decreaseStock", p.DECREASE_PATH, -1), ("increaseStock", p.INCREASE_PATH, 1)):
            part = {sku: abs(q) for sku, q in changes.items() if q * sign > 0}
            if not part:
                continue
            body = convert.stock_change(store, part, comment)
            try:
                self.transport.call(call, "POST", path, body=body)
            except AnswerLostError as lost:
                settlement = self._settled(snapshot, {sku: sign * q for sku, q in part.items()})
                if settlement.landed is False:
                    raise RecordError(f"{lost}; {settlement.reason}, so the next run books it", "lines") from None
                if settlement.landed is None:
                    raise RecordError(f"{lost}; whether it was booked is in doubt: {settlement.reason}; check the "
                                      "till's stock before running again", "lines") from None  # fmt: skip
            sent[call] = body
        return sent

    # ---- settling a change whose outcome is unknown -----------------------------------------

    def note_before_write(self, entity: Entity, records: Sequence[Record]) -> list[Mapping[str, Any] | None]:
        """Before web orders go out: each one's store's stock of its articles, with the sales report
        as seen at that moment, journaled with the intent. A change the till cannot be asked about
        is settled from it should the run stop between sending and recording (`settle`)."""
        notes: list[Mapping[str, Any] | None] = []
        for record in records:
            if entity is not Entity.order or not isinstance(record, Order):
                notes.append(None)
                continue
            try:
                store, change = self._order_change(record)
            except RecordError:
                notes.append(None)  # the write reports it, and sends nothing
                continue
            snapshot = self._snapshot(store, sorted(change)) if change else None
            if snapshot is not None:
                self._noted[(record.number,)] = snapshot
            notes.append(snapshot.note() if snapshot is not None else None)
        return notes

    def settle(self, entity: Entity, record: Record, note: Mapping[str, Any]) -> Settlement:
        """Whether a web order's change, sent by a run that stopped before recording it, was booked."""
        if not isinstance(record, Order):
            return Settlement(None, f"EasyCashier cannot tell of {entity.value} records")
        store, change = self._order_change(record)
        try:
            snapshot = Snapshot.of_note(note)
        except (KeyError, TypeError, ValueError) as exc:
            return Settlement(None, f"the note made before sending cannot be read ({exc})")
        if snapshot.store != store:
            return Settlement(None, f"the note is of store {snapshot.store}, the order of store {store}")
        return self._settled(snapshot, change)

    def _snapshot(self, store: int, numbers: Sequence[str]) -> Snapshot:
        """The store's stock of these articles and the sales report at one moment: the report is read
        before and after the articles, again until no sale of theirs fell in between."""
        for _ in range(3):
            seen = self.sales_since(None)[1]
            stock = {sku: convert.stock_entries(a).get(store, Decimal(0)) for sku, a in self._known(numbers).items()}
            after = self.sales_since(None)[1]
            keys = [(sku, store) for sku in numbers]
            if after.day == seen.day and all(after.totals.get(k) == seen.totals.get(k) for k in keys):
                return Snapshot(store, stock, Seen(seen.day, {k: seen.totals[k] for k in keys if k in seen.totals}))
        raise RecordError(f"the till kept selling {', '.join(numbers)} at store {store} while its stock was read; "
                          "the next run tries again", "lines")  # fmt: skip

    def _settled(self, snapshot: Snapshot, change: Mapping[str, Decimal]) -> Settlement:
        """Whether `change` was booked since `snapshot`: the stock now against the stock then less
        what the till sold in between (the sales report)."""
        store = snapshot.store
        sold = self.sales_since(snapshot.seen)[0]
        now = {str(a[p.ARTICLE_NUMBER]): a for a in self.articles(sorted(change))}
        moved = {}  # how far each article's stock moved besides the till's sales
        for sku in change:
            was = snapshot.stock.get(sku, Decimal(0)) - sold.get((sku, store), Decimal(0))
            moved[sku] = convert.stock_entries(now.get(sku, {})).get(store, Decimal(0)) - was
        if moved == dict(change):
            return Settlement(True, f"the stock at store {store} moved by exactly the change, besides the till's sales")
        if not any(moved.values()):
            return Settlement(False, f"the stock at store {store} did not move besides the till's sales")
        shown = ", ".join(f"{sku} by {q:+}" for sku, q in sorted(moved.items()))
        wanted = ", ".join(f"{sku} by {q:+}" for sku, q in sorted(change.items()))
        return Settlement(None, f"besides the till's sales the stock at store {store} moved {shown}, where the "
                                f"change was {wanted}: something else changed it meanwhile (goods received, a "
                                "count)")  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    """A store's stock of some articles, and the sales report as seen at that moment."""

    store: int
    stock: Mapping[str, Decimal]
    seen: Seen

    def note(self) -> dict[str, Any]:
        sold = {sku: str(q) for (sku, store), q in self.seen.totals.items() if store == self.store}
        stock = {sku: str(q) for sku, q in self.stock.items()}
        return {"store": self.store, "stock": stock, "day": self.seen.day.isoformat(), "sold": sold}

    @classmethod
    def of_note(cls, note: Mapping[str, Any]) -> Snapshot:
        store = int(note["store"])
        stock = {str(sku): Decimal(str(q)) for sku, q in note["stock"].items()}
        sold = {(str(sku), store): Decimal(str(q)) for sku, q in note["sold"].items()}
        return cls(store, stock, Seen(date.fromisoformat(note["day"]), sold))
