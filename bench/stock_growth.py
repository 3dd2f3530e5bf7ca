"""How planning stock grows: plans of 10,000, 100,000 and 1,000,000 levels (SKUs × 10 locations).

Each size is its own repository, set up as `bench.plan_100k`'s is: an ERP's CSV export of stock
(`sku, location, on_hand, reserved`, one row a level) as the source and a folder of JSON Lines
as the target, both the real `files` connector, the state in SQLite. The flow sends what can be
sold (`max(on_hand - reserved, 0)`) with the ERP's ten locations mapped onto the shop's.

The integration has been running: the real first sync (`bench.planning.first_sync`), then a day's
changes: 5% of the levels sold from in the ERP, 1% of the SKUs new (their ten levels with them) and
0.5% of the levels edited in the shop. The measured plan is that steady-state plan, the one made
every few minutes, each size in a fresh process: it reads all three inputs and builds, maps and
diffs only what its fingerprints say may have changed. Its CPU per level at 1M against that at
100k says whether planning grows with the levels or faster (a per-key cost that is not constant:
a sort, a dictionary outgrowing the caches, the state store's queries). `cold_*` is the same plan
after an edit to the flow (its stock formula written otherwise), when nothing remembered holds and
every level is built.
`floor_*` reads and parses the same inputs without building a record (`bench.planning`). Every size
is set up before any is measured; then the sizes' plans are measured in turn, each next to its
floor, `RUNS` times, and the fastest of each kept: CPU per level is compared across sizes, and on a
shared machine whose speed wanders, sizes measured minutes apart would compare the machine.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench import Figures
from bench.planning import edit_spec, first_sync, measured_in_turn, repository

INTEGRATION, FLOW = "erp-shop-stock", "stock"
LEVELS = (10_000, 100_000, 1_000_000)
LOCATIONS = 10
CHANGED, NEW, EDITED = 0.05, 0.01, 0.005  # of the levels, of the SKUs, of the levels
FIRST_SKU = 10_000_000
SOURCE_FILE, TARGET_FILE = "erp/stock.csv", "shop/stock.jsonl"
SIZE_NAMES = {10_000: "10k", 100_000: "100k", 1_000_000: "1m"}
RUNS = 3  # each size's steady-state plan measured three times, the sizes in turn: the fastest of each taken

SPEC = f"""\
version: 1
name: {INTEGRATION}
systems:
  erp: {{connector: files, settings: {{path: erp, format: csv}}}}
  shop: {{connector: files, settings: {{path: shop, format: jsonl}}}}
