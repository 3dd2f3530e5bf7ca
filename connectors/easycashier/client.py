"""The EasyCashier client: canonical records read from and written to one company's Back Office.

- Products are articles, one per SKU, matched on the article number; an update GETs the article
  and PUTs the whole of it back with the product's values laid over it.
- Stock is read from the articles' entries per store. It is changed only by relative increase and
  decrease calls, by the difference from what was just read, so a sale made at the till meanwhile
  is never overwritten.
- An order (a web order) lowers the stock of its store by its lines, in one decrease call per
  store (a line names its own store where Shopify ships the order from several locations); a
  cancelled order that reaches the till with its lines (the lines it was counted with, as the
  last apply recorded them) puts them back in one increase call, and one that comes without lines
  (never counted: the connector's default mapping gives a cancelled order none) changes nothing.
  EasyCashier keeps no trace of them that can be read back, so orders are not read: what Tillsync
  last applied stands for what the till holds (`EntitySupport.read` is False), and each order is
  counted once however often it is delivered.
- A stock change whose outcome is unknown is never sent again blindly: the articles are read again
  and the till's own sales since a snapshot taken before sending taken from the sales report
  (`snapshot`); the stock moved by exactly the change, it was booked; not moved, it was not, and it
  is sent once more; anything else is in doubt. For a web order that snapshot is noted in the
  journal with the intent (`note_before_write`), so a run killed between sending and recording is
  settled from it (`settle`); a web order in doubt is held for a person (`WriteOutcome.held`),
  never sent again blindly, and so is one booked at one store and not at another.
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
from connectors.easycashier.snapshot import Snapshot, note_of, settled, snapshots_of, together
from connectors.easycashier.transport import Refused, Transport
from engine.connector import ReadFilter, Settlement, WriteOutcome, settled_so_far
from engine.errors import AnswerLostError, ConnectorError, FatalConnectorError, RecordError
from engine.keys import Key
from engine.records import Entity, Order, Product, Record, StockLevel, record_key

SEARCHED = 20  # up to this many articles are looked up one by one; more are read with the whole list
RESENDS = 1  # times a change whose answer was lost, and which the stock shows was not booked, is sent again
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
        self._noted: dict[Key, dict[int, Snapshot]] = {}  # orders' snapshots made before writing, by key and store
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
        sent = None
        if change:
            seen = self.sales_since(None)[1]  # after the article was read: a sale in between is in both
            try:
                sent = self._change(Snapshot(store, {level.sku: current}, seen), {level.sku: change},
                                    self.settings.comment)  # fmt: skip
            except InDoubt as doubt:  # the next run reads the stock afresh and changes it by the difference
                raise RecordError(f"{doubt}; the next run reads the stock again", "on_hand") from None
        return WriteOutcome((level.sku, level.location), target_id=f"{store}/{level.sku}",
                            response={"before": str(current), "change": str(change)}, sent=sent)  # fmt: skip

    def _order_changes(self, order: Order) -> dict[int, dict[str, Decimal]]:
        """The stores an order changes, and by how much per article at each: down for an order, up for
        a cancelled one (by the lines it was counted with). A line goes to the store of its own
        location (the location Shopify ships it from), else to the order's store (`branch`), else to
        `order_store`."""
        default = self._store(order.branch, "branch") if order.branch else self.settings.default_store
        sign = Decimal(1) if order.status == "cancelled" else Decimal(-1)
        changes: dict[int, dict[str, Decimal]] = {}
        for line in order.lines:
            change = changes.setdefault(self._store(line.location, "lines") if line.location else default, {})
            change[line.sku] = change.get(line.sku, Decimal(0)) + sign * line.quantity
        return changes

    def _write_order(self, order: Order) -> WriteOutcome:
        key = (order.number,)
        changes = self._order_changes(order)
        cancelled = order.status == "cancelled"
        if not changes:
            if cancelled:  # cancelled before it was ever counted: there is nothing to put back
                return WriteOutcome(key, target_id=order.number,
                                    response={"booked": False, "why": "cancelled before it was counted"})  # fmt: skip
            raise RecordError(f"order {order.number} has no lines to take from the till's stock", "lines")
        snapshots = self._noted.pop(key, None) or self._snapshots(changes)
        # the order's number in the comment: the till's own record of the change names the order it is for
        comment = f"{self.settings.comment} {order.number}{' cancelled' if cancelled else ''}"
        sent: dict[str, Any] = {}
        booked: list[int] = []
        for store in sorted(changes):
            try:
                sent[str(store)] = self._change(snapshots[store], changes[store], comment)
            except InDoubt as doubt:
                return WriteOutcome(key, error=f"EasyCashier: {doubt}{_besides(booked)}", held=True, sent=sent)
            except (RecordError, Refused, ConnectorError) as exc:
                if not booked:
                    raise
                # booked at one store and not at another: sending the whole order again would count it twice there
                reason = exc.reason if isinstance(exc, Refused) else str(exc)
                return WriteOutcome(key, error=f"EasyCashier: at store {store}: {reason}{_besides(booked)}",
                                    held=True, sent=sent)  # fmt: skip
            booked.append(store)
        counted = {str(store): {sku: str(abs(q)) for sku, q in change.items()} for store, change in changes.items()}
        response = {"booked": True, "returned" if cancelled else "taken": counted}
        return WriteOutcome(key, target_id=f"{'+'.join(map(str, sorted(changes)))}/{order.number}", response=response,
                            sent=sent)  # fmt: skip

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

    def _change(self, snapshot: Snapshot, changes: Mapping[str, Decimal], comment: str) -> dict[str, Any]:
        """Book these signed changes at the snapshot's store: one decrease call for what goes down,
        one increase for what goes up, each settled against `snapshot` should its answer be lost
        (`_send`). Returns what was sent."""
        sent: dict[str, Any] = {}
        for call, path, sign in (("decreaseStock", p.DECREASE_PATH, -1), ("increaseStock", p.INCREASE_PATH, 1)):
            part = {sku: abs(q) for sku, q in changes.items() if q * sign > 0}
            if part:
                body = convert.stock_change(snapshot.store, part, comment)
                self._send(call, path, body, snapshot, {sku: sign * q for sku, q in part.items()})
                sent[call] = body
        return sent

    def _send(self, call: str, path: str, body: Any, snapshot: Snapshot, signed: Mapping[str, Decimal]) -> None:
        """One stock change; one whose answer is lost is settled against `snapshot`: booked, it is
        done; not booked, it is sent once more (up to `RESENDS` times), else the record's error for
        the next run; in doubt, or when the stock cannot be read to tell, `InDoubt`."""
        for attempt in range(RESENDS + 1):
            try:
                self.transport.call(call, "POST", path, body=body)
                return
            except AnswerLostError as lost:
                try:
                    settlement = self._settled(snapshot, signed)
                except ConnectorError as unread:  # what cannot be looked at cannot be told either
                    raise InDoubt(f"{lost}; reading the stock to tell whether it was booked failed: {unread}") from None
                if settlement.landed:
                    return
                if settlement.landed is None:
                    raise InDoubt(f"{lost}; whether it was booked cannot be told: {settlement.reason}") from None
                if attempt == RESENDS:
                    raise RecordError(f"{lost}; {settlement.reason}, so the next run books it", "lines") from None

    # ---- settling a change whose outcome is unknown -----------------------------------------

    def note_before_write(self, entity: Entity, records: Sequence[Record]) -> list[Mapping[str, Any] | None]:
        """Before web orders go out: the stock of its articles at each store an order changes, with
        the sales report as seen at that moment, journaled with the intent. A change the till cannot
        be asked about is settled from it should the run stop between sending and recording
        (`settle`), or its answer be lost."""
        notes: list[Mapping[str, Any] | None] = []
        for record in records:
            snapshots = self._snapshots_of(record) if entity is Entity.order and isinstance(record, Order) else None
            notes.append(note_of(snapshots) if snapshots is not None else None)
        return notes

    def _snapshots_of(self, order: Order) -> dict[int, Snapshot] | None:
        """The snapshots an order's write will be settled by, kept for that write; None when it changes
        nothing or cannot be sent (the write reports why, and sends nothing)."""
        try:
            changes = self._order_changes(order)
            snapshots = self._snapshots(changes) if changes else None
        except RecordError:
            return None
        if snapshots is not None:
            self._noted[(order.number,)] = snapshots
        return snapshots

    def settle(self, entity: Entity, record: Record, note: Mapping[str, Any]) -> Settlement:
        """Whether a web order's changes, sent by a run that stopped before recording them, were booked."""
        if not isinstance(record, Order):
            return Settlement(None, f"EasyCashier cannot tell of {entity.value} records")
        changes = self._order_changes(record)
        try:
            snapshots = snapshots_of(note)
        except (KeyError, TypeError, ValueError) as exc:
            return Settlement(None, f"the note made before sending cannot be read ({exc})")
        if set(snapshots) != set(changes):
            return Settlement(None, f"the note is of store {', '.join(map(str, sorted(snapshots)))}, the order of "
                                    f"store {', '.join(map(str, sorted(changes)))}")  # fmt: skip
        return together({store: self._settled(snapshots[store], changes[store]) for store in changes})

    def _snapshots(self, changes: Mapping[int, Mapping[str, Decimal]]) -> dict[int, Snapshot]:
        """Each store's stock of the articles it changes and the sales report at one moment: the
        report is read before and after the articles, again until no sale of theirs fell in between."""
        numbers = sorted({sku for change in changes.values() for sku in change})
        keys = [(sku, store) for store, change in changes.items() for sku in change]
        for _ in range(3):
            seen = self.sales_since(None)[1]
            articles = self._known(numbers)
            after = self.sales_since(None)[1]
            if after.day == seen.day and all(after.totals.get(k) == seen.totals.get(k) for k in keys):
                return {store: Snapshot(store, {sku: convert.stock_entries(articles[sku]).get(store, Decimal(0))
                                                for sku in change},
                                        Seen(seen.day, {k: seen.totals[k] for k in keys
                                                        if k[1] == store and k in seen.totals}))
                        for store, change in changes.items()}  # fmt: skip
        raise RecordError(f"the till kept selling {', '.join(numbers)} while its stock was read; the next run "
                          "tries again", "lines")  # fmt: skip

    def _settled(self, snapshot: Snapshot, change: Mapping[str, Decimal]) -> Settlement:
        """Whether `change` was booked since `snapshot`, from the stock now and the till's sales since."""
        sold = self.sales_since(snapshot.seen)[0]
        now = {str(a[p.ARTICLE_NUMBER]): a for a in self.articles(sorted(change))}
        stock = {sku: convert.stock_entries(now.get(sku, {})).get(snapshot.store, Decimal(0)) for sku in change}
        return settled(snapshot, sold, stock, change)


class InDoubt(Exception):
    """A change whose answer was lost, and which its snapshot cannot tell booked or not."""


def _besides(booked: Sequence[int]) -> str:
    """What a held order's dead letter adds about the stores where its change was booked."""
    if not booked:
        return ""
    return f"; its change at store {', '.join(map(str, booked))} was booked"
