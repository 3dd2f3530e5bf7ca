"""Golden renders of plans made by the pure diff from literal records: text, markdown and JSON.

One flow shows every action, conflict and adopt (with kept fields) among them; another only what a
plan counts rather than lists. Regenerate the snapshots after an intended change with
`TILLSYNC_UPDATE_GOLDEN=1 make test` and review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from engine.mapping.desired import Desired
from engine.plan import planfile
from engine.plan.diff import blocked, diff, held
from engine.plan.model import ORDER, Action, FlowPlan, Plan
from engine.plan.render import render
from engine.records import Entity, Variant
from engine.spec.models import DeletePolicy
from tests.plan.literals import STOCK, TWO_WAY, keyed, last_applied, product, stock_level, wanted

GOLDEN = Path(__file__).parent / "golden"
# two-way, the ERP master; descriptions are set on create only
PRODUCTS = replace(TWO_WAY, delete=DeletePolicy.archive, create_only=frozenset({"description"}))


def products() -> FlowPlan:
    """Every action, each planned by the diff from the records the two sides and the state hold."""
    was = {
        "1": product("1", "Shirt"),
        "2": product("2", "Café mug"),
        "3": product("3", "Towel", description="Cotton"),
        "4": product("4", "Apron"),
        "5": product("5", "Cap"),
        "8": product("8", "Scarf"),
        "13": product("13", "Socks", description="Wool"),
        "14": product("14", "Beanie"),
        "15": product("15", "Gloves"),
    }
    long = tuple(Variant(sku=f"1-{size}", title=f"Shirt {size}", options={"size": size}) for size in "SMLX")
    source = [
        product("1", "Shirt", "12.50").model_copy(update={"variants": long}),  # the ERP's sizes; the shop's title
        product("2", "Café mug, large"),  # both changed the title
        product("3", "Towel", description="Cotton"),  # the shop's title, recorded with a description
        product("6", "Tea towel"),
        product("8", "Scarf"),
        product("9", "Belt"),
        product("13", "Socks", description="Merino wool"),  # a create-only field changed: left alone
        product("14", "Beanie"),  # gone from the shop since the last apply
        product("16", "Sweater"),  # its create was sent, and whether it took effect cannot be told
    ]
    target = [
        product("1", "Shirt (sale)"),
        product("2", "Mug (sold out)"),
        product("3", "Bath towel", description="Cotton"),
        *(was[sku] for sku in ("4", "5", "8", "13", "15")),
        product("9", "Belt"),
    ]
    state = last_applied(PRODUCTS, was.values())
    del state[("3",)]["description"]  # recorded before the flow wrote descriptions
    desired = [
        *(wanted(PRODUCTS, record) for record in source),
        Desired(("7-A",), {"sku": "7-A"}, error="sku: SKU '7-A' is not numeric; this system takes digits only"),
        Desired(("10",), {"sku": "10"}, skip="a gift card is not sold in the shop"),
        Desired(("11",), {"sku": "11"}, skip="a gift card is not sold in the shop"),
    ]
    # planned as the flow would with `delete: delete`, so one flow has every action; the shop refuses
    # to delete the gloves (as Rackbeat an item with stock), so that delete is blocked
    deleted = {key: state.pop(key) for key in (("5",), ("15",))}
    changes = diff(PRODUCTS, desired, set(), keyed(PRODUCTS, target), state, known_unchanged=[("12",)])
    deletes = diff(replace(PRODUCTS, delete=DeletePolicy.delete), [], set(), keyed(PRODUCTS, target), deleted)
    changes += blocked(deletes, {("15",): "product 15 has 3 in stock"}, "shop")
    changes = held(changes, {("16",): "its answer was lost and the shop cannot tell; after putting it right, "
                                      "run `tillsync retry --flow shop-sync/products`"})  # fmt: skip
    return FlowPlan(
        "test",
        "shop-sync",
        "products",
        Entity.product,
        "erp",
        "shop",
        ("sku",),
        tuple(sorted(changes, key=lambda c: (ORDER[c.action], c.key))),
        "sha256:spec",
        source_count=len(source) + 4,
        filtered_count=1,
    )


def stock() -> FlowPlan:
    """Nothing to write: records unchanged, already there, and skipped."""
    levels = [stock_level("1", "shop", 5), stock_level("2", "shop", 0)]
    skipped = [Desired((sku, "9"), {"sku": sku}, skip="location 9 is not in the flow's location_map") for sku in "12"]
    desired = [*(wanted(STOCK, level) for level in levels), *skipped]
    changes = diff(STOCK, desired, set(), keyed(STOCK, levels), last_applied(STOCK, levels[:1]))
    return FlowPlan(
        "test",
        "shop-sync",
        "stock",
        Entity.stock,
        "erp",
        "shop",
        ("sku", "location"),
        tuple(changes),
        "sha256:spec",
        source_count=4,
    )


def every_action() -> Plan:
    return Plan("test", (products(), stock()))


def test_one_flow_of_the_plan_has_every_action() -> None:
    flow = products()
    assert {change.action for change in flow.changes} == set(Action)
    assert [c.key for c in flow.changes if c.action is Action.delete] == [("5",)], "one change per key"


@pytest.mark.parametrize(
    ("plan", "fmt", "name"),
    [
        (every_action, "text", "plan.txt"),
        (every_action, "markdown", "plan.md"),
        (every_action, "json", "plan.json"),
        (lambda: Plan("test", (stock(),)), "text", "no-changes.txt"),
        (lambda: Plan("test", (stock(),)), "markdown", "no-changes.md"),
    ],
)
def test_rendered_plan_matches_the_snapshot(plan: Callable[[], Plan], fmt: str, name: str) -> None:
    rendered = render(plan(), fmt)
    golden = GOLDEN / name
    if os.environ.get("TILLSYNC_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_a_saved_plan_with_every_action_reads_back_equal() -> None:
    made = every_action()
    assert planfile.loads(planfile.dumps(made)) == made
