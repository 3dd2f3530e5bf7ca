"""Plan and apply through the engine on two `files` folders: the rules a merchant relies on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.files import CONNECTOR as FILES
from connectors.files.client import FilesClient
from engine.connector import Connector, WriteOutcome
from engine.errors import FlowLockedError
from engine.plan import planfile
from engine.plan.model import Action, FlowPlan, Plan
from engine.plan.staleness import StalePlanError
from engine.records import Entity, Money, Product, Record, Variant
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace
from tests.engine.conftest import SPEC, SYSTEMS, Repo


def product(sku: str, title: str, price: str = "10.00", **extra: object) -> Product:
    variant = Variant(sku=sku, price=Money.model_validate(f"{price} EUR"))
    return Product.model_validate({"sku": sku, "title": title, "variants": [variant.model_dump()], **extra})


CATALOGUE = [
    product("1", "Shirt", description="Cotton"),
    product("2", "Mug"),
    product("3", "Towel"),
    product("4", "Apron"),
    product("5", "Cap"),
]


def plan(repo: Repo, flow: str | None = None) -> list[FlowPlan]:
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        return list(runner.plan(workspace, store, runner.select(workspace, flow)).flows)


def apply(repo: Repo, saved: Plan | None = None) -> list[ApplyResult]:
    """What `tillsync apply` does: a sync of every flow, or the saved plan."""
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        flows = runner.select(workspace)
        outcomes = runner.apply_saved(workspace, store, saved, flows) if saved else runner.sync(workspace, store, flows)
    return [outcome.result for outcome in outcomes if outcome.result is not None]


def results(outcomes: list[runner.FlowOutcome]) -> list[ApplyResult]:
    return [outcome.result for outcome in outcomes if outcome.result is not None]


def actions(plans: list[FlowPlan]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for change in plans[0].changes:
        out.setdefault(change.action.value, []).append("/".join(change.key))
    return out


def test_apply_creates_then_the_next_plan_is_empty_and_apply_writes_nothing(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    assert actions(plan(repo)) == {"create": ["1", "2", "3", "4", "5"]}
    [result] = apply(repo)
    assert result.ok and result.counts["create"] == 5
    assert repo.shop().read(Entity.product) == CATALOGUE
    assert actions(plan(repo)) == {"unchanged": ["1", "2", "3", "4", "5"]}
    written = (repo.root / "shop" / "products.jsonl").stat().st_mtime_ns
    [again] = apply(repo)
    assert again.counts["create"] == again.counts["update"] == 0 and again.ok
    assert again.api_calls == 2, "a no-op apply only reads source and target"
    assert (repo.root / "shop" / "products.jsonl").stat().st_mtime_ns == written


def test_update_sends_only_changed_fields_and_never_create_only_ones(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    repo.seed(Entity.product, [product("1", " Shirt XL ", "12.50", description="Changed"), *CATALOGUE[1:]])
    [flow] = plan(repo)
    [change] = [c for c in flow.changes if c.action is Action.update]
    assert change.key == ("1",)
    assert [(f.field, f.before, f.after) for f in change.fields] == [
        ("title", "Shirt", "Shirt XL"),
        ("variants", [{"sku": "1", "price": {"amount": "10.00", "currency": "EUR"}}],
         [{"sku": "1", "price": {"amount": "12.50", "currency": "EUR"}}]),
    ]  # fmt: skip
    apply(repo)
    [shirt] = repo.shop().read(Entity.product, [("1",)])
    assert shirt.title == "Shirt XL" and shirt.description == "Cotton", "description is create-only"


def test_a_product_gone_from_the_source_is_archived_once(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    repo.seed(Entity.product, CATALOGUE[:4])
    [flow] = plan(repo)
    assert actions([flow]) == {"archive": ["5"], "unchanged": ["1", "2", "3", "4"]}
    apply(repo)
    assert repo.shop().read(Entity.product, [("5",)])[0].status == "archived"
    assert "archive" not in actions(plan(repo))


def test_a_record_that_cannot_be_mapped_goes_to_dead_letters_and_retry_replays_only_it(repo: Repo) -> None:
    repo.write_spec(SPEC_WITH_NUMERIC_TITLE_CHECK)
    repo.seed(Entity.product, [*CATALOGUE[:2], product("X-9", "Bad")])
    [result] = apply(repo)
    assert result.failures == ((("X-9",), "sku: SKU 'X-9' is not numeric; this system takes digits only"),)
    assert [p.sku for p in repo.shop().read(Entity.product)] == ["1", "2"], "the run went on"
    with repo.store() as store:
        [letter] = store.dead_letters.open()
    assert letter.key == ("X-9",) and letter.attempts == 1

    repo.seed(Entity.product, [*CATALOGUE[:2], product("9", "Fixed")])
    workspace = repo.workspace()
    with runner.state_store(workspace) as store:
        [gone] = results(runner.retry(workspace, store, runner.select(workspace)))
        assert gone.counts["create"] == 0 and store.dead_letters.open() == [], "a record gone from the source is let go"
        assert [p.sku for p in repo.shop().read(Entity.product)] == ["1", "2"], "retry only replays dead letters"
    repo.seed(Entity.product, [*CATALOGUE[:2], product("X-9", "Bad")])
    apply(repo)
    with runner.state_store(workspace) as store:
        [again] = results(runner.retry(workspace, store, runner.select(workspace)))
        assert again.failures and store.dead_letters.open()[0].attempts == 2


SPEC_WITH_NUMERIC_TITLE_CHECK = (
    SYSTEMS
    + """\
  products:
    entity: product
    from: erp
    to: shop
    mapping:
      sku: numeric_sku(sku)
