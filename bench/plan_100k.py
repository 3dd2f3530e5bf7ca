"""Planning 100,000 products of 3 variants each against the target's records and the last-applied state.

An ERP's CSV export (one row per variant) is the source, a folder of JSON Lines the target: both
are the real `files` connector, and the state store is SQLite. The integration has been running:
synced, and synced again (which remembers what it found in step). Since then 5% of the products
changed price or title in the ERP, 1% are new and 0.5% were edited in the target. The plan reads
all 300,000 rows and 100,000 target products, and builds, maps and diffs those whose fingerprints
changed. It runs in a fresh process, which reports its CPU time and its peak resident memory
(interpreter and imports included; `rss_before_mb` is what the process held before planning).

`cold_*` is the same plan once the flow's mapping was edited (a field's copy written out, giving the
same values), as by a pull request that touches it: what was remembered of the source no longer holds,
so every source record is built, mapped and compared. A target record is built only where its text
changed since a plan last found it in step, or where its source record no longer gives what was
last applied (`engine.run.read.target_version`).
After an upgrade of Tillsync nothing is remembered at all, and every target record is built too:
`upgraded_*`, the same plan once the state's fingerprints are forgotten. `elsewhere_*` is the plan
after an edit to the spec file that leaves this flow as it was (a comment, another flow): what is
remembered is taken under what the flow depends on (`engine.run.flow.FlowSetup.meaning_fingerprint`),
so that plan is as warm as before.

The floor is what no plan can avoid: reading and parsing the same inputs (the CSV export into rows,
the target's JSON Lines into dictionaries, the flow's last-applied rows and their JSON documents)
without building a record, in a fresh process of its own. Plan CPU is reported against it. Each plan
is measured `RUNS` times, the floor next to each, and the fastest of each kept (`bench.planning.fastest`):
each plan over its own floor, as the upgraded plan's floor reads no remembered fingerprints.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from bench import Figures
from bench.catalogue import SIZES, Article, write_products
from bench.planning import edit_spec, first_sync, forget_fingerprints, measured_in_turn, repository
from connectors.files import FilesSettings
from connectors.files.client import FilesClient
from engine.records import Entity, Product

INTEGRATION, FLOW = "erp-shop", "products"
PRODUCTS = 100_000
CHANGED, NEW, EDITED = 0.05, 0.01, 0.005
RUNS = 3  # each plan measured three times, and the floor next to each: the fastest of each taken
INPUTS = ("erp/products.csv", "shop/products.jsonl")  # the floor reads these, and the state

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
# another flow added above this one, with a comment: the products flow is as it was
ELSEWHERE = """\
flows:
  # categories as the ERP files them
  categories: {entity: category, from: erp, to: shop}
"""


def run(scale: float = 1.0) -> dict[str, Figures]:
    count = max(int(PRODUCTS * scale), 20)
    runs = max(int(RUNS * scale), 1)
    with tempfile.TemporaryDirectory(prefix="tillsync-bench-") as folder:
        root = Path(folder)
        expected = _set_up(root, count)
        measured, floor = _measured(root, expected, runs)
        edit_spec(root, INTEGRATION, "flows:\n", ELSEWHERE)
        elsewhere, elsewhere_floor = _measured(root, expected, runs)
        edit_spec(root, INTEGRATION, "      title: trim(title)\n", "      title: trim(title)\n      vendor: vendor\n")
        cold_measured, cold_floor = _measured(root, expected, runs)
        forget_fingerprints(root)  # the floor then reads no remembered fingerprints either
        forgotten, forgotten_floor = _measured(root, expected, runs)
    return {
        "plan_100k": {
            "products": count, "variants": count * len(SIZES), **measured["changes"],
            "cpu_s": round(measured["cpu_s"], 2), "wall_s": round(measured["wall_s"], 2),
            "peak_rss_mb": round(measured["peak_rss_mb"], 1), "rss_before_mb": round(measured["rss_before_mb"], 1),
            "cold_cpu_s": round(cold_measured["cpu_s"], 2),
            "cold_peak_rss_mb": round(cold_measured["peak_rss_mb"], 1),
            "floor_cpu_s": round(floor["cpu_s"], 2), "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
            "cpu_vs_floor": round(measured["cpu_s"] / floor["cpu_s"], 2),
            "cold_cpu_vs_floor": round(cold_measured["cpu_s"] / cold_floor["cpu_s"], 2),
            "upgraded_cpu_s": round(forgotten["cpu_s"], 2), "upgraded_peak_rss_mb": round(forgotten["peak_rss_mb"], 1),
            "upgraded_cpu_vs_floor": round(forgotten["cpu_s"] / forgotten_floor["cpu_s"], 2), "runs": runs,
            "elsewhere_cpu_s": round(elsewhere["cpu_s"], 2),
            "elsewhere_cpu_vs_floor": round(elsewhere["cpu_s"] / elsewhere_floor["cpu_s"], 2),
            "cold_floor_cpu_s": round(cold_floor["cpu_s"], 2),
            "upgraded_floor_cpu_s": round(forgotten_floor["cpu_s"], 2),
            "note": "plan_flow alone, in a fresh process: read the CSV export and the target's JSON Lines (files "
            "connector) and the state (SQLite); build, map and diff the records whose fingerprints changed since "
            "the last run found them in step. cold_*: the same plan after the flow's mapping was edited (a field's "
            "copy written out, the same values): every source record built, mapped and compared, a target record only "
            "where its text changed since it was last in step or its source no longer gives what was applied. "
            "upgraded_*: the same plan with nothing remembered at all, as after an upgrade of Tillsync: every "
            "record built on both sides. elsewhere_*: the warm plan after an edit to the spec that leaves the "
            "flow as it was (another flow added, a comment). runs: each plan measured this many times, its floor "
            "next to each, the fastest of each kept (peak RSS: the highest); cold_floor_*, upgraded_floor_*: the "
            "floors measured next to those plans (the upgraded one reads no fingerprints). floor_*: reading and "
            "parsing the same export, target file and state rows without building records, in a fresh process; "
            "*_vs_floor: plan CPU over floor CPU. Not in cpu_s: making the data, the syncs before, imports, "
            "loading the workspace. Peak RSS includes the interpreter and imports",
        }
    }  # fmt: skip


def _measured(root: Path, expected: dict[str, int], runs: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan and its floor, each the fastest of `runs` measured in turn (`measured_in_turn`)."""
    return measured_in_turn({"plan": (root, expected)}, INTEGRATION, FLOW, INPUTS, runs)["plan"]


def _set_up(root: Path, count: int) -> dict[str, int]:
    """The repository, synced once, then changed; returns the changes the plan must find."""
    repository(root, INTEGRATION, SPEC)
    chance = random.Random(100)
    prices = {number: chance.randint(500, 9000) for number in range(count)}
    titles = {number: f"  Article {number} " for number in range(count)}
    _write_export(root, prices, titles)
    first_sync(root, INTEGRATION, FLOW)
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


def _edit_target(root: Path, numbers: list[int]) -> None:
    target = FilesClient(FilesSettings(path=str(root / "shop"), format="jsonl"))
    products = {p.sku: p for p in target.read(Entity.product) if isinstance(p, Product)}
    edits = [products[str(10_000_000 + n)].model_copy(update={"title": "Edited in the shop"}) for n in numbers]
    target.write(Entity.product, edits)


def _write_export(root: Path, prices: dict[int, int], titles: dict[int, str]) -> None:
    articles = [Article(10_000_000 + number, titles[number], cents) for number, cents in prices.items()]
    write_products(root / "erp" / "products.csv", articles, categories="apparel")
