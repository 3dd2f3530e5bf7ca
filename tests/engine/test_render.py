"""Golden snapshots of rendered plans, and the plan/apply/logs commands' exit codes.

Regenerate the snapshots after an intended change with `TILLSYNC_UPDATE_GOLDEN=1 make test`
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.cli import main
from engine.plan import planfile
from engine.plan.model import Plan
from engine.plan.render import render
from engine.records import Entity
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE, apply, plan, product

GOLDEN = Path(__file__).parent / "golden"


def scenario(repo: Repo) -> Plan:
    """One of every kind of change: create, update, archive, error, unchanged."""
    repo.write_spec(SPEC.replace("title: trim(title)", "title: trim(title)\n      sku: numeric_sku(sku)"))
    repo.seed(Entity.product, CATALOGUE)
    apply(repo)
    repo.seed(
        Entity.product,
        [
            product("1", "Shirt", "12.50", description="New text, create-only"),
            product("2", "Mug with a much longer name"),
            CATALOGUE[2],
            product("6", "Tea towel", tags=["linen", "kitchen"], features={"country_of_origin": "BE"}),
            product("7-A", "Not numeric"),
        ],
    )
    return Plan("test", tuple(plan(repo)))


@pytest.mark.parametrize(("fmt", "name"), [("text", "plan.txt"), ("markdown", "plan.md"), ("json", "plan.json")])
def test_rendered_plan_matches_the_snapshot(repo: Repo, fmt: str, name: str) -> None:
    rendered = render(scenario(repo), fmt)
    golden = GOLDEN / name
    if os.environ.get("TILLSYNC_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_a_saved_json_plan_reads_back_equal(repo: Repo) -> None:
    made = scenario(repo)
    assert planfile.loads(planfile.dumps(made)) == made


def test_plan_exit_codes_and_a_saved_plan_applied_by_the_cli(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.seed(Entity.product, CATALOGUE)
    assert main(["plan", "--env", "test", "--format", "json", "--out", "plan.json"]) == 2
    assert main(["apply", "--env", "test", "--plan", "plan.json"]) == 0
    assert "shop-sync/products: 5 created (" in capsys.readouterr().out
    assert main(["plan", "--env", "test"]) == 0
    assert capsys.readouterr().out.endswith("No changes. The targets match the sources.\n")
    assert main(["apply", "--env", "test", "--plan", "plan.json"]) == 1
    assert "the plan no longer holds for 5 records" in capsys.readouterr().err


def test_logs_show_what_was_sent_and_purge_removes_it(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.seed(Entity.product, CATALOGUE)
    main(["apply", "--env", "test", "--yes"])
    capsys.readouterr()
    assert main(["logs", "--env", "test", "--flow", "products", "--key", "2", "--format", "json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["key"], entry["action"], entry["outcome"], entry["sent"]["title"]) == (["2"], "create", "done", "Mug")
    assert main(["logs", "purge", "--env", "test", "--older-than", "0"]) == 0
    assert "purged 5 activity entries older than 0 days" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--env", "staging"], "unknown environment 'staging'; known: test"),
        (
            ["plan", "--env", "test", "--flow", "stok"],
            "no enabled flow or integration 'stok' in environment test; known: shop-sync, products, shop-sync/products",
        ),
        (["apply", "--env", "test", "--plan", "missing.json"], "missing.json: cannot read the plan"),
        (["logs", "--env", "test", "--since", "yesterday"], "--since 'yesterday': give an ISO date"),
    ],
)
def test_errors_exit_1_with_the_reason(
    repo: Repo, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_an_invalid_spec_stops_plan_with_located_problems(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write_spec(SPEC.replace("trim(title)", "trim(titel)"))
    assert main(["plan", "--env", "test"]) == 1
    err = capsys.readouterr().err
    assert "specs/shop-sync.yaml:12:19: flows.products.mapping.title" in err and "unknown field 'titel'" in err