"""
)


class RefusingClient(FilesClient):
    """A target that refuses records titled 'Refuse me', as an API answers a bad record."""

    refuse = True

    def write(self, entity: Entity, records: list[Record]) -> list[WriteOutcome]:  # type: ignore[override]
        bad = {r.sku for r in records if isinstance(r, Product) and r.title == "Refuse me" and self.refuse}
        outcomes = super().write(entity, [r for r in records if getattr(r, "sku", None) not in bad])
        by_key = {o.key: o for o in outcomes}
        return [
            by_key.get((r.sku,)) or WriteOutcome((r.sku,), error="title: is refused")  # type: ignore[attr-defined]
            for r in records
        ]


def test_a_refused_record_is_dead_lettered_the_rest_written_and_retry_fixes_it(repo: Repo) -> None:
    refusing = Connector(
        "files", FILES.description, FILES.settings, FILES.entities,
        lambda settings, credentials: RefusingClient(settings),  # type: ignore[arg-type]
    )  # fmt: skip
    repo.seed(Entity.product, [product("1", "Fine"), product("2", "Refuse me"), product("3", "Fine too")])
    workspace = load_workspace(repo.root, "test", environ={}, connectors={"files": refusing})
    with runner.state_store(workspace) as store:
        [result] = results(runner.sync(workspace, store, runner.select(workspace)))
        assert result.failures == ((("2",), "title: is refused"),)
        assert [p.sku for p in repo.shop().read(Entity.product)] == ["1", "3"]
        [entry] = [a for a in store.activity.list(key=("2",))]
        assert entry.outcome == "failed" and entry.response == {"error": "title: is refused"}, "the reason, no id"
        RefusingClient.refuse = False
        try:
            [retried] = results(runner.retry(workspace, store, runner.select(workspace)))
        finally:
            RefusingClient.refuse = True
        assert retried.ok and retried.counts["create"] == 1 and store.dead_letters.open() == []
    assert [p.sku for p in repo.shop().read(Entity.product)] == ["1", "2", "3"]


def saved_plan(repo: Repo) -> Plan:
    """A plan as `plan --format json --out FILE` saves it and `apply --plan FILE` reads it back."""
    return planfile.loads(planfile.dumps(Plan("test", tuple(plan(repo)))))


def test_a_saved_plan_is_applied_exactly_or_refused_when_stale(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE[:2])
    saved = saved_plan(repo)
    repo.seed(Entity.product, CATALOGUE)  # the source moved on: the saved plan still holds for what it shows
    [result] = apply(repo, saved)
    assert result.counts["create"] == 2 and [p.sku for p in repo.shop().read(Entity.product)] == ["1", "2"]
    with pytest.raises(StalePlanError, match=r"for 2 records \(1: the plan shows create, now it would do nothing; 2:"):
        apply(repo, saved)  # a saved plan is applied once

    stale = saved_plan(repo)  # creates 3, 4 and 5
    repo.shop().write(Entity.product, [product("3", "Made by hand in the shop")])
    with pytest.raises(StalePlanError, match=r"for 1 record \(3: the plan shows create, now it would update\)"):
        apply(repo, stale)
    assert [p.sku for p in repo.shop().read(Entity.product)] == ["1", "2", "3"], "nothing of a stale flow is written"
    stale = saved_plan(repo)
    repo.write_spec(SPEC.replace("trim(title)", "upper(title)"))
    with pytest.raises(StalePlanError, match="the spec or its environment changed"):
        apply(repo, stale)


TWO_WAY = (
    SYSTEMS
    + """\
  products:
    entity: product
    from: erp
    to: shop
    direction: two-way
    master: MASTER
