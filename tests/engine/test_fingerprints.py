"""Records known unchanged by their fingerprints: a plan builds only what may have changed, and plans the same."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import connectors.files.client
import connectors.files.csvread
import connectors.files.formats
from engine.plan.model import Action, FlowPlan
from engine.records import Entity, Record
from engine.run import runner
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.systems import Systems, open_systems
from engine.state import Written
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE, actions, apply, plan, product, saved_plan


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many records each folder had built, from the start of the test, and how many keys were read
    from the shop's JSON Lines (a line parsed for its key)."""
    counts: Counter[str] = Counter()
    real = connectors.files.formats.from_document

    def counting(entity: Entity, data: Any, where: str, model: type[Record] | None = None) -> Record:
        counts["erp" if "erp" in where.split("/") else "shop"] += 1
        return real(entity, data, where, model)

    real_line = connectors.files.client._from_line

    def counting_line(entity: Entity, line: str, where: str, unreadable: str | None) -> Record:
        counts["erp" if "erp" in where.split("/") else "shop"] += 1
        return real_line(entity, line, where, unreadable)

    real_parsed = connectors.files.client._parsed

    def counting_parsed(line: str) -> object:  # a JSON Lines record's line parsed: its key read
        counts["shop keys"] += 1
        return real_parsed(line)

    monkeypatch.setattr(connectors.files.client, "_parsed", counting_parsed)
    monkeypatch.setattr(connectors.files.formats, "from_document", counting)
    monkeypatch.setattr(connectors.files.client, "from_document", counting)
    monkeypatch.setattr(connectors.files.client, "_from_line", counting_line)
    monkeypatch.setattr(connectors.files.csvread, "from_document", counting)
    return counts


def synced_twice(repo: Repo) -> None:
    """Synced, and synced again: the second run finds everything unchanged and remembers it."""
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    [again] = apply(repo)
    assert again.plan is not None and len(again.plan.fingerprints) == len(CATALOGUE)


def unchanged(flow: FlowPlan) -> list[str]:
    return ["/".join(c.key) for c in flow.changes if c.action is Action.unchanged]


def test_a_plan_builds_only_the_records_whose_fingerprints_changed(repo: Repo, built: Counter[str]) -> None:
    synced_twice(repo)
    repo.seed(Entity.product, [*CATALOGUE[:3], product("4", "Apron, blue"), CATALOGUE[4]])
    built.clear()
    [flow] = plan(repo)
    assert actions([flow]) == {"update": ["4"], "unchanged": ["1", "2", "3", "5"]}
    assert built == {"erp": 1, "shop": 1, "shop keys": 1}, "only product 4 is built on both sides, its key alone read"
    assert flow.source_count == 5 and flow.filtered_count == 0
    assert [item.key for item in flow.fingerprints] == [], "the records known unchanged need not be remembered again"


def test_the_first_plan_in_step_after_an_apply_remembers_and_the_next_builds_nothing(
    repo: Repo, built: Counter[str]
) -> None:
    repo.seed(Entity.product, CATALOGUE)
    [first] = apply(repo)
    assert first.plan is not None and first.plan.fingerprints == (), "nothing is remembered before the state is current"
    built.clear()
    [second] = apply(repo)
    assert second.plan is not None and sorted(item.key for item in second.plan.fingerprints) == [(s,) for s in "12345"]
    assert built == {"erp": 5, "shop": 5, "shop keys": 5}
    built.clear()
    [third] = plan(repo)
    assert unchanged(third) == ["1", "2", "3", "4", "5"] and not built


def test_a_change_made_in_the_target_is_seen_though_the_source_is_unchanged(repo: Repo, built: Counter[str]) -> None:
    synced_twice(repo)
    repo.shop().write(Entity.product, [product("2", "Mug", "12.00")])
    built.clear()
    [flow] = plan(repo)
    assert actions([flow]) == {"update": ["2"], "unchanged": ["1", "3", "4", "5"]}
    assert built["erp"] == 1, "the source record of a target changed since is built after all"
    [result] = apply(repo)
    assert result.counts["update"] == 1
    assert repo.shop().read(Entity.product, [("2",)]) == [CATALOGUE[1]]


def test_a_record_gone_from_either_side_is_planned_as_ever(repo: Repo) -> None:
    synced_twice(repo)
    repo.shop().delete(Entity.product, [("3",)])
    repo.seed(Entity.product, [c for c in CATALOGUE if c.sku != "5"])
    assert actions(plan(repo)) == {"create": ["3"], "archive": ["5"], "unchanged": ["1", "2", "4"]}


