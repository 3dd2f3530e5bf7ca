"""The three-way diff where the target changed too: one-way overwrite, `drift: adopt`, and two-way
flows with either system as master, each followed by the run after it on the state it records.

The last-applied document is the third side: a field the target holds differently from it was
changed in the target; one the source gives differently from it was changed in the source.
"""

from __future__ import annotations

from dataclasses import replace

from engine.keys import Key
from engine.plan.diff import DiffPolicy, diff
from engine.plan.model import Action, Change, Document, FieldChange
from engine.records import Product
from tests.plan.literals import PRODUCTS, TWO_WAY, dump, keyed, last_applied, price, product, source_of, wanted

SHIRT: Key = ("1",)
ADOPTING = replace(PRODUCTS, adopt=frozenset({"title"}))
SHOP_MASTER = replace(TWO_WAY, master="shop")


def plan(policy: DiffPolicy, source: Product, target: Product, state: dict[Key, Document]) -> list[Change]:
    """The diff of one product as the source gives it and the target holds it."""
    return diff(policy, [wanted(policy, source)], set(), keyed(policy, [target]), state)


def applied(policy: DiffPolicy, record: Product, **fields: object) -> dict[Key, Document]:
    """The state after Tillsync applied `record` (with some fields as given)."""
    return {SHIRT: last_applied(policy, [record])[SHIRT] | fields}


def unchanged() -> list[Change]:
    return [Change(Action.unchanged, SHIRT, "unchanged")]


def test_one_way_overwrites_a_change_made_in_the_target_and_says_so() -> None:
    edited = product("1", "Shirt (sale)")
    state = applied(PRODUCTS, product("1", "Shirt"))
    assert plan(PRODUCTS, product("1", "Shirt"), edited, state) == [
        Change(
            Action.update,
            SHIRT,
            "erp changed title",
            (FieldChange("title", "Shirt (sale)", "Shirt", "overwrites a change made in shop"),),
            record=dump(edited, title="Shirt"),
            applied=state[SHIRT],
            source=source_of(SHIRT),
        )
    ]
    [unknown] = plan(PRODUCTS, product("1", "Shirt"), edited, {})  # never applied: just a difference
    assert unknown.fields == (FieldChange("title", "Shirt (sale)", "Shirt", "erp has a different title"),)


def test_drift_adopt_keeps_a_change_made_in_the_target_and_records_it_once() -> None:
    edited = product("1", "Shirt (sale)", description="Cotton")
    # The state was recorded before the flow wrote descriptions: there is something to record.
    state = applied(ADOPTING, product("1", "Shirt"))
    del state[SHIRT]["description"]
    kept = FieldChange("title", "Shirt", "Shirt (sale)", "changed in shop; the flow adopts it")
    adopted = applied(ADOPTING, edited, title="Shirt")  # the source's title: a new one is told from this one
    assert plan(ADOPTING, product("1", "Shirt", description="Cotton"), edited, state) == [
        Change(
            Action.adopt,
            SHIRT,
            "keeps shop's title (changed in shop; the flow adopts it)",
            kept=(kept,),
            applied=adopted[SHIRT],
            source=source_of(SHIRT),
        )
    ]
    assert plan(ADOPTING, product("1", "Shirt", description="Cotton"), edited, adopted) == unchanged()


def test_drift_adopt_with_the_state_current_writes_and_records_nothing() -> None:
    # `plan --refresh-only` reports such a change; a plan has nothing to do for it, run after run.
    state = applied(ADOPTING, product("1", "Shirt"))
    assert plan(ADOPTING, product("1", "Shirt"), product("1", "Shirt (sale)"), state) == unchanged()
    [overwrite] = plan(PRODUCTS, product("1", "Shirt"), product("1", "Shirt (sale)"), state)
    assert overwrite.action is Action.update, "without drift: adopt the same change is overwritten"


def test_drift_adopt_gives_way_to_a_new_change_in_the_source_or_no_state() -> None:
    edited = product("1", "Shirt (sale)")
    [newer] = plan(ADOPTING, product("1", "Shirt XL"), edited, applied(ADOPTING, product("1", "Shirt")))
    assert (newer.action, newer.reason, newer.kept) == (Action.update, "erp changed title", ())
    assert newer.fields == (FieldChange("title", "Shirt (sale)", "Shirt XL", "erp has a different title"),)
    [unknown] = plan(ADOPTING, product("1", "Shirt"), edited, {})  # never applied: no change to tell
    assert (unknown.action, unknown.fields[0].after) == (Action.update, "Shirt")


def test_two_way_a_change_in_the_source_only_is_an_update() -> None:
    state = applied(TWO_WAY, product("1", "Shirt"))
    [change] = plan(TWO_WAY, product("1", "Shirt XL"), product("1", "Shirt"), state)
    assert change == Change(
        Action.update,
        SHIRT,
        "erp changed title",
        (FieldChange("title", "Shirt", "Shirt XL", "erp has a different title"),),
        record=dump(product("1", "Shirt XL")),
        applied=state[SHIRT] | {"title": "Shirt XL"},
        source=source_of(SHIRT),
    )


