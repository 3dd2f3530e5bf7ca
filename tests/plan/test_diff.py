"""The three-way diff as a pure function: literal records and policies in, the exact changes out.

One-way rules here: create, update of the changed fields only, fields left alone (empty in the
source, create-only, only the target's), a target that never changes records, in step, removal
by delete policy, records known unchanged, errors and skips, and the order of the result. Changes
made in the target and two-way flows are in test_diff_drift.py.
"""

from __future__ import annotations

from dataclasses import replace

from engine.mapping.desired import Desired
from engine.plan.diff import diff, held, project
from engine.plan.model import Action, Change, FieldChange
from engine.spec.models import DeletePolicy
from tests.plan.literals import (
    CATEGORIES,
    CUSTOMERS,
    ORDERS,
    PRODUCTS,
    category,
    customer,
    dump,
    keyed,
    last_applied,
    order,
    price,
    product,
    source_of,
    wanted,
)

SHIRTS = ("10",)


def test_a_record_new_in_the_source_is_created_with_its_fields_recorded_as_applied() -> None:
    new = category("10", "Shirts", description="Cotton")
    assert diff(CATEGORIES, [wanted(CATEGORIES, new)], set(), {}, {}) == [
        Change(
            Action.create,
            SHIRTS,
            "new in erp",
            (
                FieldChange("key", None, "10"),
                FieldChange("name", None, "Shirts"),
                FieldChange("description", None, "Cotton"),
            ),
            record={"key": "10", "name": "Shirts", "description": "Cotton"},
            applied={"key": "10", "name": "Shirts", "parent": None, "description": "Cotton"},
            source=source_of(SHIRTS),
        )
    ]


def test_a_create_lists_no_empty_field_and_writes_the_record_whole() -> None:
    [change] = diff(PRODUCTS, [wanted(PRODUCTS, product("1", "Shirt"))], set(), {}, {})
    assert change.action is Action.create
    assert [(f.field, f.after) for f in change.fields] == [
        ("sku", "1"),
        ("title", "Shirt"),
        ("status", "active"),
        ("variants", [{"sku": "1", "price": price("10.00")}]),
    ]
    assert change.record == dump(product("1", "Shirt"))
    assert change.applied == {
        "sku": "1",
        "title": "Shirt",
        "description": None,
        "status": "active",
        "tags": [],
        "features": {},
        "variants": [{"sku": "1", "price": price("10.00")}],
    }


def test_an_update_writes_only_the_changed_fields_over_the_targets_record() -> None:
    source = category("10", "Shirts & tops", parent="clothing")
    target = category("10", "Shirts", parent="clothing", description="Our finest")  # no description in the ERP
    state = last_applied(CATEGORIES, [category("10", "Shirts", parent="clothing")])
    after = {"key": "10", "name": "Shirts & tops", "parent": "clothing", "description": "Our finest"}
    assert diff(CATEGORIES, [wanted(CATEGORIES, source)], set(), keyed(CATEGORIES, [target]), state) == [
        Change(
            Action.update,
            SHIRTS,
            "erp changed name",
            (FieldChange("name", "Shirts", "Shirts & tops", "erp has a different name"),),
            record=after,
            applied=after,
            source=source_of(SHIRTS),
        )
    ]


def test_a_field_the_source_leaves_empty_is_left_alone() -> None:
    source, target = category("10", "Shirts"), category("10", "Shirts", description="Our finest")
    actual = keyed(CATEGORIES, [target])
    held = {"key": "10", "name": "Shirts", "parent": None, "description": "Our finest"}
    assert diff(CATEGORIES, [wanted(CATEGORIES, source)], set(), actual, {}) == [
        Change(Action.record, SHIRTS, "shop already holds it", applied=held, source=source_of(SHIRTS))
    ]
    assert diff(CATEGORIES, [wanted(CATEGORIES, source)], set(), actual, {SHIRTS: held}) == [
        Change(Action.unchanged, SHIRTS, "unchanged")
    ]


