"""Stock of 10,000 SKUs at 2 locations from an ERP's CSV export into the Shopify sandbox.

The shop starts in step with the export and Tillsync has synced it once (its state holds what it
applied). Then 10% of the SKUs change at both locations, and the same sync runs three ways on the
same sandbox, each starting with a full bucket:

- record by record: the same plan (the same reads), then one `inventorySetQuantities` per SKU, the
  way integrations are usually written; the shop is then put back as it was;
- Tillsync: `apply`, which writes the changes in batches of as many quantities as Shopify takes;
- no-op: `apply` again, nothing having changed.

The sandbox and the client share a virtual clock (`bench.clock`): waits for the bucket to refill
are skipped and added to the clock, so the figures are the wall time a real store on the chosen
plan would take, while the run takes minutes.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import Figures, shopify
from bench.clock import VirtualClock
from connectors.shopify.cost import PLANS
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import serving
from engine.plan.model import WRITES
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


FLOWS = """\
  stock:
    entity: stock
    from: erp
    to: shop
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
        bench.sync()  # the first sync: Tillsync's state now holds what the shop has
        _write_export(bench.root, after)
        one_by_one = bench.sync(one_call_per_sku=True)
        bench.check(after)
        bench.restore(before)
        tillsync = bench.sync()
        bench.check(after)
        noop = bench.sync()
    floor_s = tillsync.points / PLAN.restore_rate
    how = "the same plan and reads, then one inventorySetQuantities per changed SKU"
    note = f"{shopify.note(PLAN)}. Record by record: {how}."
    return {
        "stock_sync": {
            "skus": len(skus), "locations": len(LOCATIONS), "changed_skus": len(changed),
            "levels_written": tillsync.levels, "plan": PLAN.name,
            "write_calls": tillsync.write_calls, "read_calls": tillsync.read_calls,
            "cost_points": tillsync.points, "write_cost_points": tillsync.write_points,
            "wall_s": round(tillsync.wall_s, 1), "floor_s": round(floor_s, 1),
            "wall_vs_floor": round(tillsync.wall_s / floor_s, 3),
            "throttled": tillsync.throttled, "engine_cpu_s": round(tillsync.cpu_s, 2),
            "per_record_write_calls": one_by_one.write_calls, "per_record_cost_points": one_by_one.points,
            "per_record_wall_s": round(one_by_one.wall_s, 1),
            "write_calls_ratio": round(one_by_one.write_calls / max(tillsync.write_calls, 1), 1),
            "note": note,
        },
        "noop": {
            "write_calls": noop.write_calls, "read_calls": noop.read_calls, "read_cost_points": noop.points,
            "wall_s": round(noop.wall_s, 1), "engine_cpu_s": round(noop.cpu_s, 2),
        },
    }  # fmt: skip


@dataclass(frozen=True)
class Run:
    write_calls: int
    read_calls: int
    points: int  # actual cost points charged, reads and writes
    write_points: int
    levels: int  # stock levels written
    throttled: int
    wall_s: float  # on the virtual clock
    cpu_s: float  # of the engine's thread alone; the sandbox serves from its own threads


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
        sandbox = ShopifySandbox(plan=PLAN, clock=clock)
        _seed(sandbox, stock)
        with serving(sandbox) as url:
            yield cls(root, shopify.workspace(root, FLOWS, root / "erp", url, sandbox.token), sandbox, url, clock)

    def sync(self, one_call_per_sku: bool = False) -> Run:
        """One run of the stock flow from a full bucket, measured."""
        shopify.refill(self.clock, PLAN)
        deployment = self.workspace.deployments["bench"]
        setup = FlowSetup.of(deployment, "stock")
        client, transport = shopify.client(self.sandbox, self.url, self.clock)
        systems = Systems(self.workspace, deployment, {"shop": client})
        started, cpu = self.clock(), time.thread_time()
        with state_store(self.workspace) as store:
            if one_call_per_sku:
                levels = self._per_sku(setup, systems, store)
            else:
                result = sync_flow(self.workspace, store, Selected(deployment, "stock"), systems=systems).result
                if result is None or not result.ok:
                    raise RuntimeError(f"the benchmark's sync failed: {result and result.failures[:3]}")
                levels = result.counts["create"] + result.counts["update"]
        wall_s, cpu_s = self.clock() - started, time.thread_time() - cpu
        systems.close()
        return Run(
            write_calls=transport.writes.calls, read_calls=transport.reads.calls,
            points=transport.usage.actual_points, write_points=transport.writes.points, levels=levels,
            throttled=transport.usage.throttled, wall_s=wall_s, cpu_s=cpu_s,
        )  # fmt: skip

    def _per_sku(self, setup: FlowSetup, systems: Systems, store: StateStore) -> int:
        plan = plan_flow(self.workspace, setup, systems, store)
        by_sku: dict[str, list[StockLevel]] = {}
        for change in plan.changes:
            if change.action in WRITES and change.record is not None:
                record = StockLevel.model_validate(change.record)
                by_sku.setdefault(record.sku, []).append(record)
        client = systems.client("shop")
        for records in by_sku.values():
            outcomes = client.write(Entity.stock, records)
            if any(outcome.error for outcome in outcomes):
                raise RuntimeError(f"the record-by-record sync failed: {[o.error for o in outcomes if o.error]}")
        return sum(len(records) for records in by_sku.values())

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
