"""Whether a saved plan still holds, as a pure function: a saved flow plan and one made now, literal.

Each rule of `engine.plan.staleness.to_apply`'s docstring, holding and stale.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.keys import Key
from engine.plan.model import Action, Change, FieldChange, Fingerprints, FlowPlan
from engine.plan.staleness import StalePlanError, to_apply
from engine.records import Entity

SHIRT: Key = ("1",)
APPLIED = {"sku": "1", "title": "Shirt XL"}


def flow(*changes: Change, fingerprints: tuple[Fingerprints, ...] = ()) -> FlowPlan:
    return FlowPlan(
        environment="test",
        integration="shop-sync",
        flow="products",
        entity=Entity.product,
        source="erp",
        target="shop",
        match=("sku",),
        changes=changes,
        spec_fingerprint="spec-1",
        source_count=len(changes),
        cursor="2025-05-01T10:00:00Z",
        fingerprints=fingerprints,
    )


def update(key: Key = SHIRT, before: str = "Shirt", after: str = "Shirt XL") -> Change:
    title = FieldChange("title", before, after, "erp has a different title")
    return Change(
        Action.update,
        key,
        "erp changed title",
        (title,),
        record={"sku": key[0], "title": after},
        applied={"sku": key[0], "title": after},
    )


def change(action: Action, key: Key = SHIRT, applied: dict[str, str] | None = None) -> Change:
    return Change(action, key, action.value, applied=applied)


def fingerprint(key: Key) -> Fingerprints:
    return Fingerprints(key, key, f"source-{key[0]}", f"target-{key[0]}", f"applied-{key[0]}")


def test_a_change_holds_with_the_same_action_and_values_and_is_applied_as_planned_now() -> None:
    saved = flow(update(before="Shirt"))
    fresh = flow(update(before="Shirt (sale)"))  # someone changed the title since; the plan still reaches it
    assert to_apply(saved, fresh) == replace(saved, changes=fresh.changes)
    assert to_apply(saved, fresh).changes[0].fields[0].before == "Shirt (sale)", "apply fits the target as it is"


@pytest.mark.parametrize("action", [Action.adopt, Action.record, Action.archive, Action.delete, Action.error])
def test_every_action_holds_as_itself(action: Action) -> None:
    saved = flow(change(action, applied=None if action in (Action.delete, Action.error) else APPLIED))
    assert to_apply(saved, saved).changes == saved.changes


def test_other_values_or_another_action_are_stale() -> None:
    with pytest.raises(StalePlanError) as values:
        to_apply(flow(update()), flow(update(after="Shirt XXL")))
    assert str(values.value) == (
        "shop-sync/products: the plan no longer holds for 1 record (1: the plan shows update, now it would update "
        "with other values); plan again"
    )
    with pytest.raises(StalePlanError, match=r"\(1: the plan shows update, now it would adopt\)"):
        to_apply(flow(update()), flow(change(Action.adopt, applied=APPLIED)))


def test_a_create_holds_as_an_update_or_a_record_only_after_an_upstream_flow() -> None:
    create = Change(Action.create, SHIRT, "new in erp", record=APPLIED, applied=APPLIED)
    for now in (update(), change(Action.record, applied=APPLIED)):
        assert to_apply(flow(create), flow(now), after_upstream=True).changes == (now,)
        with pytest.raises(StalePlanError, match=f"1: the plan shows create, now it would {now.action.value}"):
            to_apply(flow(create), flow(now))
    filled = change(Action.record, applied={**APPLIED, "vendor": "Tillwear"})  # the upstream flow filled a field
    left_empty = replace(create, applied={**APPLIED, "vendor": None})
    assert to_apply(flow(left_empty), flow(filled), after_upstream=True).changes == (filled,)
    with pytest.raises(StalePlanError, match="now it would record"):
        to_apply(flow(create), flow(change(Action.record, applied={"sku": "1", "title": "Shirt"})), True)
    with pytest.raises(StalePlanError, match="now it would adopt"):
        to_apply(flow(create), flow(change(Action.adopt, applied=APPLIED)), after_upstream=True)
    with pytest.raises(StalePlanError, match="now it would update"):
        to_apply(flow(create), flow(update(after="Shirt XXL")), after_upstream=True)


def test_what_the_saved_plan_leaves_alone_stays_alone() -> None:
    saved = flow(change(Action.unchanged), change(Action.skip, ("2",)), update(("3",)))
    fresh = flow(update(), update(("2",)), update(("3",)))
    assert to_apply(saved, fresh).changes == (update(("3",)),)


def test_a_record_already_there_holds_when_the_state_has_recorded_it_since() -> None:
    """An interrupted run's write, found done when apply took the flow's lock, is recorded by then."""
    saved = flow(change(Action.record, applied=APPLIED))
    assert to_apply(saved, flow(change(Action.unchanged))).changes == (change(Action.unchanged),)
    with pytest.raises(StalePlanError, match="the plan shows update, now it would do nothing"):
        to_apply(flow(update()), flow(change(Action.unchanged))), "a write is not let off so"


def test_a_write_applied_already_is_stale_a_plan_is_applied_once() -> None:
    saved = flow(update(), update(("2",)))
    fresh = flow(change(Action.unchanged))  # 1 was applied already; 2 is no longer read at all
    with pytest.raises(StalePlanError) as stale:
        to_apply(saved, fresh)
    assert str(stale.value) == (
        "shop-sync/products: the plan no longer holds for 2 records (1: the plan shows update, now it would do "
        "nothing; 2: the plan shows update, now it would do nothing); plan again"
    )


def test_a_stale_plan_names_ten_records_and_counts_the_rest() -> None:
    keys = [(str(n),) for n in range(1, 13)]
    with pytest.raises(StalePlanError) as stale:
        to_apply(flow(*(update(key) for key in keys)), flow())
    message = str(stale.value)
    assert message.startswith("shop-sync/products: the plan no longer holds for 12 records (1: the plan shows")
    assert "10: the plan shows update" in message and "11: the plan" not in message
    assert message.endswith("10: the plan shows update, now it would do nothing; and 2 more); plan again")


def test_fingerprints_are_kept_only_for_records_the_saved_plan_found_unchanged() -> None:
    saved = flow(change(Action.unchanged), update(("2",)), fingerprints=(fingerprint(("9",)),))
    fresh = flow(change(Action.unchanged), update(("2",)), fingerprints=(fingerprint(SHIRT), fingerprint(("2",))))
    made = to_apply(saved, fresh)
    assert made.fingerprints == (fingerprint(SHIRT),)
    assert (made.spec_fingerprint, made.cursor, made.source_count) == ("spec-1", "2025-05-01T10:00:00Z", 2)