def test_create_only_fields_are_written_on_create_and_never_updated() -> None:
    policy = replace(CATEGORIES, create_only=frozenset({"description"}))
    source = category("10", "Shirts & tops", description="New text")
    [create] = diff(policy, [wanted(policy, source)], set(), {}, {})
    assert create.action is Action.create and create.record == {
        "key": "10",
        "name": "Shirts & tops",
        "description": "New text",
    }
    target = category("10", "Shirts", description="Old text")
    [update] = diff(policy, [wanted(policy, source)], set(), keyed(policy, [target]), last_applied(policy, [target]))
    assert (update.action, update.reason) == (Action.update, "erp changed name")
    assert update.fields == (FieldChange("name", "Shirts", "Shirts & tops", "erp has a different name"),)
    left = FieldChange("description", "Old text", "New text", "changed in erp; create-only, left alone")
    assert update.left_alone == (left,), "the difference is said, not written"
    assert update.record == {"key": "10", "name": "Shirts & tops", "description": "Old text"}
    assert update.applied == {"key": "10", "name": "Shirts & tops", "parent": None, "description": "Old text"}
    written = category("10", "Shirts & tops", description="Old text")
    assert diff(policy, [wanted(policy, source)], set(), keyed(policy, [written]), {SHIRTS: update.applied}) == [
        Change(Action.unchanged, SHIRTS, "unchanged", left_alone=(left,))
    ], "the next run leaves the create-only field as it is, and says so"


def test_a_record_gone_from_the_target_since_the_last_apply_is_created_again_and_said_so() -> None:
    shirts = category("10", "Shirts")
    [again] = diff(CATEGORIES, [wanted(CATEGORIES, shirts)], set(), {}, last_applied(CATEGORIES, [shirts]))
    assert again.action is Action.create
    assert again.reason == "gone from shop since the last apply; will be created again"
    assert again.record == {"key": "10", "name": "Shirts"}, "written whole, as any create"
    [new] = diff(CATEGORIES, [wanted(CATEGORIES, shirts)], set(), {}, {})
    assert (new.action, new.reason) == (Action.create, "new in erp")


def test_a_variant_field_only_the_target_has_is_no_difference() -> None:
    source = product("1", "Shirt")
    titled = product("1", "Shirt").model_copy(
        update={"variants": (product("1", "Shirt").variants[0].model_copy(update={"title": "Default Title"}),)}
    )
    [change] = diff(PRODUCTS, [wanted(PRODUCTS, source)], set(), keyed(PRODUCTS, [titled]), {})
    assert (change.action, change.fields) == (Action.record, ())
    assert change.applied is not None and change.applied["variants"] == [{"sku": "1", "price": price("10.00")}]
    # A variant more in the target is a difference: the lists are compared whole.
    two = titled.model_copy(update={"variants": (*titled.variants, product("1-B", "Shirt").variants[0])})
    [change] = diff(PRODUCTS, [wanted(PRODUCTS, source)], set(), keyed(PRODUCTS, [two]), {})
    assert change.action is Action.update
    assert change.fields == (
        FieldChange(
            "variants",
            [{"sku": "1", "title": "Default Title", "price": price("10.00")}, {"sku": "1-B", "price": price("10.00")}],
            [{"sku": "1", "price": price("10.00")}],
            "erp has a different variants",
        ),
    )
    assert change.record == dump(two, variants=[{"sku": "1", "price": price("10.00")}]), "the variant gone is removed"


def test_an_address_is_compared_on_the_fields_the_source_gives() -> None:
    source = customer("an@example.com", "An", street="Kerkstraat", city="Gent")
    target = customer("an@example.com", "An", street="Kerkstraat", city="Gent", phone="+3291234567")
    key = ("an@example.com",)
    [same] = diff(CUSTOMERS, [wanted(CUSTOMERS, source)], set(), keyed(CUSTOMERS, [target]), {})
    assert (same.action, same.fields) == (Action.record, ())
    assert same.applied == {
        "email": "an@example.com",
        "first_name": "An",
        "billing_address": {"street": "Kerkstraat", "city": "Gent"},
    }
    moved = customer("an@example.com", "An", street="Veldstraat", city="Gent")
    [update] = diff(CUSTOMERS, [wanted(CUSTOMERS, moved)], set(), keyed(CUSTOMERS, [target]), {})
    assert (update.action, update.key, update.reason) == (Action.update, key, "erp changed billing_address")
    assert update.fields == (
        FieldChange(
            "billing_address",
            {"street": "Kerkstraat", "city": "Gent"},
            {"street": "Veldstraat", "city": "Gent"},
            "erp has a different billing_address",
        ),
    )
    moved_to = {"street": "Veldstraat", "city": "Gent"}
    assert update.record == dump(target, billing_address=moved_to | {"phone": "+3291234567"}), "the phone stays"
    assert update.applied == {"email": "an@example.com", "first_name": "An", "billing_address": moved_to}
    written = customer("an@example.com", "An", street="Veldstraat", city="Gent", phone="+3291234567")
    assert diff(CUSTOMERS, [wanted(CUSTOMERS, moved)], set(), keyed(CUSTOMERS, [written]), {key: update.applied}) == [
        Change(Action.unchanged, key, "unchanged")
    ]
    # Not declared an object with fixed fields, the address is compared whole: the phone differs.
    whole = replace(CUSTOMERS, objects=frozenset())
    [change] = diff(whole, [wanted(whole, source)], set(), keyed(whole, [target]), {})
    assert change.action is Action.update and change.fields[0].before == dump(target)["billing_address"]


