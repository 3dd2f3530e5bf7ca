"""One bad record never stops a run: it is that record's error, the others and the other flows go on.

Each test breaks records the way a tester did (a price `NaN EUR`, `1e400`, a tax rate `abc`, a
stock of `lots`, a row twice, a JSON line that is a list, a zero quantity, a product without a
variant for a target that needs one) and checks that the good records are written, the bad ones
wait in dead letters with a reason that says where, and the CLI reports every flow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest

from connectors.files import CONNECTOR as FILES
from connectors.files.client import FilesClient
from engine.cli import main
from engine.connector import Connector, RawRecord, ReadFilter, WriteInterrupted, WriteOutcome, settled_so_far
from engine.errors import FatalConnectorError, RetriableConnectorError
from engine.keys import Key
from engine.records import Entity, Order, Record, record_key
from engine.run import runner
from engine.run.workspace import load_workspace
from tests.engine.conftest import SPEC, SYSTEMS, Repo

HEADER = "sku,title,variants.sku,variants.price,variants.tax_rate\n"
GOOD = "1,Shirt,1,10.00 EUR,21\n2,Mug,2,5.00 EUR,21\n"


def dead_letters(repo: Repo) -> dict[str, str]:
    with repo.store() as store:
        return {"/".join(letter.key): letter.reason for letter in store.dead_letters.open()}


def written(repo: Repo) -> list[str]:
    return sorted(p.sku for p in repo.shop().read(Entity.product))


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("3,Towel,3,NaN EUR,21", "'NaN EUR' is not an amount; expected e.g. 1234.50 EUR"),
        ("3,Towel,3,1e400 EUR,21", "'1e400 EUR' is not an amount"),
        ("3,Towel,3,10.00,21", "'10.00' names no currency; write e.g. 1234.50 EUR, or set the system's currency"),
        ("3,Towel,3,10.00 EUR,abc", "tax_rate"),
        ("3,Towel,3,10000000000000000 EUR,21", "less than or equal to 1E+15"),
        ("3,Towel,3,10.00 EUR,21,surplus", "5 columns"),
        (",Towel,3,10.00 EUR,21", "sku"),
    ],
)
def test_a_bad_csv_row_is_that_records_error_and_the_rest_is_written(repo: Repo, row: str, reason: str) -> None:
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + row + "\n")
    assert main(["apply", "--env", "test", "--yes"]) == 1
    assert written(repo) == ["1", "2"]
    [why] = dead_letters(repo).values()
    assert "products.csv:4" in why and reason in why, why


def test_a_category_row_twice_is_that_categorys_error_and_the_rest_is_written(repo: Repo) -> None:
    repo.write_spec(SYSTEMS + "  categories:\n    entity: category\n    from: erp\n    to: shop\n")
    (repo.root / "erp" / "categories.csv").write_text("key,name\n10,Shirts\n20,Mugs\n10,Shirts again\n")
    assert main(["apply", "--env", "test", "--yes"]) == 1
    assert [c.key for c in repo.shop().read(Entity.category)] == ["20"]
    assert "duplicate category 10 (first on line 2)" in dead_letters(repo)["10"]


def test_a_json_line_that_is_no_record_is_that_lines_error(repo: Repo) -> None:
    repo.write_spec(SPEC.replace("erp: {connector: files, settings: {path: erp, format: csv}}",
                                 "erp: {connector: files, settings: {path: erp, format: jsonl}}"))  # fmt: skip
    lines = ['{"sku": "1", "title": "Shirt", "variants": [{"sku": "1"}]}', '["not", "a", "record"]', "{broken",
             '{"sku": "2", "title": "Mug", "variants": [{"sku": "2"}]}']  # fmt: skip
    (repo.root / "erp" / "products.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["apply", "--env", "test", "--yes"]) == 1
    assert written(repo) == ["1", "2"]
    letters = dead_letters(repo)
    assert any("products.jsonl:2" in key and "expected an object" in why for key, why in letters.items()), letters
    assert any("products.jsonl:3" in key and "invalid JSON" in why for key, why in letters.items()), letters


STOCK_AND_ORDERS = (
    SPEC
    + """\
  stock:
    entity: stock
    from: erp
    to: shop
  orders:
    entity: order
    from: erp
    to: shop
