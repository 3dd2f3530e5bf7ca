"""Promotion from test to production, status, and pinned spec versions, on `files` systems."""

from __future__ import annotations

import pytest

from engine.cli import main
from engine.records import Entity
from engine.webhooks.worker import EventWorker
from tests.engine.conftest import SPEC, Repo
from tests.engine.test_apply import CATALOGUE

PRODUCTION = """\
# production: the live shop
name: production
integrations:
  shop-sync:
    spec: specs/shop-sync.yaml
    systems:
      shop:
        settings: {path: live-shop}   # production's own setting
"""


@pytest.fixture
def two_environments(repo: Repo) -> Repo:
    (repo.root / "environments" / "production.yaml").write_text(PRODUCTION)
    (repo.root / "live-shop").mkdir()
    repo.seed(Entity.product, CATALOGUE)
    return repo


def test_a_version_applied_and_checked_in_test_is_promoted_exactly(
    two_environments: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["promote", "--from", "test", "--to", "production"]) == 1
    assert "shop-sync/products has not been applied at this version" in capsys.readouterr().err
    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert main(["promote", "--from", "test", "--to", "production"]) == 1
    assert "no passing check since its last apply" in capsys.readouterr().err
    assert main(["status", "--env", "test"]) == 0
    out = capsys.readouterr().out
    assert "OK shop-sync/products: in sync" in out and "last run: apply succeeded at " in out
    assert main(["promote", "--from", "test", "--to", "production"]) == 0
    printed = capsys.readouterr().out
    assert "promoted shop-sync sha256:" in printed and "+    version:" in printed
    production = (two_environments.root / "environments" / "production.yaml").read_text()
    assert "settings: {path: live-shop}   # production's own setting" in production, "its own settings are kept"
    assert "digest: sha256:" in production
    assert main(["apply", "--env", "production", "--yes"]) == 0
    assert len((two_environments.root / "live-shop" / "products.jsonl").read_text().splitlines()) == 5


def test_a_run_started_by_webhook_events_counts_towards_promotion(
    two_environments: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    with two_environments.store() as store:
        store.events.record("shop-sync", "erp", "w-1", "products/update", "product", ["products"], [], {})
        EventWorker(two_environments.workspace(), store).drain()
        assert [r["kind"] for r in store.runs.list()] == ["event"]
    assert main(["status", "--env", "test"]) == 0
    assert main(["promote", "--from", "test", "--to", "production"]) == 0, capsys.readouterr().err


def test_production_refuses_a_spec_that_was_not_promoted(
    two_environments: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["apply", "--env", "test", "--yes"])
    main(["status", "--env", "test"])
    main(["promote", "--from", "test", "--to", "production"])
    capsys.readouterr()
    two_environments.write_spec(SPEC.replace("trim(title)", "upper(title)"))
    assert main(["plan", "--env", "production"]) == 1
    assert "production runs shop-sync at sha256:" in capsys.readouterr().err
    assert main(["promote", "--from", "test", "--to", "production"]) == 1, "the new version is not verified"
    before = (two_environments.root / "environments" / "production.yaml").read_text()
    assert "has not been applied at this version" in capsys.readouterr().err
    assert (two_environments.root / "environments" / "production.yaml").read_text() == before


def test_status_reports_what_is_out_of_sync(two_environments: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--env", "test"]) == 1, "a warning"
    out = capsys.readouterr().out
    assert "WARNING shop-sync/products: 5 records to change; never applied" in out
    assert "next: tillsync apply --env test --flow shop-sync/products" in out


def test_refresh_only_reports_target_edits_and_adopt_keeps_them(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.engine.test_apply import product

    repo.write_spec(SPEC.replace("    delete: archive\n", "    delete: archive\n    drift: {title: adopt}\n"))
    repo.seed(Entity.product, CATALOGUE)
    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert main(["plan", "--env", "test", "--refresh-only"]) == 0
    assert "No changes made in the targets outside Tillsync." in capsys.readouterr().out
    # someone edits the shop: a title (adopted) and a price (overwritten)
    repo.shop().write(
        Entity.product, [product("1", "Shirt (summer sale)", description="Cotton"), product("2", "Mug", "9.99")]
    )
    assert main(["plan", "--env", "test", "--refresh-only"]) == 2
    out = capsys.readouterr().out
    assert 'shop-sync/products 1 title: "Shirt" → "Shirt (summer sale)"  (adopted)' in out
    assert "shop-sync/products 2 variants:" in out and "(will be overwritten)" in out
    assert "2 changes made in the targets outside Tillsync" in out
    assert main(["apply", "--env", "test", "--yes"]) == 0
    titles = {p.sku: (p.title, p.variants[0].price) for p in repo.shop().read(Entity.product)}  # type: ignore[attr-defined]
    assert titles["1"][0] == "Shirt (summer sale)", "the adopted title stays"
    assert str(titles["2"][1]) == "10.00 EUR", "the price is overwritten"
    assert main(["apply", "--env", "test", "--yes"]) == 0
    assert main(["apply", "--env", "test", "--yes"]) == 0
    titles = {p.sku: (p.title, p.variants[0].price) for p in repo.shop().read(Entity.product)}  # type: ignore[attr-defined]
    assert titles["1"][0] == "Shirt (summer sale)", "the adopted title stays, run after run"
