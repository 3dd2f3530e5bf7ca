"""Between reconciliations a plan reads the target only for records whose source changed since the
last apply; a change made in the target outside Tillsync is still found, nothing is written twice,
and the plan still shows every record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import engine.run.planner
from engine.keys import Key
from engine.plan.model import FlowPlan
from engine.records import Entity
from engine.run import runner
from engine.spec.models import Flow
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE, actions, apply, product

RECONCILED = SPEC.replace("    delete: archive\n", "    delete: archive\n    reconcile: 1d\n")


@pytest.fixture
def target_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[Key]]:
    """The keys each plan asked the target for."""
    asked: list[list[Key]] = []
    real = engine.run.planner.read_target

    def reading(setup: Any, client: Any, keys: Iterable[Key], *args: Any, **kwargs: Any) -> Any:
        keys = list(keys)
        asked.append(keys)
        return real(setup, client, keys, *args, **kwargs)

    monkeypatch.setattr(engine.run.planner, "read_target", reading)
    return asked


def plan(repo: Repo, *, full: bool = False) -> FlowPlan:
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        [flow] = runner.plan(workspace, store, runner.select(workspace), full=full).flows
    return flow


def synced(repo: Repo) -> None:
    repo.write_spec(RECONCILED)
    repo.seed(Entity.product, CATALOGUE)
    [first] = apply(repo)
    assert first.plan is not None and first.plan.reconciled, "the first run reads the whole target"


def test_between_reconciliations_only_the_records_whose_source_changed_are_read_in_the_target(
    repo: Repo, target_reads: list[list[Key]]
) -> None:
    synced(repo)
    repo.seed(Entity.product, [*CATALOGUE[:3], product("4", "Apron, blue"), CATALOGUE[4]])
    target_reads.clear()
    flow = plan(repo)
    assert target_reads == [[("4",)]]
    assert not flow.reconciled
    assert actions([flow]) == {"update": ["4"], "unchanged": ["1", "2", "3", "5"]}, "every record is still shown"
    assert [(c.field, c.before, c.after) for c in flow.changes[0].fields] == [("title", "Apron", "Apron, blue")]


def test_a_no_op_reads_nothing_in_the_target(repo: Repo, target_reads: list[list[Key]]) -> None:
    synced(repo)
    target_reads.clear()
    [again] = apply(repo)
    assert target_reads == [[]], "no record is asked of the target"
    assert again.plan is not None and actions([again.plan]) == {"unchanged": ["1", "2", "3", "4", "5"]}
    target_reads.clear()
    assert actions([plan(repo)]) == {"unchanged": ["1", "2", "3", "4", "5"]} and target_reads == [[]]


def test_a_target_edit_is_found_by_plan_full_and_by_the_next_scheduled_reconciliation(repo: Repo) -> None:
    synced(repo)
    repo.shop().write(Entity.product, [product("2", "Mug (edited in the shop)")])
    assert actions([plan(repo)]) == {"unchanged": ["1", "2", "3", "4", "5"]}, "not read between reconciliations"
    full = plan(repo, full=True)
    assert full.reconciled and actions([full]) == {"update": ["2"], "unchanged": ["1", "3", "4", "5"]}
    assert full.changes[0].fields[0].reason == "overwrites a change made in shop"
    with repo.store() as store:  # the last reconciliation was two days ago: one is due
        store.applied.set_reconciled("shop-sync", "products", datetime.now(UTC) - timedelta(days=2))
    due = plan(repo)
    assert due.reconciled and actions([due]) == {"update": ["2"], "unchanged": ["1", "3", "4", "5"]}
    [result] = apply(repo)
    assert result.counts["update"] == 1
    assert repo.shop().read(Entity.product, [("2",)]) == [CATALOGUE[1]]


def test_a_record_a_webhook_names_is_read_in_the_target_at_once(repo: Repo) -> None:
    synced(repo)
    repo.shop().write(Entity.product, [product("3", "Towel (edited in the shop)")])
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        [item] = runner.select(workspace)
        outcome = runner.sync_flow(workspace, store, item, kind="event", source_keys=[("3",)])
    assert outcome.plan is not None and actions([outcome.plan]) == {"update": ["3"]}
    assert repo.shop().read(Entity.product, [("3",)]) == [CATALOGUE[2]]


def test_nothing_is_written_twice(repo: Repo) -> None:
    synced(repo)
    repo.seed(Entity.product, [product("1", "Shirt, long"), *CATALOGUE[1:]])
    [written] = apply(repo)
    assert written.counts["update"] == 1
    for full in (False, True):  # neither the next plan nor a reconciliation writes it again
        flow = plan(repo, full=full)
        assert sorted(actions([flow])) == ["unchanged"], actions([flow])
    [again] = apply(repo)
    assert again.counts["update"] == 0 and again.counts["create"] == 0
    assert [p.title for p in repo.shop().read(Entity.product)] == ["Shirt, long", "Mug", "Towel", "Apron", "Cap"]


def test_a_plan_shown_as_a_reconciliation_is_applied_as_one(repo: Repo) -> None:
    synced(repo)
    repo.shop().write(Entity.product, [product("5", "Cap (edited in the shop)")])
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        flows = runner.select(workspace)
        shown = runner.plan(workspace, store, flows, full=True)
        [outcome] = runner.apply_saved(workspace, store, shown, flows)
    assert outcome.result is not None and outcome.result.counts["update"] == 1
    assert repo.shop().read(Entity.product, [("5",)]) == [CATALOGUE[4]]


def test_a_source_record_gone_is_still_archived(repo: Repo) -> None:
    synced(repo)
    repo.seed(Entity.product, CATALOGUE[:4])
    assert actions([plan(repo)]) == {"archive": ["5"], "unchanged": ["1", "2", "3", "4"]}


@pytest.mark.parametrize(("text", "every"), [("30m", timedelta(minutes=30)), ("6h", timedelta(hours=6)),
                                             ("1d", timedelta(days=1))])  # fmt: skip
def test_the_reconciliation_schedule_is_a_duration(text: str, every: timedelta) -> None:
    assert _flow(reconcile=text).reconcile_every == every
    assert _flow().reconcile_every is None


@pytest.mark.parametrize("text", ["0h", "2w", "1.5h", "h", "daily"])
def test_a_reconciliation_schedule_that_is_no_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="reconcile"):
        _flow(reconcile=text)


def _flow(**extra: Sequence[str] | str) -> Flow:
    return Flow.model_validate({"entity": "product", "from": "erp", "to": "shop", **extra})
