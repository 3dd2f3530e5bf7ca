"""A large source built a chunk at a time: where a record's own key is the key it maps to, the plan
reads the target first and builds the source as the diff reaches it. The plan is the one made by
building everything first, and a record that maps elsewhere all the same is still planned right."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.plan.model import FlowPlan
from engine.records import Customer, Entity, Product, StockLevel
from engine.run import planner
from engine.run.flow import FlowSetup
from tests.engine.conftest import SYSTEMS, Repo
from tests.engine.test_apply import CATALOGUE, apply, plan, product


def shared_and_broken() -> list[Product]:
    """Products across several chunks of two: one whose variant SKU an earlier one has, one with
    a bad price, and new ones."""
    twin = product("9", "Twin")
    stolen = twin.variants[0].model_copy(update={"sku": "1"})  # product 1's variant SKU
    return [
        *CATALOGUE[:4],
        product("5", "Cap, red"),
        product("6", "Scarf"),
        twin.model_copy(update={"variants": (stolen,)}),
        product("7", "Gloves"),
    ]


def as_compared(flow: FlowPlan) -> list[tuple[str, tuple[str, ...], str, object]]:
    return [(c.action.value, c.key, c.reason, c.record) for c in flow.changes]


def chunks_built(monkeypatch: pytest.MonkeyPatch, size: int) -> list[int]:
    """The plan's source built `size` records at a time: the sizes of the chunks built, as they are."""
    monkeypatch.setattr(planner, "DIFF_CHUNK", size)
    built: list[int] = []
    real = planner._built_in_chunks

    def counted(*args: object) -> object:
        for chunk in real(*args):  # type: ignore[arg-type]
            built.append(len(chunk))
            yield chunk

    monkeypatch.setattr(planner, "_built_in_chunks", counted)
    return built


def test_a_plan_built_a_chunk_at_a_time_is_the_plan_built_whole(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    repo.seed(Entity.product, shared_and_broken())
    built = chunks_built(monkeypatch, 2)
    [in_chunks] = plan(repo)
    assert built and max(built) <= 2, "the source was built a chunk at a time"
    monkeypatch.setattr(FlowSetup, "keys_known_unbuilt", property(lambda self: False))
    built.clear()
    [whole] = plan(repo)
    assert not built
    assert as_compared(in_chunks) == as_compared(whole)
    errors = {c.key: c.reason for c in whole.changes if c.action.value == "error"}
    assert errors == {("9",): "variant SKU 1 is also on product 1; a SKU belongs to one product"}
    assert {c.key for c in whole.changes if c.action.value == "create"} == {("6",), ("7",)}


CUSTOMERS = (
    SYSTEMS
    + """\
  customers:
    entity: customer
    from: erp
    to: shop
"""
)


def test_a_record_mapping_to_another_key_than_its_own_is_planned_against_the_right_target_record(
    repo: Repo,
) -> None:
    """An e-mail address is matched in lower case: the source's own key (as written) is not the key
    it maps to, so the target is read again for the keys the records do map to."""
    repo.write_spec(CUSTOMERS)
    repo.seed(Entity.customer, [Customer(email="ann@example.com", first_name="Ann")], system="shop")
    erp = repo.erp()
    erp.path(Entity.customer).write_text("email,first_name\nAnn@Example.com,Ann\nbob@example.com,Bob\n")
    [flow] = plan(repo)
    actions = {"/".join(c.key): c.action.value for c in flow.changes}
    assert actions == {"ann@example.com": "record", "bob@example.com": "create"}, "Ann is there already"


STOCK = (
    SYSTEMS
    + """\
  stock:
    entity: stock
    from: erp
    to: shop
    settings:
      stock_formula: max(on_hand - reserved, 0)
      location_map: {"1": warehouse, "2": shop-floor}
"""
)


def test_stock_whose_locations_a_map_translates_is_built_a_chunk_at_a_time_and_planned_as_built_whole(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key a level maps to is its own with the location translated: known before it is built, so
    a million levels are never held built at once (a location the map lacks: that level skipped)."""
    repo.write_spec(STOCK)
    levels = [StockLevel(sku=str(n), location=location, on_hand=Decimal(n), reserved=Decimal(1))
              for n in range(1, 6) for location in ("1", "2")]  # fmt: skip
    repo.seed(Entity.stock, levels)
    apply(repo)
    repo.seed(Entity.stock, [*levels[:6], levels[6].model_copy(update={"on_hand": Decimal(40)}),
                             StockLevel(sku="9", location="7", on_hand=Decimal(3))])  # fmt: skip
    repo.shop().write(Entity.stock, [StockLevel(sku="1", location="warehouse", available=Decimal(12))])
    built = chunks_built(monkeypatch, 3)
    [in_chunks] = plan(repo, "stock")
    assert built and max(built) <= 3, "the source was built a chunk at a time"
    monkeypatch.setattr(FlowSetup, "keys_known_unbuilt", property(lambda self: False))
    built.clear()
    [whole] = plan(repo, "stock")
    assert not built
    assert as_compared(in_chunks) == as_compared(whole)
    by_action = {action: sorted("/".join(c.key) for c in whole.changes if c.action.value == action)
                 for action in ("update", "skip")}  # fmt: skip
    assert by_action == {"update": ["1/warehouse", "4/warehouse"], "skip": ["9/7"]}
