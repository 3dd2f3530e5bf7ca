"""Planning 100,000 products of 3 variants each against the target's records and the last-applied state.

An ERP's CSV export (one row per variant) is the source, a folder of JSON Lines the target: both
are the real `files` connector, and the state store is SQLite. The integration has been running:
synced, and synced again (which remembers what it found in step). Since then 5% of the products
changed price or title in the ERP, 1% are new and 0.5% were edited in the target. The plan reads
all 300,000 rows and 100,000 target products, and builds, maps and diffs those whose fingerprints
changed. It runs in a fresh process, which reports its CPU time and its peak resident memory
(interpreter and imports included; `rss_before_mb` is what the process held before planning).

`cold_*` is the same plan once the spec file was edited: nothing remembered holds, so every
record is built, mapped and diffed, as on the first run after an upgrade or a spec change.

The floor is what no plan can avoid: reading and parsing the same inputs (the CSV export into rows,
the target's JSON Lines into dictionaries, the flow's last-applied rows and their JSON documents)
without building a record, in a fresh process of its own. Plan CPU is reported against it.
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import Figures
from bench.catalogue import SIZES, Article, write_products
from connectors import CONNECTORS
from connectors.files import FilesClient, FilesSettings
from engine.plan.model import Action
from engine.records import Entity, Product
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.runner import Selected, state_store, sync_flow
from engine.run.systems import Systems
from engine.run.workspace import Workspace, load_workspace

PRODUCTS = 100_000
CHANGED, NEW, EDITED = 0.05, 0.01, 0.005

SPEC = """\
version: 1
name: erp-shop
systems:
  erp: {connector: files, settings: {path: erp, format: csv}}
  shop: {connector: files, settings: {path: shop, format: jsonl}}
flows:
  products:
    entity: product
    from: erp
    to: shop
    mapping:
      title: trim(title)
    create_only: [description]
