"""A plan keeps the target's records unbuilt and diffs a chunk of records at a time: it plans the same."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

import engine.run.planner
from connectors.files.client import FilesClient
from engine.connector import RawRecord, ReadFilter
from engine.keys import Key
from engine.plan.model import FlowPlan
from engine.records import Entity
from tests.engine.conftest import Repo
from tests.engine.test_apply import CATALOGUE, actions, apply, plan, product


def edited(repo: Repo) -> None:
    """Synced once, then: product 2 changed in the source, 4 gone from it, 6 new, 5 edited in the target."""
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    repo.seed(
        Entity.product, [CATALOGUE[0], product("2", "Mug, large"), CATALOGUE[2], CATALOGUE[4], product("6", "Hat")]
    )
    repo.shop().write(Entity.product, [product("5", "Cap, edited")])


def whole(flow: FlowPlan) -> tuple[object, ...]:
    return flow.changes, flow.fingerprints, flow.source_count, flow.filtered_count


def test_a_plan_diffed_a_few_records_at_a_time_is_the_plan_diffed_at_once(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited(repo)
    [at_once] = plan(repo)
    assert actions([at_once]) == {"create": ["6"], "update": ["2", "5"], "archive": ["4"], "unchanged": ["1", "3"]}
    monkeypatch.setattr(engine.run.planner, "DIFF_CHUNK", 2)
    [in_chunks] = plan(repo)
    assert whole(in_chunks) == whole(at_once)


def test_a_target_record_read_under_a_key_not_its_own_is_diffed_under_its_own(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited(repo)
    [truly] = plan(repo)
    real = FilesClient.read_raw

    def swapped(
        client: FilesClient, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterator[RawRecord]:
        """The shop's products 1 and 3 each read under the other's key."""
        other = {("1",): ("3",), ("3",): ("1",)}
        for raw in real(client, entity, keys, wanted):
            moved = RawRecord(other.get(raw.key, raw.key), raw.fingerprint, raw.build)
            yield moved if "shop" in str(client.folder) else raw

    monkeypatch.setattr(FilesClient, "read_raw", swapped)
    [read_swapped] = plan(repo)
    assert whole(read_swapped) == whole(truly)


def test_a_target_record_no_flow_asks_for_is_neither_built_nor_planned(repo: Repo) -> None:
    """A file is read whole and hands out every record; the plan keeps those it asked for, so a broken
    record of a key the flow has nothing to do with stays none of its business."""
    edited(repo)
    [before] = plan(repo)
    with repo.shop().path(Entity.product).open("a") as shop:
        shop.write('{"sku": "99", "variants": "not a list"}\n')
    [after] = plan(repo)
    assert whole(after) == whole(before)
