"""`--flow` selects flows by integration, by flow or both, repeatably; `logs` says what it left out,
shows values whole on request and a failed write's reason."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest

from connectors.files import CONNECTOR as FILES
from connectors.files.client import FilesClient
from engine.cli import main
from engine.connector import Connector, WriteOutcome
from engine.errors import TillsyncError
from engine.records import Entity, Record
from engine.run import runner
from engine.run.runner import select
from engine.run.workspace import load_workspace
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE, product

SECOND = SPEC.replace("name: shop-sync", "name: webshop").replace("path: shop,", "path: webshop, create_folder: true,")
SECOND += "  stock:\n    entity: stock\n    from: erp\n    to: shop\n"


@pytest.fixture
def two(repo: Repo) -> Repo:
    """Two integrations: shop-sync (products) and webshop (products and stock)."""
    (repo.root / "specs" / "webshop.yaml").write_text(SECOND)
    environment = repo.root / "environments" / "test.yaml"
    environment.write_text(environment.read_text() + "  webshop:\n    spec: specs/webshop.yaml\n")
    return repo


def labels(repo: Repo, *names: str) -> list[str]:
    return [item.label for item in select(repo.workspace(), list(names))]


def test_flow_is_repeatable_and_selects_by_integration_flow_or_both(two: Repo) -> None:
    assert labels(two, "webshop") == ["webshop/products", "webshop/stock"], "an integration: all its flows"
    assert labels(two, "products") == ["shop-sync/products", "webshop/products"], "a flow: in every integration"
    assert labels(two, "webshop/stock", "shop-sync") == ["shop-sync/products", "webshop/stock"], "in spec order"
    assert labels(two, "stock", "webshop/stock") == ["webshop/stock"], "once each"
    assert [i.label for i in select(two.workspace(), "stock")] == ["webshop/stock"]


def test_an_unknown_name_says_what_it_might_have_meant(two: Repo) -> None:
    said = "no enabled flow or integration 'webshp' in environment test; did you mean 'webshop'\\? known: shop-sync"
    with pytest.raises(TillsyncError, match=said):
        labels(two, "products", "webshp")


def test_a_name_both_an_integration_and_a_flow_is_refused(two: Repo) -> None:
    spec = two.root / "specs" / "webshop.yaml"
    spec.write_text(spec.read_text().replace("  stock:\n", "  shop-sync:\n"))
    with pytest.raises(TillsyncError, match="'shop-sync' is both an integration and a flow"):
        labels(two, "shop-sync")
    assert labels(two, "shop-sync/products", "webshop/shop-sync") == ["shop-sync/products", "webshop/shop-sync"]


def test_plan_runs_every_flow_named(two: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    two.seed(Entity.product, CATALOGUE)
    assert main(["plan", "--env", "test", "--flow", "shop-sync", "--flow", "webshop/products"]) == 2
    out = capsys.readouterr().out
    assert "shop-sync/products" in out and "webshop/products" in out and "webshop/stock" not in out


def test_logs_say_how_many_they_left_out_and_show_values_whole(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    long_title = "A mug " + "with a very long name " * 10
    repo.seed(Entity.product, [*CATALOGUE, product("9", long_title)])
    assert main(["apply", "--env", "test", "--yes"]) == 0
    capsys.readouterr()
    assert main(["logs", "--env", "test", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count(" create done") == 2
    assert f"showing the latest 2 of {len(CATALOGUE) + 1} entries; --limit {len(CATALOGUE) + 1} shows them all" in out
    assert long_title.strip() not in out, "text cuts long values"
    assert main(["logs", "--env", "test", "--key", "9", "--full"]) == 0
    out = capsys.readouterr().out
    assert long_title.strip() in out and "showing" not in out
    assert main(["logs", "--env", "test", "--limit", "1", "--format", "json"]) == 0
    said = capsys.readouterr()
    assert len(json.loads(said.out)) == 1 and "showing the latest 1 of" in said.err, "stdout stays JSON"


def test_logs_of_a_failed_record_lead_with_its_reason(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write_spec(SPEC.replace("title: trim(title)", "title: trim(title)\n      sku: numeric_sku(sku)"))
    repo.seed(Entity.product, [product("7-A", "Not numeric")])
    assert main(["apply", "--env", "test", "--yes"]) == 1
    capsys.readouterr()
    assert main(["logs", "--env", "test", "--full"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("7-A error failed")
    assert lines[1].startswith("    reason: ") and "7-A" in lines[1] and "numeric" in lines[1]


class SayingClient(FilesClient):
    """A target whose API takes something other than the canonical record, and says what it sent."""

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        outcomes = super().write(entity, records)
        return [replace(o, sent={"title_in_its_api": r.title}) for o, r in zip(outcomes, records, strict=True)]  # type: ignore[attr-defined]


def test_the_log_shows_what_the_connector_says_it_sent(repo: Repo) -> None:
    saying = Connector("files", FILES.description, FILES.settings, FILES.entities,
                       lambda settings, credentials: SayingClient(settings))  # type: ignore[arg-type]  # fmt: skip
    repo.seed(Entity.product, [product("1", "Shirt")])
    workspace = load_workspace(repo.root, "test", environ={}, connectors={"files": saying})
    with runner.state_store(workspace) as store:
        runner.sync(workspace, store, runner.select(workspace))
        [entry] = store.activity.list()
    assert entry.sent == {"title_in_its_api": "Shirt"} and entry.source["title"] == "Shirt"