"""


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(PRODUCTS * scale), 20)
    with tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder:
        root = Path(folder)
        expected = _set_up(root, count)
        floor = _in_a_fresh_process(root, "--floor")
        measured = _plan_in_a_fresh_process(root, expected)
        with (root / "specs" / "erp-shop.yaml").open("a") as spec:
            spec.write("# edited: what was remembered no longer holds\n")
        cold = _plan_in_a_fresh_process(root, expected)
    return {
        "plan_100k": {
            "products": count, "variants": count * len(SIZES), **measured["changes"],
            "cpu_s": round(measured["cpu_s"], 2), "wall_s": round(measured["wall_s"], 2),
            "peak_rss_mb": round(measured["peak_rss_mb"], 1), "rss_before_mb": round(measured["rss_before_mb"], 1),
            "cold_cpu_s": round(cold["cpu_s"], 2), "cold_peak_rss_mb": round(cold["peak_rss_mb"], 1),
            "floor_cpu_s": round(floor["cpu_s"], 2), "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
            "cpu_vs_floor": round(measured["cpu_s"] / floor["cpu_s"], 2),
            "cold_cpu_vs_floor": round(cold["cpu_s"] / floor["cpu_s"], 2),
            "note": "plan_flow alone, in a fresh process: read the CSV export and the target's JSON Lines (files "
            "connector) and the state (SQLite); build, map and diff the records whose fingerprints changed since "
            "the last run found them in step. cold_*: the same plan after the spec was edited, every record built. "
            "floor_*: reading and parsing the same export, target file and state rows without building records, in "
            "a fresh process; *_vs_floor: plan CPU over floor CPU. Not in cpu_s: making the data, the syncs before, "
            "imports, loading the workspace. Peak RSS includes the interpreter and imports",
        }
    }  # fmt: skip


def _plan_in_a_fresh_process(root: Path, expected: dict[str, int]) -> dict[str, Any]:
    measured = _in_a_fresh_process(root)
    if measured["changes"] != expected:
        raise RuntimeError(f"the plan is not what the data says: {measured['changes']} != {expected}")
    return measured


def _in_a_fresh_process(root: Path, *arguments: str) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-m", "bench.plan_100k", str(root), *arguments],
        cwd=Path(__file__).parents[1], capture_output=True, text=True, check=False,
    )  # fmt: skip
    if child.returncode != 0:
        raise RuntimeError(f"planning failed:\n{child.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(child.stdout)
    return measured


def _set_up(root: Path, count: int) -> dict[str, int]:
    """The repository, synced once, then changed; returns the changes the plan must find."""
    for name in ("specs", "environments", "erp", "shop"):
        (root / name).mkdir()
    (root / "specs" / "erp-shop.yaml").write_text(SPEC)
    (root / "environments" / "bench.yaml").write_text(
        "name: bench\nintegrations:\n  erp-shop:\n    spec: specs/erp-shop.yaml\n"
    )
    chance = random.Random(100)
    prices = {number: chance.randint(500, 9000) for number in range(count)}
    titles = {number: f"  Article {number} " for number in range(count)}
    _write_export(root, prices, titles)
    workspace = _workspace(root)
    _sync(workspace)
    numbers = list(range(count))
    changed = chance.sample(numbers, int(count * CHANGED))
    for number in changed[: len(changed) // 2]:
        prices[number] += 100
    for number in changed[len(changed) // 2 :]:
        titles[number] = f"Article {number} (new)"
    for number in range(count, count + int(count * NEW)):
        prices[number], titles[number] = 1999, f"New article {number}"
    _write_export(root, prices, titles)
    edited = sorted(set(chance.sample(numbers, int(count * EDITED))) - set(changed))
    _edit_target(root, edited)
    return {"create": int(count * NEW), "update": len(changed) + len(edited),
            "unchanged": count - len(changed) - len(edited)}  # fmt: skip


def _workspace(root: Path) -> Workspace:
    environ = {"TILLSYNC__SYSTEMS__ERP__SETTINGS__PATH": str(root / "erp"),
               "TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": str(root / "shop")}  # fmt: skip
    return load_workspace(root, "bench", connectors=CONNECTORS, environ=environ)


def _sync(workspace: Workspace) -> None:
    """The integration as it runs day to day, done quickly: the target file written in one go from
    the plan; an apply that finds everything in step and records it as applied; and the next run's,
    which finds it in step again and remembers so."""
    deployment = workspace.deployments["erp-shop"]
    setup = FlowSetup.of(deployment, "products")
    with state_store(workspace) as store:
        systems = Systems(workspace, deployment)
        plan = plan_flow(workspace, setup, systems, store)
        records = [Product.model_validate(c.record) for c in plan.changes if c.action is Action.create]
        systems.client("shop").write(Entity.product, records)
        for _ in range(2):
            result = sync_flow(workspace, store, Selected(deployment, "products"), systems=systems).result
            if result is None or result.counts["create"] or result.counts["update"]:
                raise RuntimeError(f"the first sync left changes: {result and result.counts}")
        systems.close()


def _edit_target(root: Path, numbers: list[int]) -> None:
    target = FilesClient(FilesSettings(path=str(root / "shop"), format="jsonl"))
    products = {p.sku: p for p in target.read(Entity.product) if isinstance(p, Product)}
    edits = [products[str(10_000_000 + n)].model_copy(update={"title": "Edited in the shop"}) for n in numbers]
    target.write(Entity.product, edits)


def _write_export(root: Path, prices: dict[int, int], titles: dict[int, str]) -> None:
    articles = [Article(10_000_000 + number, titles[number], cents) for number, cents in prices.items()]
    write_products(root / "erp" / "products.csv", articles, categories="apparel")


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Not `getrusage`: Linux carries its high-water mark across
    the exec from the parent, whose test data would count."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("this benchmark reads peak memory from /proc (Linux)")


def _plan_in_this_process(root: Path) -> dict[str, object]:
    workspace = _workspace(root)
    deployment = workspace.deployments["erp-shop"]
    setup = FlowSetup.of(deployment, "products")
    with state_store(workspace) as store:
        systems = Systems(workspace, deployment)
        before = _peak_rss_mb()
        cpu, wall = time.process_time(), time.perf_counter()
        plan = plan_flow(workspace, setup, systems, store)
        cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
        systems.close()
    changes = {action.value: plan.count(action) for action in (Action.create, Action.update, Action.unchanged)}
    peak = _peak_rss_mb()
    return {"cpu_s": cpu_s, "wall_s": wall_s, "peak_rss_mb": peak, "rss_before_mb": before, "changes": changes}


def _floor_in_this_process(root: Path) -> dict[str, object]:
    """Read and parse what the plan reads, building nothing: the export's rows, the target's lines as
    dictionaries, and the flow's last-applied rows with their JSON documents."""
    before = _peak_rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    with (root / "erp" / "products.csv").open(newline="", encoding="utf-8") as export:
        rows = sum(1 for _ in csv.DictReader(export))
    with (root / "shop" / "products.jsonl").open(encoding="utf-8") as target:
        lines = sum(1 for line in target if json.loads(line))
    state = sqlite3.connect(root / ".tillsync" / "bench" / "state.db")
    documents = state.execute("SELECT key, document FROM applied WHERE integration = ? AND flow = ?",
                              ("erp-shop", "products"))  # fmt: skip
    applied = sum(1 for _, document in documents if json.loads(document))
    in_step = state.execute("SELECT key, source_key, source, target, document FROM in_step WHERE flow = ?",
                            ("products",)).fetchall()  # fmt: skip
    state.close()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    read = {"rows": rows, "lines": lines, "applied": applied, "in_step": len(in_step)}
    return {"cpu_s": cpu_s, "wall_s": wall_s, "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": before, "read": read}


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    measure = _floor_in_this_process if sys.argv[2:] == ["--floor"] else _plan_in_this_process
    print(json.dumps(measure(folder)))
