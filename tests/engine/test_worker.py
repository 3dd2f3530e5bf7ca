"""The event worker: a webhook's flows run for the records the events name, and no event is lost."""

from __future__ import annotations

import shutil
import time

from engine.cli import main
from engine.records import Entity
from engine.webhooks.worker import EventWorker
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE


def event(repo: Repo, webhook_id: str, keys: list[list[str]], flows: tuple[str, ...] = ("products",)) -> None:
    with repo.store() as store:
        store.events.record("shop-sync", "erp", webhook_id, "products/update", "product", list(flows), keys, {})


def drained(repo: Repo) -> tuple[list[str], int]:
    """(SKUs the shop holds after one pass, events still pending)."""
    with repo.store() as store:
        EventWorker(repo.workspace(), store).drain()
        pending = len(store.events.pending())
    return sorted(p.sku for p in repo.shop().read(Entity.product)), pending


def test_a_run_reads_and_writes_only_the_records_the_events_name(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [["1"]])
    event(repo, "w-2", [["3"], ["1"]])
    assert drained(repo) == (["1", "3"], 0)
    with repo.store() as store:
        assert store.applied.cursor("shop-sync", "products") is None, "a partial read moves no cursor"
        assert [(r["kind"], r["status"]) for r in store.runs.list()] == [("event", "succeeded")], "one run for both"


def test_an_event_that_names_no_record_runs_the_whole_flow(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [["1"]])
    event(repo, "w-2", [])
    assert drained(repo) == (sorted(p.sku for p in CATALOGUE), 0)


def test_a_record_not_named_is_not_archived(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [])
    drained(repo)
    event(repo, "w-2", [["2"]])  # the flow archives what left the source; a keyed run cannot tell
    assert drained(repo) == (sorted(p.sku for p in CATALOGUE), 0)
    assert all(p.status != "archived" for p in repo.shop().read(Entity.product))


def test_a_run_that_fails_leaves_its_events_pending_and_a_later_pass_takes_them(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    shutil.rmtree(repo.root / "erp")
    event(repo, "w-1", [["1"]])
    assert drained(repo)[1] == 1
    repo.root.joinpath("erp").mkdir()
    repo.seed(Entity.product, CATALOGUE)
    assert drained(repo) == (["1"], 0)


def test_an_event_is_done_only_when_every_flow_it_affects_ran(repo: Repo) -> None:
    gone = "  gone: {connector: files, settings: {path: gone, format: csv}}\nflows:\n"
    stock = "  stock:\n    entity: stock\n    from: gone\n    to: shop\n"
    repo.write_spec(SPEC.replace("flows:\n", gone) + stock)
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [["1"]], flows=("products", "stock"))  # the folder `gone` is not there: that run fails
    assert drained(repo) == (["1"], 1)
    with repo.store() as store:
        [waiting] = store.events.pending()
    assert waiting.flows == ["stock"], "done for the flow that ran, pending for the one that failed"
    (repo.root / "gone").mkdir()
    (repo.root / "gone" / "stock.csv").write_text("sku,location,on_hand\n1,1,5\n")
    assert drained(repo) == (["1"], 0)


def test_a_run_stopped_at_the_gate_leaves_its_events_pending(repo: Repo) -> None:
    """An event run is unattended: the flow's gate holds it like a scheduled one, and nothing is lost."""
    repo.write_spec(SPEC + "    gate: {max_change_share: 0.1, min_changes: 1}\n")
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [["1"], ["2"]])  # two creates of two records read: beyond the gate
    assert drained(repo) == ([], 1)
    with repo.store() as store:
        assert [(r["kind"], r["status"]) for r in store.runs.list()] == [("event", "stopped")]
    assert main(["apply", "--env", "test", "--yes"]) == 0  # a person looked, and applied
    assert drained(repo) == (["1", "2", "3", "4", "5"], 0)


def test_an_event_runs_share_of_change_is_of_what_the_flow_holds_not_of_the_records_it_names(repo: Repo) -> None:
    """The records events name all changed in the source: a new one beside four held is a fifth of the flow."""
    repo.write_spec(SPEC + "    gate: {max_change_share: 0.5, min_changes: 1}\n")
    repo.seed(Entity.product, CATALOGUE[:4])
    assert main(["apply", "--env", "test", "--yes"]) == 0
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [["5"]])
    assert drained(repo) == (["1", "2", "3", "4", "5"], 0)


def test_events_of_a_flow_no_longer_there_are_set_aside(repo: Repo) -> None:
    event(repo, "w-1", [["1"]], flows=("gone",))
    assert drained(repo) == ([], 0)


def test_the_started_worker_runs_what_is_waiting_and_what_it_is_woken_for(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    event(repo, "w-1", [["1"]])
    with repo.store() as store:
        worker = EventWorker(repo.workspace(), store)
        worker.start()
        try:
            wait_until(lambda: not store.events.pending())
            store.events.record("shop-sync", "erp", "w-2", "products/update", "product", ["products"], [["2"]], {})
            worker.wake()
            wait_until(lambda: not store.events.pending())
        finally:
            worker.stop()
    assert sorted(p.sku for p in repo.shop().read(Entity.product)) == ["1", "2"]


def wait_until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "the worker did not get to it"
        time.sleep(0.02)
