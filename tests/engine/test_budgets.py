"""The shared rate budget's model (`engine.state.budgets`): what a caller may send next, given what
the others drew and the system reported. Times come from a clock the test moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.state import StateStore
from engine.state.budgets import IN_FLIGHT_FORGOTTEN_AFTER, BudgetStore

KEY = "shopify:https://shop.example"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def budget(tmp_path: Path) -> tuple[BudgetStore, Clock]:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    clock = Clock()
    return BudgetStore(store.engine, clock), clock


def test_a_report_lowers_the_bucket_by_what_others_drew_and_have_not_settled(budget: tuple[BudgetStore, Clock]) -> None:
    """The first caller guessed the bucket large; the system's first answer reports 10 left of 12,
    taken before the second caller's request reached it: that request's points are still to come."""
    model, _ = budget
    first, second = model.draw(KEY, 6, 1_000, 10), model.draw(KEY, 6, 1_000, 10)
    assert (first.wait, second.wait) == (0, 0)
    model.settle(KEY, first, 6, 2, reported=10, capacity=12, restore_rate=10)  # charged 2 of 6 drawn
    assert model.level(KEY) == pytest.approx(4), "10 reported, less the 6 the other caller drew"
    model.settle(KEY, second, 6, 2, reported=8, capacity=12, restore_rate=10)
    assert model.level(KEY) == pytest.approx(8), "both settled: 12 less the 2 and 2 charged"


def test_a_report_raises_the_bucket_only_when_nobody_came_in_between(budget: tuple[BudgetStore, Clock]) -> None:
    """An attempt whose answer was lost is settled as charged in full; the next answer, with nobody
    else drawing meanwhile, tells what is really left."""
    model, _ = budget
    lost = model.draw(KEY, 10, 12, 10)
    model.settle(KEY, lost, 10, 10, reported=None, capacity=12, restore_rate=10)
    alone = model.draw(KEY, 2, 12, 10)
    model.settle(KEY, alone, 2, 1, reported=11, capacity=12, restore_rate=10)
    assert model.level(KEY) == pytest.approx(11), "raised to the report: the lost attempt was charged 0"
    mine = model.draw(KEY, 2, 12, 10)
    other = model.draw(KEY, 2, 12, 10)
    model.settle(KEY, other, 2, 2, reported=None, capacity=12, restore_rate=10)
    model.settle(KEY, mine, 2, 1, reported=12, capacity=12, restore_rate=10)
    assert model.level(KEY) == pytest.approx(8), "another came in between: the model, never raised"


def test_a_draw_never_settled_is_forgotten_once_the_bucket_is_left_alone(budget: tuple[BudgetStore, Clock]) -> None:
    """A caller that died between drawing and settling would otherwise hold the bucket down for ever."""
    model, clock = budget
    model.draw(KEY, 5, 12, 10)  # its caller dies
    model.draw(KEY, 1, 12, 10)  # and another that never settles either
    clock.now += IN_FLIGHT_FORGOTTEN_AFTER + 1
    drawn = model.draw(KEY, 5, 12, 10)
    other = model.draw(KEY, 1, 12, 10)  # so the report cannot raise the bucket on its own
    model.settle(KEY, drawn, 5, 5, reported=7, capacity=12, restore_rate=10)
    assert model.level(KEY) == pytest.approx(6), "7 reported less the other's 1 in flight; the dead 5 forgotten"
    model.settle(KEY, other, 1, 1, reported=None, capacity=12, restore_rate=10)


def test_draws_beyond_the_bucket_wait_their_turn(budget: tuple[BudgetStore, Clock]) -> None:
    model, _ = budget
    assert model.draw(KEY, 12, 12, 10).wait == 0
    assert model.draw(KEY, 5, 12, 10).wait == pytest.approx(0.5)
    assert model.draw(KEY, 5, 12, 10).wait == pytest.approx(1.0)