def test_a_map_with_free_keys_is_compared_whole() -> None:
    source = product("1", "Shirt", features={"country_of_origin": "BE"})
    target = product("1", "Shirt", features={"country_of_origin": "BE", "care": "wash cold"})
    [change] = diff(PRODUCTS, [wanted(PRODUCTS, source)], set(), keyed(PRODUCTS, [target]), {})
    assert (change.action, change.reason) == (Action.update, "erp changed features")
    assert change.fields == (
        FieldChange(
            "features",
            {"country_of_origin": "BE", "care": "wash cold"},
            {"country_of_origin": "BE"},
            "erp has a different features",
        ),
    )
    assert change.record == dump(target, features={"country_of_origin": "BE"}), "the feature gone is removed"
    assert change.applied == last_applied(PRODUCTS, [source])[("1",)]


def test_a_target_that_never_changes_records_once_made_records_them_and_never_sends_them() -> None:
    """An order there already is never written again: it is recorded as applied (which also clears a
    dead letter of it, say after a lost answer), and unchanged once the state says so."""
    booked, new = order("W1", note="ring twice"), order("W2")
    desired = [wanted(ORDERS, booked), wanted(ORDERS, new)]
    there = keyed(ORDERS, [order("W1")])
    changes = diff(ORDERS, desired, set(), there, {})
    assert [(c.action, c.key) for c in changes] == [(Action.create, ("W2",)), (Action.record, ("W1",))]
    held = project(there[("W1",)], ORDERS.fields)
    assert changes[1] == Change(
        Action.record, ("W1",), "exists in till, which does not change order records once made", applied=held,
        source=source_of(("W1",)),
    )  # fmt: skip
    [again] = diff(ORDERS, desired[:1], set(), there, {("W1",): held})
    assert again.action is Action.unchanged and again.record is None


def test_a_write_held_for_a_person_is_shown_held_and_nothing_else_is() -> None:
    """A record whose earlier write is in doubt is held, not created again; a record held whose plan
    writes nothing is left as it is, and so is every other record."""
    there = keyed(ORDERS, [order("W1")])
    desired = [wanted(ORDERS, order(number)) for number in ("W1", "W2", "W3")]
    planned = diff(ORDERS, desired, set(), there, {})
    reasons = {("W1",): "not this one: the till has it", ("W2",): "its answer was lost"}
    changes = held(planned, reasons)
    assert [(c.action, c.key) for c in changes] == [
        (Action.create, ("W3",)),
        (Action.record, ("W1",)),
        (Action.held, ("W2",)),
    ]
    create = next(c for c in planned if c.key == ("W2",))
    assert changes[2] == Change(Action.held, ("W2",), "its answer was lost", record=create.record,
                                applied=create.applied, source=create.source)  # fmt: skip


def test_in_step_is_unchanged_while_the_state_is_current_and_recorded_when_it_is_not() -> None:
    shirts = category("10", "Shirts")
    desired, actual = [wanted(CATEGORIES, shirts)], keyed(CATEGORIES, [shirts])
    current = {"key": "10", "name": "Shirts", "parent": None, "description": None}
    recorded = Change(Action.record, SHIRTS, "shop already holds it", applied=current, source=source_of(SHIRTS))
    assert diff(CATEGORIES, desired, set(), actual, {SHIRTS: current}) == [
        Change(Action.unchanged, SHIRTS, "unchanged")
    ]
    assert diff(CATEGORIES, desired, set(), actual, {}) == [recorded], "no state"
    stale = current | {"name": "Shirts & tops"}  # applied by an apply that did not finish, say
    assert diff(CATEGORIES, desired, set(), actual, {SHIRTS: stale}) == [recorded]
    short = {"key": "10"}  # recorded before the flow wrote names
    assert diff(CATEGORIES, desired, set(), actual, {SHIRTS: short}) == [recorded]
    unset = {"key": "10", "name": "Shirts"}  # a field missing from the state is as good as empty
    assert diff(CATEGORIES, desired, set(), actual, {SHIRTS: unset})[0].action is Action.unchanged


