"""One vocabulary and one count for plan and apply: each record counted once, a failed one as failed."""

from __future__ import annotations

from engine.plan.model import Action, Change, FieldChange, FlowPlan, Plan
from engine.plan.render import text
from engine.plan.tally import count, phrase, total
from engine.records import Entity

CHANGES = (
    Change(Action.create, ("1",), "new in erp"),
    Change(Action.create, ("2",), "new in erp"),
    Change(Action.create, ("3",), "new in erp"),
    Change(Action.update, ("4",), "erp changed title"),
    Change(Action.error, ("5",), "sku: not numeric"),
    Change(Action.unchanged, ("6",), "unchanged"),
)


def test_a_plan_and_its_apply_count_the_same_records_in_the_same_words() -> None:
    planned = count(CHANGES)
    assert phrase(planned, "planned") == "3 to create, 1 to update, 1 error, 1 unchanged"
    # record 2's create was refused by the target, 5 was an error when planned; 3 was not reached
    done = count(CHANGES, failed={("2",), ("5",)}, not_reached={("3",)})
    assert phrase(done, "done") == "1 created, 1 updated, 2 failed, 1 not reached, 1 unchanged"
    assert sum(done.values()) == sum(planned.values()) == len(CHANGES), "each record counted once"
    assert done["create"] == 1, "a failed create is not also counted as created"


def test_counts_of_flows_add_up_and_words_take_their_plural() -> None:
    one = count([Change(Action.conflict, ("1",), "both changed")])
    two = count([Change(Action.conflict, ("2",), "both changed"), Change(Action.error, ("3",), "bad")])
    assert phrase(one, "planned") == "1 conflict to resolve"
    assert phrase(total([one, two]), "done") == "2 conflicts resolved, 1 error"
    assert phrase(count([]), "planned") == "", "nothing to say says nothing"


def flow(*changes: Change) -> FlowPlan:
    return FlowPlan("test", "shop", "products", Entity.product, "erp", "shop", ("sku",), changes, "sha256:spec", 3)


def test_a_flow_with_nothing_to_do_is_one_quiet_line() -> None:
    quiet = flow(Change(Action.unchanged, ("1",), "unchanged"), Change(Action.skip, ("2",), "a gift card"))
    assert text(Plan("test", (quiet,))) == (
        "shop/products: no changes (1 unchanged, 1 skipped)\n\nNo changes. The targets match the sources.\n"
    )


def test_a_create_only_field_left_alone_is_said_though_nothing_is_written() -> None:
    left = FieldChange("description", "Wool", "Merino", "changed in erp; create-only, left alone")
    rendered = text(Plan("test", (flow(Change(Action.unchanged, ("1",), "unchanged", left_alone=(left,))),)))
    assert "  · 1: description changed in erp; create-only, left alone\n" in rendered
    assert rendered.endswith("No changes. The targets match the sources.\n"), "left alone is no change"
