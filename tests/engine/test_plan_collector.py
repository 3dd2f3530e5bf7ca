"""A plan is made with the cyclic garbage collector off, and what it made is handed to the collector's
oldest generation, as objects that live long are: never lost to it, never walked by a young collection."""

from __future__ import annotations

import gc
import weakref

from engine.run.planner import _without_cycle_collection


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_what_a_plan_made_is_left_to_the_oldest_generation_and_a_cycle_dropped_meanwhile_is_still_collected() -> None:
    gc.collect()
    with _without_cycle_collection():
        assert not gc.isenabled()
        made = [[index] for index in range(20_000)]  # what a plan makes and keeps: tracked containers
        dropped = weakref.ref(_Cycle())  # a cycle let go during the plan: left to the collector
    assert gc.isenabled()
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in made), "not walked by a young collection first"
    assert gc.get_freeze_count() == 0, "nothing is kept out of full collections"
    assert dropped() is not None
    gc.collect()
    assert dropped() is None, "the cycle is collected as ever"


def test_a_plan_made_with_the_collector_off_leaves_it_off() -> None:
    gc.disable()
    try:
        with _without_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