def test_a_changed_spec_makes_every_record_be_built_again(repo: Repo, built: Counter[str]) -> None:
    synced_twice(repo)
    repo.write_spec(SPEC.replace("title: trim(title)", "title: upper(title)"))
    built.clear()
    [flow] = plan(repo)
    assert actions([flow]) == {"update": ["1", "2", "3", "4", "5"]}
    assert built == {"erp": 5, "shop": 5, "shop keys": 5}


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda spec: spec + "# a comment\n", id="a comment"),
        pytest.param(
            lambda spec: spec.replace(
                "  products:\n", "  notes:\n    entity: category\n    from: erp\n    to: shop\n  products:\n"
            ),
            id="another flow",
        ),
        pytest.param(lambda spec: "description: Shop sync\n" + spec, id="the description"),
    ],
)
def test_an_edit_elsewhere_in_the_spec_leaves_what_is_remembered_of_a_flow_holding(
    repo: Repo, built: Counter[str], edit: Any
) -> None:
    """What a flow's plan depends on is its flow, its systems and the value maps: a pull request that
    touches another flow, or only the file's text, leaves this one's plan as cheap as before."""
    synced_twice(repo)
    repo.write_spec(edit(SPEC))
    repo.seed(Entity.product, [*CATALOGUE[:3], product("4", "Apron, blue"), CATALOGUE[4]])
    built.clear()
    flow = next(flow for flow in plan(repo) if flow.flow == "products")
    assert actions([flow]) == {"update": ["4"], "unchanged": ["1", "2", "3", "5"]}
    assert built == {"erp": 1, "shop": 1, "shop keys": 1}, "only the changed record is built"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda spec: spec + "value_maps:\n  sizes: {S: Small}\n", id="a value map"),
        pytest.param(lambda spec: spec.replace("batch_size: 2", "batch_size: 3"), id="the flow's settings"),
        pytest.param(lambda spec: spec.replace("format: csv", "format: csv, delimiter: ','"), id="a system's settings"),
    ],
)
def test_an_edit_to_what_a_flow_depends_on_builds_every_source_record_again(
    repo: Repo, built: Counter[str], edit: Any
) -> None:
    synced_twice(repo)
    repo.write_spec(edit(SPEC))
    built.clear()
    [flow] = plan(repo)
    assert actions([flow]) == {"unchanged": ["1", "2", "3", "4", "5"]}
    assert built["erp"] == 5, "what was remembered was taken under what the flow depended on then"


def test_after_a_spec_edit_every_source_record_is_built_but_no_target_record_read_as_last_in_step(
    repo: Repo, built: Counter[str]
) -> None:
    """The spec edited (the source mapped anew), the diff policy not: a target record whose text is as
    when last found in step is not built, unless its source record now gives something else."""
    synced_twice(repo)
    repo.write_spec(SPEC.replace("trim(title)", "trim(@.title)"))  # the same values, but what it maps to is found again
    repo.seed(Entity.product, [*CATALOGUE[:3], product("4", "Apron, blue"), CATALOGUE[4]])
    repo.shop().write(Entity.product, [product("2", "Mug", "12.00")])  # edited in the shop
    built.clear()
    [flow] = plan(repo)
    assert actions([flow]) == {"update": ["2", "4"], "unchanged": ["1", "3", "5"]}
    assert built == {"erp": 5, "shop": 2, "shop keys": 2}, "the shop's records 1, 3 and 5 are neither built nor keyed"
    assert sorted(item.key for item in flow.fingerprints) == [("1",), ("3",), ("5",)], "remembered under the new spec"
    apply(repo)
    built.clear()
    [again] = plan(repo)
    assert unchanged(again) == ["1", "2", "3", "4", "5"] and built == {"erp": 2, "shop": 2, "shop keys": 2}


def test_a_target_record_held_twice_is_built_though_one_of_its_lines_is_as_last_in_step(repo: Repo) -> None:
    synced_twice(repo)
    repo.write_spec(SPEC.replace("trim(title)", "trim(@.title)"))
    shop = repo.shop().path(Entity.product)
    lines = shop.read_text().splitlines(keepends=True)
    second = next(line for line in lines if '"sku": "3"' in line).replace(CATALOGUE[2].title, "Added by hand")
    shop.write_text("".join([*lines, second]))  # after the line as last in step: this one is read last
    [flow] = plan(repo)
    assert actions([flow]) == {"update": ["3"], "unchanged": ["1", "2", "4", "5"]}, "as when every record is built"


