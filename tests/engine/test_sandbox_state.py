"""Sandboxes start empty: the state of the flows on them is forgotten, and the plan says new, not gone."""

from __future__ import annotations

from connectors import CONNECTORS
from engine.plan.model import Action
from engine.records import Entity
from engine.run.sandbox_env import forget_sandboxed
from engine.state import Failed
from tests.engine.conftest import Repo
from tests.engine.test_apply import CATALOGUE, apply, plan


def test_a_target_emptied_since_the_last_apply_is_planned_as_gone_or_as_new_once_forgotten(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    (repo.root / "shop" / "products.jsonl").unlink()  # the target started afresh, as a sandbox does
    [again] = plan(repo)
    assert {(c.action, c.reason) for c in again.changes} == {
        (Action.create, "gone from shop since the last apply; will be created again")
    }
    with repo.store() as store:
        run = store.runs.start("shop-sync", "products", "apply")
        store.journal.intend(run, "shop-sync", "products", [(("1",), "create", {"sku": "1"})])
        store.record_batch(run, "shop-sync", "products", failed=[Failed(("2",), "create", "refused")])
        store.applied.set_cursor("shop-sync", "products", "2026-11-01T00:00:00Z")

    assert forget_sandboxed(repo.root, "test", CONNECTORS, {("other", "shop")}) == [], "no flow of this one's"
    assert forget_sandboxed(repo.root, "test", CONNECTORS, {("shop-sync", "shop")}) == ["shop-sync/products"]
    with repo.store() as store:
        assert store.applied.documents("shop-sync", "products") == {}
        assert store.applied.cursor("shop-sync", "products") is None
        assert store.journal.open_intents("shop-sync", "products") == [], "nothing left to settle in the old one"
        assert store.dead_letters.open() == []
        assert len(store.runs.list()) == 2, "the runs stay, as history"
    [fresh] = plan(repo)
    assert {(c.action, c.reason) for c in fresh.changes} == {(Action.create, "new in erp")}
    assert forget_sandboxed(repo.root, "test", CONNECTORS, {("shop-sync", "shop")}) == [], "nothing left to forget"


def test_sandbox_up_says_what_it_forgot(repo: Repo) -> None:
    from engine.cli.sandboxes import started_afresh

    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    assert started_afresh(repo.root, "test", [("shop-sync", "shop")], CONNECTORS) == (
        "the sandboxes start empty: forgot what 1 flow of test applied to them before, so the next plan creates it anew"
    )
    assert started_afresh(repo.root, "test", [("shop-sync", "shop")], CONNECTORS) == "the sandboxes start empty"
    (repo.root / "specs" / "shop-sync.yaml").write_text("version: 1\n")
    assert started_afresh(repo.root, "test", [("shop-sync", "shop")], CONNECTORS).startswith(
        "the sandboxes start empty, but what test applied to them before is still remembered: "
    ), "a spec that does not load stops no sandbox"
