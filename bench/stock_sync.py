"""Stock of 10,000 SKUs at 2 locations from an ERP's CSV export into the Shopify sandbox.

The shop starts in step with the export and Tillsync has synced it once (its first run reads the
whole shop and records what it holds). Then 10% of the SKUs change at both locations, and the sync
runs several ways on the same sandbox, each starting with a full bucket:

- reading everything, as Tillsync did before: a plan that reads every level page by page (25 SKUs a
  request), then the same writes as Tillsync's; the shop is then put back as it was;
- record by record (`bench.per_record`): one read and one write per changed SKU; put back again;
- Tillsync: `apply` of a flow with `reconcile: 1d`, which reads the shop only for the SKUs whose
  export changed since the last apply (one bulk operation, as they are more than 250) and writes
  the changes in batches of as many quantities as Shopify takes;
- no-op: `apply` again, nothing having changed;
- reconciliation: a level changed in the shop by hand (outside Tillsync), then `apply --full`,
  which reads the whole shop as one bulk operation, finds it and puts it back.

The sandbox and the client share a virtual clock (`bench.clock`): waits for the bucket to refill
and for bulk operations to finish (as `connectors.shopify.sandbox.bulk` models them) are skipped
and added to the clock, so the figures are the wall time a real store on the chosen plan would
take, while the run takes minutes.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import Figures, per_record, shopify
from bench.clock import VirtualClock
from connectors.shopify.client import ShopifyClient
from connectors.shopify.cost import PLANS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.bulk import SHOPIFY
from connectors.shopify.session import MAX_QUANTITIES
from connectors.testing.server import serving
from engine.plan.model import WRITES, FlowPlan
from engine.records import Entity, StockLevel
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.runner import Selected, state_store, sync_flow
from engine.run.systems import Systems
from engine.run.workspace import Workspace
from engine.state import StateStore

SKUS = 10_000
CHANGED = 0.10
LOCATIONS = {"1": "warehouse", "2": "store-amsterdam"}
PLAN = PLANS["standard"]
PLANTED = 7  # the shop's own change the reconciliation must find: this many more of the first SKU


FLOWS = """\
  stock:
    entity: stock
    from: erp
    to: shop
    reconcile: 1d
    settings:
      stock_formula: max(on_hand - reserved, 0)
      location_map: {"1": warehouse, "2": store-amsterdam}