"""
)


def test_a_bad_record_of_one_flow_leaves_the_other_flows_alone(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write_spec(STOCK_AND_ORDERS)
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD)
    (repo.root / "erp" / "stock.csv").write_text("sku,location,on_hand\n1,1,5\n2,1,lots\n")
    (repo.root / "erp" / "orders.csv").write_text(
        "number,currency,lines.sku,lines.quantity,lines.price\nW1,EUR,1,0,10.00 EUR\nW2,EUR,1,2,10.00 EUR\n"
    )
    assert main(["apply", "--env", "test", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "shop-sync/products: 2 created (" in out
    assert "shop-sync/stock: 1 created, 1 failed" in out and "shop-sync/orders: 1 created, 1 failed" in out
    assert out.count("  1 to create, 1 error\n") == 2, "the plan shown said the same of the same records"
    assert "Apply finished with problems: 4 created, 2 failed." in out
    letters = dead_letters(repo)
    assert "on_hand" in letters["2/1"] and "quantity" in letters["W1"] and "greater than 0" in letters["W1"]


def test_a_target_that_needs_a_field_refuses_the_record_before_any_call(repo: Repo) -> None:
    """A product without a variant bound for a target that needs one (Shopify would make it at 0.00):
    a record error when the plan is made; the target is not called for it."""
    needs = replace(FILES, entities={**FILES.entities, Entity.product: replace(
        FILES.entities[Entity.product], required=("variants",))})  # fmt: skip
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + "3,Gift card,,,\n")
    workspace = load_workspace(repo.root, "test", connectors={"files": needs}, environ={})
    with runner.state_store(workspace) as store:
        [flow] = runner.plan(workspace, store, runner.select(workspace)).flows
    [error] = [c for c in flow.changes if c.action.value == "error"]
    assert error.key == ("3",) and "variants: the target takes no product without it" in error.reason


class StoppingClient(FilesClient):
    """A target whose connection breaks after the first record of a batch, as an API that writes a
    batch in several requests does; `fatal` makes the break one retrying cannot mend."""

    fatal = False

    def write(self, entity: Entity, records: list[Record]) -> list[WriteOutcome]:  # type: ignore[override]
        first = super().write(entity, records[:1])
        cause = FatalConnectorError("credentials refused") if self.fatal else RetriableConnectorError("cut off")
        raise WriteInterrupted(cause, first)


def stopping(fatal: bool) -> Connector:
    StoppingClient.fatal = fatal
    return replace(FILES, open=lambda settings, credentials: StoppingClient(settings))  # type: ignore[arg-type]


def test_a_batch_cut_off_keeps_what_it_wrote_and_counts_outcomes_not_plans(repo: Repo) -> None:
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + "3,Towel,3,7.00 EUR,21\n")
    workspace = load_workspace(repo.root, "test", connectors={"files": stopping(False)}, environ={})
    with runner.state_store(workspace) as store:
        [outcome] = runner.sync(workspace, store, runner.select(workspace))
    assert outcome.result is not None  # batches of 2: each is cut off after its first record
    assert outcome.result.counts["create"] == 2, "counted what was written, not what was planned"
    assert [key for key, _ in outcome.result.failures] == [("2",)]
    assert written(repo) == ["1", "3"] and list(dead_letters(repo)) == ["2"], "what was written is no dead letter"
    assert "cut off" in dead_letters(repo)["2"]


def test_a_fatal_error_stops_its_flow_and_reports_what_it_did(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write_spec(SYSTEMS + """\
  products:
    entity: product
    from: erp
    to: shop
    settings: {batch_size: 1}