flows:
  {FLOW}:
    entity: stock
    from: erp
    to: shop
    master: erp
    settings:
      stock_formula: max(on_hand - reserved, 0)
      location_map:
{"".join(f'        "{n}": store-{n:02d}{chr(10)}' for n in range(1, LOCATIONS + 1))}"""

Level = tuple[int, int]  # (SKU number, ERP location)


def run(scale: float = 1.0) -> dict[str, Figures]:
    runs = max(int(RUNS * scale), 1)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder:
        sizes: dict[str, tuple[Path, dict[str, int]]] = {}
        for levels in LEVELS:  # every size set up first, so that their plans meet the machine alike
            name, root = SIZE_NAMES[levels], Path(folder) / SIZE_NAMES[levels]
            root.mkdir()
            started = time.perf_counter()
            sizes[name] = root, _set_up_in_a_fresh_process(root, max(int(levels * scale) // LOCATIONS, 2))
            figures[f"set_up_s_{name}"] = round(time.perf_counter() - started, 1)
        warm = measured_in_turn(sizes, INTEGRATION, FLOW, (SOURCE_FILE, TARGET_FILE), runs)
        for root, _ in sizes.values():
            edit_spec(root, INTEGRATION, "max(on_hand - reserved, 0)", "max((on_hand - reserved), 0)")
        cold = measured_in_turn(sizes, INTEGRATION, FLOW, (SOURCE_FILE, TARGET_FILE), 1)
    for name, (plan, floor) in warm.items():
        figures.update(_figures(name, plan, floor, cold[name][0]))
    per_level = figures["cpu_per_level_us_1m"], figures["cpu_per_level_us_100k"]
    figures["cpu_per_level_1m_vs_100k"] = round(per_level[0] / per_level[1], 2)
    cold_per_level = figures["cold_cpu_per_level_us_1m"], figures["cold_cpu_per_level_us_100k"]
    figures["cold_cpu_per_level_1m_vs_100k"] = round(cold_per_level[0] / cold_per_level[1], 2)
    figures["runs"] = runs
    figures["note"] = (
        f"plan_flow of a stock flow (files CSV export → files JSON Lines, SQLite state) at {LOCATIONS} locations, "
        "each size set up by a real first sync and then changed (5% of the levels in the ERP, 1% new SKUs, 0.5% "
        "of the levels in the shop), and planned in a fresh process: the steady-state plan, which builds only what "
        "its fingerprints say may have changed. runs: the sizes' plans measured in turn this many times, each with "
        "its floor, the fastest of each kept. cold_*: the same plan after an edit to the flow (its stock formula "
        "written otherwise), every level built, measured once. floor_*: reading and parsing the same export, "
        "target file and state rows without building records. cpu_per_level_us: plan CPU over the levels in the "
        "export. set_up_s: writing the data and the first sync (three plans and two applies of every level), not "
        "measured. Peak RSS includes the interpreter and imports"
    )
    return {"stock_growth": figures}


def _figures(name: str, warm: dict[str, Any], floor: dict[str, Any], cold: dict[str, Any]) -> dict[str, Any]:
    levels = floor["read"]["rows"]
    return {
        f"levels_{name}": levels,
        **{f"{action}_{name}": count for action, count in warm["changes"].items()},
        f"cpu_s_{name}": round(warm["cpu_s"], 2), f"peak_rss_mb_{name}": round(warm["peak_rss_mb"], 1),
        f"cpu_per_level_us_{name}": round(warm["cpu_s"] / levels * 1e6, 2),
        f"floor_cpu_s_{name}": round(floor["cpu_s"], 2),
        f"cpu_vs_floor_{name}": round(warm["cpu_s"] / floor["cpu_s"], 2),
        f"cold_cpu_s_{name}": round(cold["cpu_s"], 2), f"cold_peak_rss_mb_{name}": round(cold["peak_rss_mb"], 1),
        f"cold_cpu_per_level_us_{name}": round(cold["cpu_s"] / levels * 1e6, 2),
    }  # fmt: skip


def _set_up_in_a_fresh_process(root: Path, skus: int) -> dict[str, int]:
    """The set-up in a process of its own: the first sync of a million levels holds gigabytes, which
    this process would keep while the plans are measured."""
    child = subprocess.run([sys.executable, "-m", "bench.stock_growth", str(root), str(skus)],
                           cwd=Path(__file__).parents[1], capture_output=True, text=True, check=False)  # fmt: skip
    if child.returncode != 0:
        raise RuntimeError(f"setting up failed:\n{child.stderr[-2000:]}")
    expected: dict[str, int] = json.loads(child.stdout)
    return expected


def _set_up(root: Path, skus: int) -> dict[str, int]:
    """The repository, synced once, then changed; returns the changes the plan must find."""
    repository(root, INTEGRATION, SPEC)
    chance = random.Random(23)
    stock = {(sku, location): (chance.randint(10, 200), chance.randint(0, 5))
             for sku in range(skus) for location in range(1, LOCATIONS + 1)}  # fmt: skip
    _write_export(root, stock)
    first_sync(root, INTEGRATION, FLOW)
    levels = list(stock)
    sold = chance.sample(levels, int(len(levels) * CHANGED))
    for level in sold:
        on_hand, reserved = stock[level]
        stock[level] = on_hand - chance.randint(1, 3), reserved  # never below what is reserved: available changes
    new = [(sku, location) for sku in range(skus, skus + int(skus * NEW)) for location in range(1, LOCATIONS + 1)]
    stock.update({level: (chance.randint(10, 200), 0) for level in new})
    _write_export(root, stock)
    edited = set(chance.sample(levels, int(len(levels) * EDITED))) - set(sold)
    _edit_target(root, edited)
    return {"create": len(new), "update": len(sold) + len(edited), "unchanged": len(levels) - len(sold) - len(edited)}


def _write_export(root: Path, stock: dict[Level, tuple[int, int]]) -> None:
    rows = (f"{FIRST_SKU + sku},{location},{on_hand},{reserved}\n"
            for (sku, location), (on_hand, reserved) in stock.items())  # fmt: skip
    (root / SOURCE_FILE).write_text("sku,location,on_hand,reserved\n" + "".join(rows))


def _edit_target(root: Path, levels: Iterable[Level]) -> None:
    """Levels changed by hand in the shop: their lines of the target's file rewritten in place, as a
    person editing it would, rather than through the connector, which would build every level."""
    edited = {(str(FIRST_SKU + sku), f"store-{location:02d}") for sku, location in levels}
    path = root / TARGET_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        document = json.loads(line)
        if (document["sku"], document["location"]) in edited:
            document["available"] = str(int(document["available"]) + 1000)  # as the connector writes it
            lines[index] = json.dumps(document, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":
    print(json.dumps(_set_up(Path(sys.argv[1]), int(sys.argv[2]))))