"""
)


@pytest.mark.parametrize(("master", "winner"), [("erp", "Shirt from ERP"), ("shop", "Shirt from shop")])
def test_a_field_changed_on_both_sides_is_a_conflict_the_master_wins(repo: Repo, master: str, winner: str) -> None:
    repo.write_spec(TWO_WAY.replace("MASTER", master))
    repo.seed(Entity.product, CATALOGUE[:2])
    apply(repo)
    repo.seed(Entity.product, [product("1", "Shirt from ERP"), product("2", "Mug", "11.00")])
    shop = repo.shop()
    shop.write(Entity.product, [product("1", "Shirt from shop"), product("2", "Mug from shop")])
    [flow] = plan(repo)
    by_key = {c.key: c for c in flow.changes}
    conflict = by_key[("1",)]
    assert f"master {master} wins" in conflict.reason
    if master == "erp":  # the source wins: the shop is written
        assert conflict.action is Action.conflict
        assert [(f.field, f.before, f.after) for f in conflict.fields] == [("title", "Shirt from shop", winner)]
    else:  # the shop wins: nothing is written, its value is adopted
        assert conflict.action is Action.adopt and conflict.fields == ()
        assert [(f.field, f.before, f.after) for f in conflict.kept] == [("title", "Shirt from ERP", winner)]
    mug = by_key[("2",)]
    assert [f.field for f in mug.fields] == ["variants"] and [f.field for f in mug.kept] == ["title"]
    apply(repo)
    titles = {p.sku: p.title for p in repo.shop().read(Entity.product)}
    assert titles == {"1": winner, "2": "Mug from shop"}
    assert repo.shop().read(Entity.product, [("2",)])[0].variants[0].price == Money.model_validate("11.00 EUR")
    apply(repo)
    titles = {p.sku: p.title for p in repo.shop().read(Entity.product)}
    assert titles == {"1": winner, "2": "Mug from shop"}, "the master's value and the shop's own change stay"
    assert actions(plan(repo)) == {"unchanged": ["1", "2"]}


def test_two_applies_of_one_flow_never_run_at_once_and_the_held_flow_is_reported(repo: Repo) -> None:
    repo.seed(Entity.product, CATALOGUE)
    workspace = repo.workspace()
    with repo.store() as store, store.lock("shop-sync", "products"):
        with pytest.raises(FlowLockedError, match="applied by"):
            runner.sync_flow(workspace, store, runner.select(workspace)[0])
        [held] = runner.sync(workspace, store, runner.select(workspace))
    assert held.result is None and held.failed is not None and "applied by" in held.failed
    assert repo.shop().read(Entity.product) == []
    assert apply(repo)[0].counts["create"] == 5


def test_stock_is_sent_as_the_formula_per_mapped_location(repo: Repo) -> None:
    from engine.records import StockLevel

    repo.write_spec(
        SPEC
        + """\
  stock:
    entity: stock
    from: erp
    to: shop
    settings:
      stock_formula: max(on_hand - reserved, 0)
      location_map: {"1": warehouse}
"""
    )
    repo.seed(Entity.stock, [
        StockLevel(sku="1", location="1", on_hand=Decimal(5), reserved=Decimal(7)),
        StockLevel(sku="2", location="1", on_hand=Decimal(5), reserved=Decimal(2)),
        StockLevel(sku="2", location="9", on_hand=Decimal(1)),
    ])  # fmt: skip
    [flow] = plan(repo, "stock")
    assert actions([flow]) == {"create": ["1/warehouse", "2/warehouse"], "skip": ["2/9"]}
    skipped = [c.reason for c in flow.changes if c.action is Action.skip]
    assert skipped == ["location 9 is not in the flow's location_map"]
    creates = [c.record for c in flow.changes if c.action is Action.create]
    assert [(r or {}).get("available") for r in creates] == ["0", "3"]


def test_a_target_connectors_default_mapping_applies_unless_the_spec_overrides_it(repo: Repo) -> None:
    from dataclasses import replace

    from engine.mapping.mapper import effective_mapping

    support = FILES.entities[Entity.product]
    defaults = {"title": "upper(title)", "vendor": "'Tillwear'"}
    mapping = effective_mapping({"vendor": "vendor"}, support.catalogue, support.catalogue, defaults)
    assert (mapping["title"], mapping["vendor"], mapping["sku"]) == ("upper(title)", "vendor", "sku")

    shouting = replace(FILES, entities={**FILES.entities, Entity.product: replace(support, defaults=defaults)})
    repo.seed(Entity.product, CATALOGUE[:1])
    workspace = load_workspace(repo.root, "test", environ={}, connectors={"files": shouting})
    with runner.state_store(workspace) as store:
        [flow] = runner.plan(workspace, store, runner.select(workspace)).flows
    [create] = flow.changes
    assert create.record is not None and create.record["title"] == "Shirt", "the spec's trim(title) wins"
    assert create.record["vendor"] == "Tillwear", "the connector's default fills what the spec leaves"