def test_a_changed_diff_policy_builds_every_target_record_again(repo: Repo, built: Counter[str]) -> None:
    synced_twice(repo)
    repo.write_spec(SPEC.replace("create_only: [description]", "create_only: []"))
    built.clear()
    [flow] = plan(repo)
    assert actions([flow]) == {"unchanged": ["1", "2", "3", "4", "5"]}
    assert built == {"erp": 5, "shop": 5, "shop keys": 5}, "compared otherwise: what was compared before tells nothing"


def test_a_record_written_since_is_not_taken_as_unchanged(repo: Repo, built: Counter[str]) -> None:
    """Another run wrote product 1 (its last-applied document changed): what was remembered of it no longer holds."""
    synced_twice(repo)
    with repo.store() as store:
        run = store.runs.start("shop-sync", "products", "apply")
        document = {"title": "Shirt, as written by another run"}
        store.record_batch(run, "shop-sync", "products", written=[Written(("1",), "update", document)])
        assert ("1",) not in {memory.key for memory in store.applied.keys("shop-sync", "products").unchanged.values()}
    built.clear()
    [flow] = plan(repo)
    assert built == {"erp": 1, "shop": 1, "shop keys": 1}
    assert next(c.applied for c in flow.changes if c.key == ("1",)) is not None, "the state is put right"


def test_a_saved_plan_carries_the_fingerprints_it_found_to_apply(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    saved = saved_plan(repo)
    assert len(saved.flows[0].fingerprints) == 5
    apply(repo, saved)
    with repo.store() as store:
        assert len(store.applied.keys("shop-sync", "products").unchanged) == 5


def test_only_and_source_keys_narrow_records_known_unchanged_too(repo: Repo) -> None:
    synced_twice(repo)
    workspace = repo.workspace()
    [selected] = runner.select(workspace)
    setup = FlowSetup.of(selected.deployment, selected.flow)
    with runner.state_store(workspace) as store, open_systems(workspace, selected.deployment) as systems:
        narrowed = plan_flow(workspace, setup, systems, store, only={("2",)})
        by_event = plan_flow(workspace, setup, systems, store, source_keys=[("3",), ("4",)])
    assert [c.key for c in narrowed.changes] == [("2",)]
    assert [c.key for c in by_event.changes] == [("3",), ("4",)]


def test_a_new_record_mapping_onto_a_key_known_unchanged_is_the_error(repo: Repo) -> None:
    repo.write_spec(
        SPEC.replace("      title: trim(title)\n", "      title: trim(title)\n      sku: value_map('skus', sku, sku)\n")
        + "value_maps:\n  skus: {'9': '2'}\n"
    )
    synced_twice(repo)
    repo.seed(Entity.product, [*CATALOGUE, product("9", "Mug, renumbered")])
    [flow] = plan(repo)
    by_action = actions([flow])
    assert by_action["error"] == ["2"] and by_action["unchanged"] == ["1", "2", "3", "4", "5"]
    [error] = [c for c in flow.changes if c.action is Action.error]
    assert "another source record also maps to 2" in error.reason and error.source and error.source["sku"] == "9"


class WithoutRawReads:
    """A client that only builds records, as most API connectors do."""

    def __init__(self, client: connectors.files.client.FilesClient) -> None:
        self.client = client
        self.read = client.read
        self.write = client.write
        self.delete = client.delete
        self.close = client.close
        self.calls = 0


def test_a_connector_without_raw_reads_is_fingerprinted_by_its_records(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.connector import RawReader, read_raw

    shop = WithoutRawReads(repo.shop())
    assert not isinstance(shop, RawReader)
    synced_twice(repo)
    repo.seed(Entity.product, [*CATALOGUE[:4], product("5", "Cap, red")])
    original = Systems.client
    monkeypatch.setattr(Systems, "client", lambda self, name: shop if name == "shop" else original(self, name))
    [first] = [r.fingerprint for r in read_raw(shop, Entity.product, [("1",)])]  # type: ignore[arg-type]
    assert first == next(r.fingerprint for r in read_raw(shop, Entity.product, [("1",)]))  # type: ignore[arg-type]
    [flow] = plan(repo)  # the shop's records were remembered by their raw text; now by their JSON
    assert actions([flow]) == {"update": ["5"], "unchanged": ["1", "2", "3", "4"]}
    apply(repo)
    apply(repo)
    [again] = plan(repo)
    assert unchanged(again) == ["1", "2", "3", "4", "5"] and again.fingerprints == ()