"""

Stock = dict[tuple[str, str], tuple[int, int]]  # (sku, ERP location) → (on hand, reserved)


def run(scale: float = 1.0) -> dict[str, Figures]:
    skus = [str(100_000 + n) for n in range(max(int(SKUS * scale), 10))]
    chance = random.Random(8)
    before: Stock = {(sku, loc): (chance.randint(0, 40), chance.randint(0, 3)) for sku in skus for loc in LOCATIONS}
    changed = set(chance.sample(skus, max(int(len(skus) * CHANGED), 1)))
    after: Stock = {
        (sku, loc): (on_hand + chance.randint(1, 9), reserved) if sku in changed else (on_hand, reserved)
        for (sku, loc), (on_hand, reserved) in before.items()
    }
    with tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder, _Bench.set_up(Path(folder), before) as bench:
        bench.sync()  # the first sync reads the whole shop: Tillsync's state now holds what the shop has
        _write_export(bench.root, after)
        full_read = bench.measure(bench.read_everything, bulk_reads_from=len(skus))
        bench.check(after)
        bench.restore(before)
        one_by_one = bench.measure(lambda systems, _: per_record.sync(_shop(systems), before, after, LOCATIONS))
        bench.check(after)
        bench.restore(before)
        tillsync = bench.sync()
        bench.check(after)
        noop = bench.sync()
        planted = bench.plant(skus[0], after)
        reconcile = bench.sync(full=True)
        bench.check(after)
    how = "one read (StockBySku) and one inventorySetQuantities per changed SKU, found by comparing the exports"
    note = (f"{shopify.note(PLAN)}; bulk operations take the time the sandbox models ({SHOPIFY.startup_s:g} s, then "
            f"{SHOPIFY.objects_per_s:g} objects a second). Record by record: {how}. Full read: every level read "
            "page by page, 25 SKUs a request, then the same writes.")  # fmt: skip
    return {
        "stock_sync": {
            "skus": len(skus), "locations": len(LOCATIONS), "changed_skus": len(changed),
            "levels_written": tillsync.levels, "plan": PLAN.name,
            "write_calls": tillsync.write_calls, "read_calls": tillsync.read_calls,
            "bulk_operations": tillsync.bulk_operations, "bulk_calls": tillsync.bulk_calls,
            "cost_points": tillsync.points, "write_cost_points": tillsync.write_points,
            "bulk_cost_points": tillsync.bulk_points,
            "wall_s": round(tillsync.wall_s, 1), "engine_cpu_s": round(tillsync.cpu_s, 2),
            "throttled": tillsync.throttled,
            "full_read_cost_points": full_read.points, "full_read_read_calls": full_read.read_calls,
            "full_read_wall_s": round(full_read.wall_s, 1),
            "cost_vs_full_read": round(tillsync.points / max(full_read.points, 1), 4),
            "per_record_write_calls": one_by_one.write_calls, "per_record_read_calls": one_by_one.read_calls,
            "per_record_cost_points": one_by_one.points, "per_record_wall_s": round(one_by_one.wall_s, 1),
            "write_calls_ratio": round(one_by_one.write_calls / max(tillsync.write_calls, 1), 1),
            "per_record_cost_ratio": round(one_by_one.points / max(tillsync.points, 1), 1),
            "note": note,
        },
        "noop": {
            "write_calls": noop.write_calls, "read_calls": noop.read_calls + noop.bulk_calls,
            "cost_points": noop.points, "wall_s": round(noop.wall_s, 1), "engine_cpu_s": round(noop.cpu_s, 2),
        },
        "reconcile": {
            "cost_points": reconcile.points, "wall_s": round(reconcile.wall_s, 1),
            "bulk_operations": reconcile.bulk_operations, "read_calls": reconcile.read_calls + reconcile.bulk_calls,
            "write_calls": reconcile.write_calls, "levels_written": reconcile.levels,
            "found_planted_edit": reconcile.plan is not None and planted in _written(reconcile.plan),
            "engine_cpu_s": round(reconcile.cpu_s, 2),
        },
    }  # fmt: skip


def _shop(systems: Systems) -> ShopifyClient:
    client = systems.client("shop")
    assert isinstance(client, ShopifyClient)
    return client


def _written(plan: FlowPlan) -> set[tuple[str, ...]]:
    return {change.key for change in plan.changes if change.action in WRITES}


@dataclass(frozen=True)
class Run:
    write_calls: int
    read_calls: int  # queries other than a bulk operation's
    bulk_calls: int  # starting bulk operations and polling them
    bulk_operations: int
    points: int  # actual cost points charged, reads, writes and bulk operations
    write_points: int
    bulk_points: int
    levels: int  # stock levels written
    throttled: int
    wall_s: float  # on the virtual clock
    cpu_s: float  # of the engine's thread alone; the sandbox serves from its own threads
    plan: FlowPlan | None = None


Work = Callable[[Systems, StateStore], tuple[int, FlowPlan | None]]  # → (levels written, the plan made)


@dataclass
class _Bench:
    root: Path
    workspace: Workspace
    sandbox: ShopifySandbox
    url: str
    clock: VirtualClock

    @classmethod
    @contextmanager
    def set_up(cls, root: Path, stock: Stock) -> Iterator[_Bench]:
        (root / "erp").mkdir()
        _write_export(root, stock)
        clock = VirtualClock()
        sandbox = ShopifySandbox(plan=PLAN, clock=clock, bulk_timing=SHOPIFY)
        _seed(sandbox, stock)
        with serving(sandbox) as url:
            yield cls(root, shopify.workspace(root, FLOWS, root / "erp", url, sandbox.token), sandbox, url, clock)

    def sync(self, full: bool = False) -> Run:
        """One run of Tillsync's apply of the stock flow (`full`: apply --full), measured."""

        def apply(systems: Systems, store: StateStore) -> tuple[int, FlowPlan | None]:
            item = Selected(self.workspace.deployments["bench"], "stock")
            outcome = sync_flow(self.workspace, store, item, systems=systems, full=full)
            if outcome.result is None or not outcome.result.ok:
                raise RuntimeError(f"the benchmark's sync failed: {outcome.result and outcome.result.failures[:3]}")
            return outcome.result.counts["create"] + outcome.result.counts["update"], outcome.plan

        return self.measure(apply)

    def measure(self, work: Work | Callable[[Systems, StateStore], int], **settings: Any) -> Run:
        """One run of `work` on a client of its own, from a full bucket, measured."""
        shopify.refill(self.clock, PLAN)
        deployment = self.workspace.deployments["bench"]
        client, transport = shopify.client(self.sandbox, self.url, self.clock, **settings)
        systems = Systems(self.workspace, deployment, {"shop": client})
        started, cpu = self.clock(), time.thread_time()
        with state_store(self.workspace) as store:
            done = work(systems, store)
        levels, plan = done if isinstance(done, tuple) else (done, None)
        wall_s, cpu_s = self.clock() - started, time.thread_time() - cpu
        systems.close()
        return Run(
            write_calls=transport.writes.calls, read_calls=transport.reads.calls, bulk_calls=transport.bulk.calls,
            bulk_operations=transport.bulk_operations,
            points=transport.usage.actual_points, write_points=transport.writes.points,
            bulk_points=transport.bulk.points, levels=levels, throttled=transport.usage.throttled,
            wall_s=wall_s, cpu_s=cpu_s, plan=plan,
        )  # fmt: skip

    def read_everything(self, systems: Systems, store: StateStore) -> tuple[int, FlowPlan | None]:
        """As Tillsync synced before: every level read page by page, then the changes written in
        batches as apply writes them; nothing recorded, so the shop can be put back."""
        setup = FlowSetup.of(self.workspace.deployments["bench"], "stock")
        plan = plan_flow(self.workspace, setup, systems, store, full=True)
        records = [StockLevel.model_validate(c.record) for c in plan.changes if c.action in WRITES and c.record]
        client = systems.client("shop")
        for start in range(0, len(records), MAX_QUANTITIES):
            outcomes = client.write(Entity.stock, records[start : start + MAX_QUANTITIES])
            if any(outcome.error for outcome in outcomes):
                raise RuntimeError(f"the full-read sync failed: {[o.error for o in outcomes if o.error][:3]}")
        return len(records), plan

    def plant(self, sku: str, stock: Stock) -> tuple[str, str]:
        """A change made in the shop by hand, outside Tillsync: the first SKU's first level; its key."""
        shop = self.sandbox.shop
        items = {item["sku"]: item_id for item_id, item in shop.items.items()}
        loc = next(iter(LOCATIONS))
        quantity = {"inventoryItemId": items[sku], "locationId": shop.location_named(LOCATIONS[loc]),
                    "quantity": _sellable(stock[(sku, loc)]) + PLANTED, "changeFromQuantity": None}  # fmt: skip
        _, errors = shop.set_quantities({"name": "available", "reason": "correction", "quantities": [quantity]})
        if errors:
            raise RuntimeError(f"could not plant a change in the shop: {errors}")
        return (sku, LOCATIONS[loc])

    def check(self, stock: Stock) -> None:
        """Every level in the shop is what the export says can be sold."""
        wrong = [key for key, quantity in _available(self.sandbox, stock).items() if quantity != _sellable(stock[key])]
        if wrong:
            raise RuntimeError(f"the shop does not hold the exported stock for {len(wrong)} levels, e.g. {wrong[:3]}")

    def restore(self, stock: Stock) -> None:
        """Put the shop's levels back as `stock` says, directly in the sandbox (no API calls)."""
        shop = self.sandbox.shop
        items = {item["sku"]: item_id for item_id, item in shop.items.items()}
        quantities = [
            {"inventoryItemId": items[sku], "locationId": shop.location_named(LOCATIONS[loc]),
             "quantity": _sellable(levels), "changeFromQuantity": None}
            for (sku, loc), levels in stock.items()
        ]  # fmt: skip
        _, errors = shop.set_quantities({"name": "available", "reason": "correction", "quantities": quantities})
        if errors:
            raise RuntimeError(f"could not restore the sandbox's stock: {errors[:3]}")


