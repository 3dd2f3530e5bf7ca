"""The undo of a run, on literal records: three sides per record (before the run, what it wrote,
the target now), as `engine.plan.undo` weighs them."""

from __future__ import annotations

from dataclasses import replace

from engine.plan.diff import project
from engine.plan.model import Action, FieldChange
from engine.plan.undo import Written, undo
from engine.spec.models import DeletePolicy
from tests.plan.literals import CATEGORIES, ORDERS, PRODUCTS, category, keyed, order, product

RUN = "1f2e3d4c-0000-4000-8000-000000000000"


def test_a_field_the_run_changed_is_set_back_where_the_target_still_holds_what_it_wrote() -> None:
    now = category("10", "Shirts and tops", description="kept")
    written = Written(("10",), Action.update, {"name": "Shirts"}, project(now, CATEGORIES.fields))
    [change] = undo(CATEGORIES, RUN, [written], keyed(CATEGORIES, [now]))
    assert change.action is Action.update and change.reason == "set back to before run 1f2e3d4c"
    assert change.fields == (FieldChange("name", "Shirts and tops", "Shirts", "its value before run 1f2e3d4c"),)
    assert change.record == {"key": "10", "name": "Shirts", "description": "kept"}
    assert change.applied == {"key": "10", "name": "Shirts", "parent": None, "description": "kept"}


def test_a_field_changed_since_the_run_is_a_conflict_that_writes_nothing() -> None:
    wrote = category("10", "Shirts and tops")
    now = category("10", "Tops")
    written = Written(("10",), Action.update, {"name": "Shirts"}, project(wrote, CATEGORIES.fields))
    [change] = undo(CATEGORIES, RUN, [written], keyed(CATEGORIES, [now]))
    assert change.action is Action.blocked and change.record is None
    assert change.reason == ("conflict: changed in shop since run 1f2e3d4c (name: run wrote Shirts and tops, now "
                             "Tops); left as it is")  # fmt: skip


def test_a_created_record_is_archived_deleted_or_listed_as_the_delete_policy_says() -> None:
    made = product("1001", "Shirt", status="active")
    written = [Written(("1001",), Action.create, {}, project(made, PRODUCTS.fields))]
    actual = keyed(PRODUCTS, [made])
    [archived] = undo(PRODUCTS, RUN, written, actual)
    assert archived.action is Action.archive and archived.record is not None
    assert archived.record["status"] == "archived"
    [deleted] = undo(replace(PRODUCTS, delete=DeletePolicy.delete), RUN, written, actual)
    assert deleted.action is Action.delete
    [kept] = undo(replace(PRODUCTS, delete=DeletePolicy.never), RUN, written, actual)
    assert kept.action is Action.blocked and "the flow's delete policy is never" in kept.reason
    [gone] = undo(PRODUCTS, RUN, written, {})
    assert gone.action is Action.skip and gone.reason == "gone from shop since run 1f2e3d4c; nothing to undo"


def test_orders_deletes_and_writes_logged_without_their_values_before_cannot_be_undone() -> None:
    booked = order("#1001")
    [till] = undo(ORDERS, RUN, [Written(("#1001",), Action.create, {}, project(booked, ORDERS.fields))],
                  keyed(ORDERS, [booked]))  # fmt: skip
    assert till.action is Action.blocked and till.reason.startswith("cannot be undone: an order booked in till")
    [deleted] = undo(CATEGORIES, RUN, [Written(("10",), Action.delete, None, None)], {})
    assert deleted.action is Action.blocked and "keeps no copy to make it again" in deleted.reason
    now = category("10", "Shirts")
    [old] = undo(CATEGORIES, RUN, [Written(("10",), Action.update, None, None)], keyed(CATEGORIES, [now]))
    assert old.action is Action.blocked and "logged before Tillsync kept the values" in old.reason