def test_delete_policies_for_a_record_gone_from_the_source() -> None:
    gone = category("20", "Hats")
    actual, state = keyed(CATEGORIES, [gone]), last_applied(CATEGORIES, [gone])
    assert diff(CATEGORIES, [], set(), actual, state) == [], "never, by default"
    deleting = replace(CATEGORIES, delete=DeletePolicy.delete)
    assert diff(deleting, [], set(), actual, state) == [
        Change(Action.delete, ("20",), "gone from erp; delete policy deletes")
    ]
    assert diff(deleting, [], set(), {}, state) == [], "gone from the target too"
    assert diff(deleting, [], {("20",)}, actual, state) == [], "filtered out, so still in the source"
    assert diff(deleting, [], set(), actual, {}) == [], "never applied by Tillsync"
    broken = Desired(("20",), source_of(("20",)), error="name: required")
    assert [c.action for c in diff(deleting, [broken], set(), actual, state)] == [Action.error], "not gone: broken"


def test_archive_writes_the_record_archived_once() -> None:
    mug = product("2", "Mug")
    [change] = diff(PRODUCTS, [], set(), keyed(PRODUCTS, [mug]), last_applied(PRODUCTS, [mug]))
    assert change == Change(
        Action.archive,
        ("2",),
        "gone from erp; delete policy archives",
        (FieldChange("status", "active", "archived"),),
        record=dump(mug, status="archived"),
        applied=last_applied(PRODUCTS, [mug])[("2",)] | {"status": "archived"},
    )
    archived = product("2", "Mug", status="archived")
    assert diff(PRODUCTS, [], set(), keyed(PRODUCTS, [archived]), last_applied(PRODUCTS, [mug])) == []


def test_errors_and_skips_come_from_the_mapped_records_as_they_are() -> None:
    desired = [
        Desired(("7-A",), {"sku": "7-A"}, error="sku: SKU '7-A' is not numeric"),
        Desired(("8",), {"sku": "8"}, skip="location 9 is not in the flow's location_map"),
    ]
    assert diff(PRODUCTS, desired, set(), {}, {}) == [
        Change(Action.skip, ("8",), "location 9 is not in the flow's location_map", source={"sku": "8"}),
        Change(Action.error, ("7-A",), "sku: SKU '7-A' is not numeric", source={"sku": "7-A"}),
    ]


def test_records_known_unchanged_by_fingerprint_are_unchanged_unbuilt() -> None:
    assert diff(CATEGORIES, [], set(), {}, {}, known_unchanged=[("30",), ("10",)]) == [
        Change(Action.unchanged, ("10",), "unchanged"),
        Change(Action.unchanged, ("30",), "unchanged"),
    ]
    # Known unchanged means still in the source: never gone, whatever the delete policy and the state.
    deleting = replace(CATEGORIES, delete=DeletePolicy.delete)
    hats = category("30", "Hats")
    known = iter([("30",)])  # any iterable, read once
    assert diff(deleting, [], set(), keyed(deleting, [hats]), last_applied(deleting, [hats]), known) == [
        Change(Action.unchanged, ("30",), "unchanged")
    ]


def test_changes_are_sorted_by_action_then_key() -> None:
    deleting = replace(CATEGORIES, delete=DeletePolicy.delete)
    desired = [
        wanted(deleting, category("9", "Socks")),
        Desired(("11",), {}, error="name: required"),
        wanted(deleting, category("2", "Caps")),
        wanted(deleting, category("10", "Shirts & tops")),
        wanted(deleting, category("1", "Belts")),
    ]
    actual = keyed(deleting, [category("10", "Shirts"), category("1", "Belts"), category("5", "Hats")])
    state = last_applied(deleting, [category("10", "Shirts"), category("1", "Belts"), category("5", "Hats")])
    changes = diff(deleting, desired, set(), actual, state, known_unchanged=[("3",)])
    assert [(c.action.value, "/".join(c.key)) for c in changes] == [
        ("create", "2"),
        ("create", "9"),
        ("update", "10"),
        ("delete", "5"),
        ("unchanged", "1"),
        ("unchanged", "3"),
        ("error", "11"),
    ]