def test_two_way_a_change_in_the_target_only_is_kept() -> None:
    state = applied(TWO_WAY, product("1", "Shirt"))
    edited = product("1", "Shirt (sale)")
    assert plan(TWO_WAY, product("1", "Shirt"), edited, state) == unchanged(), "kept; nothing new to record"
    # With the source's price changed, the price is written and the shop's title kept.
    [change] = plan(TWO_WAY, product("1", "Shirt", "12.50"), edited, state)
    assert (change.action, change.reason) == (Action.update, "erp changed variants")
    assert change.fields == (
        FieldChange(
            "variants",
            [{"sku": "1", "price": price("10.00")}],
            [{"sku": "1", "price": price("12.50")}],
            "erp has a different variants",
        ),
    )
    assert change.kept == (
        FieldChange("title", "Shirt", "Shirt (sale)", "changed in shop only; a two-way flow keeps it"),
    )
    assert change.record == dump(edited, variants=[{"sku": "1", "price": price("12.50")}])
    assert change.applied == state[SHIRT] | {"variants": [{"sku": "1", "price": price("12.50")}]}
    assert (
        plan(TWO_WAY, product("1", "Shirt", "12.50"), product("1", "Shirt (sale)", "12.50"), {SHIRT: change.applied})
        == unchanged()
    )


def test_two_way_both_changed_with_the_source_as_master_is_a_conflict_written() -> None:
    edited = product("1", "Shirt (sale)")
    state = applied(TWO_WAY, product("1", "Shirt"))
    [change] = plan(TWO_WAY, product("1", "Shirt XL", "12.50"), edited, state)
    assert change == Change(
        Action.conflict,
        SHIRT,
        "conflict on title: master erp wins",
        (
            FieldChange("title", "Shirt (sale)", "Shirt XL", "both changed; master erp wins"),
            FieldChange(
                "variants",
                [{"sku": "1", "price": price("10.00")}],
                [{"sku": "1", "price": price("12.50")}],
                "erp has a different variants",
            ),
        ),
        record=dump(edited, title="Shirt XL", variants=[{"sku": "1", "price": price("12.50")}]),
        applied=applied(TWO_WAY, product("1", "Shirt XL", "12.50"))[SHIRT],
        source=source_of(SHIRT),
    )
    written = product("1", "Shirt XL", "12.50")
    assert plan(TWO_WAY, written, written, {SHIRT: change.applied or {}}) == unchanged()


def test_two_way_both_changed_with_the_target_as_master_is_adopted_and_stays_won() -> None:
    edited = product("1", "Shirt (sale)")
    state = applied(SHOP_MASTER, product("1", "Shirt"))
    kept = FieldChange("title", "Shirt XL", "Shirt (sale)", "both changed; master shop wins")
    [change] = plan(SHOP_MASTER, product("1", "Shirt XL"), edited, state)
    assert change == Change(
        Action.adopt,
        SHIRT,
        "keeps shop's title (both changed; master shop wins)",
        kept=(kept,),
        applied=state[SHIRT] | {"title": "Shirt XL"},  # the source's title, so the next run sees no new change
        source=source_of(SHIRT),
    )
    assert change.record is None and change.fields == (), "nothing is written"
    after = {SHIRT: change.applied or {}}
    assert plan(SHOP_MASTER, product("1", "Shirt XL"), edited, after) == unchanged(), "no overwrite the run after"
    [again] = plan(SHOP_MASTER, product("1", "Shirt XXL"), edited, after)
    assert (again.action, again.kept[0].after, again.applied) == (
        Action.adopt,
        "Shirt (sale)",
        after[SHIRT] | {"title": "Shirt XXL"},
    ), "a newer change in the source loses to the master again"


def test_two_way_never_applied_keeps_the_masters_values() -> None:
    source, target = product("1", "Shirt XL"), product("1", "Shirt (sale)")
    [change] = plan(SHOP_MASTER, source, target, {})
    assert change == Change(
        Action.adopt,
        SHIRT,
        "keeps shop's title (never applied; master shop's value is kept)",
        kept=(FieldChange("title", "Shirt XL", "Shirt (sale)", "never applied; master shop's value is kept"),),
        applied=applied(SHOP_MASTER, target, title="Shirt XL")[SHIRT],
        source=source_of(SHIRT),
    )
    assert plan(SHOP_MASTER, source, target, {SHIRT: change.applied or {}}) == unchanged()
    [update] = plan(TWO_WAY, source, target, {})
    assert (update.action, update.fields) == (
        Action.update,
        (FieldChange("title", "Shirt (sale)", "Shirt XL", "erp has a different title"),),
    ), "the source as master: its value is written"