""")  # fmt: skip
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + "3,Towel,3,7.00 EUR,21\n")
    workspace = load_workspace(repo.root, "test", connectors={"files": stopping(True)}, environ={})
    with runner.state_store(workspace) as store:
        [outcome] = runner.sync(workspace, store, runner.select(workspace))
        assert [run["status"] for run in store.runs.list()] == ["failed"]
    result = outcome.result
    assert result is not None and result.stopped == "credentials refused" and not result.ok
    assert result.counts["create"] == 1 and written(repo) == ["1"]
    # the two records not reached stay planned: the next plan shows them
    with runner.state_store(workspace) as store:
        [again] = runner.plan(workspace, store, runner.select(workspace)).flows
    assert [c.key for c in again.changes if c.action.value == "create"] == [("2",), ("3",)]


def test_one_integrations_unreachable_system_does_not_stop_another_integration(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    other = SPEC.replace("name: shop-sync", "name: other-sync").replace("path: erp,", "path: gone,")
    (repo.root / "specs" / "other-sync.yaml").write_text(other)
    environment = repo.root / "environments" / "test.yaml"
    environment.write_text(environment.read_text() + "  other-sync:\n    spec: specs/other-sync.yaml\n")
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD)
    assert main(["apply", "--env", "test", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "shop-sync/products: 2 created (" in out
    assert "other-sync/products: could not run: folder 'gone' does not exist" in out
    assert written(repo) == ["1", "2"]


def test_a_sku_on_two_products_is_the_second_products_error(repo: Repo) -> None:
    rows = "3,Shirt XL,1,12.00 EUR,21\n"  # variant SKU 1 is product 1's own
    (repo.root / "erp" / "products.csv").write_text(HEADER + GOOD + rows)
    assert main(["apply", "--env", "test", "--yes"]) == 1
    assert written(repo) == ["1", "2"]
    assert "variant SKU 1 is also on product 1" in dead_letters(repo)["3"]


ORDERS_ONLY = (
    SYSTEMS
    + """\
  orders:
    entity: order
    from: erp
    to: shop
"""
)


class Incremental(FilesClient):
    """A source that searches by change time, as Shopify's orders do: it honours `since`."""

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> list[Record]:
        since = wanted.since if wanted is not None else None
        found = [r for r in super().read(entity, keys, wanted) if isinstance(r, Order)]
        return [r for r in found if since is None or (r.updated_at or "") > since]

    def read_raw(
        self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterator[RawRecord]:
        chosen = [record_key(entity, record) for record in self.read(entity, keys, wanted)]
        yield from super().read_raw(entity, chosen, None)


class Refusing(FilesClient):
    """A target that refuses order W1 while `refuse` holds (an unknown SKU there, say)."""

    refuse = True

    def write(self, entity: Entity, records: list[Record]) -> list[WriteOutcome]:  # type: ignore[override]
        kept = [r for r in records if not (self.refuse and record_key(entity, r) == ("W1",))]
        done = {o.key: o for o in super().write(entity, kept)}
        return [done.get(record_key(entity, r)) or WriteOutcome(("W1",), error="unknown SKU") for r in records]


def test_a_dead_lettered_record_stays_planned_though_the_cursor_moved_past_it(repo: Repo) -> None:
    repo.write_spec(ORDERS_ONLY)
    (repo.root / "erp" / "orders.csv").write_text(
        "number,currency,updated_at,lines.sku,lines.quantity,lines.price\n"
        "W1,EUR,2026-11-01T10:00:00Z,1,1,10.00 EUR\nW2,EUR,2026-11-02T10:00:00Z,1,1,10.00 EUR\n"
    )
    both = replace(
        FILES,
        open=lambda settings, credentials: (  # type: ignore[arg-type]
            Incremental(settings) if "erp" in settings.path else Refusing(settings)
        ),
    )  # type: ignore[attr-defined]
    workspace = load_workspace(repo.root, "test", connectors={"files": both}, environ={})
    with runner.state_store(workspace) as store:
        [first] = runner.sync(workspace, store, runner.select(workspace))
        assert first.result is not None and first.result.counts["create"] == 1
        assert store.applied.cursor("shop-sync", "orders") == "2026-11-02T10:00:00Z"
        Refusing.refuse = False  # the cause is fixed in the target; the order itself did not change
        try:
            [pending] = runner.plan(workspace, store, runner.select(workspace)).flows
            assert [c.key for c in pending.changes if c.action.value == "create"] == [("W1",)]
            [second] = runner.sync(workspace, store, runner.select(workspace))
        finally:
            Refusing.refuse = True
        assert second.result is not None and second.result.counts["create"] == 1
        assert store.dead_letters.open() == []


def test_settled_so_far_hands_on_what_a_stopped_batch_settled() -> None:
    written = [WriteOutcome(("1",), target_id="a")]
    with pytest.raises(WriteInterrupted) as stopped, settled_so_far(written):
        raise RetriableConnectorError("cut off")
    assert stopped.value.outcomes == written and str(stopped.value.cause) == "cut off"
    with pytest.raises(RetriableConnectorError), settled_so_far({}):  # nothing settled: the error as it was
        raise RetriableConnectorError("cut off")