def _sellable(levels: tuple[int, int]) -> int:
    on_hand, reserved = levels
    return max(on_hand - reserved, 0)


def _available(sandbox: ShopifySandbox, stock: Stock) -> dict[tuple[str, str], int]:
    shop = sandbox.shop
    items = {item["sku"]: item_id for item_id, item in shop.items.items()}
    return {
        (sku, loc): shop.levels[(items[sku], shop.location_named(LOCATIONS[loc]) or "")]["available"]
        for sku, loc in stock
    }


def _seed(sandbox: ShopifySandbox, stock: Stock) -> None:
    """The shop's catalogue, one variant per SKU, stocked as the export says (no API calls)."""
    shop = sandbox.shop
    locations = {loc: shop.add_location(name) for loc, name in LOCATIONS.items()}
    skus = dict.fromkeys(sku for sku, _ in stock)
    for sku in skus:
        quantities = [
            {"locationId": locations[loc], "name": "available", "quantity": _sellable(stock[(sku, loc)])}
            for loc in LOCATIONS
        ]
        variant = {"sku": sku, "price": "9.95", "inventoryQuantities": quantities,
                   "optionValues": [{"optionName": "Title", "name": "Default Title"}]}  # fmt: skip
        shop.product_set(None, {"title": f"Article {sku}", "variants": [variant]})


def _write_export(root: Path, stock: Stock) -> None:
    rows = "".join(f"{sku},{loc},{on_hand},{reserved}\n" for (sku, loc), (on_hand, reserved) in stock.items())
    (root / "erp" / "stock.csv").write_text("sku,location,on_hand,reserved\n" + rows)
