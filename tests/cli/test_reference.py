"""`tillsync connectors`: what each connector offers, from the catalogues validation uses, and the
reference in docs/connectors/ that `tillsync schema` writes from the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors import CONNECTORS
from engine.cli import main
from engine.cli.reference import FOLDER, HEADER, field_rows, reference_files, stale_reference
from engine.records import Entity

REPO = Path(__file__).parents[2]


def test_a_connectors_entity_with_its_fields_and_what_is_written(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connectors", "shopify", "--entity", "stock", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "entity stock: read and write; matched on sku, location; 250 records a call" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["on_hand"].split()[1:4] == ["decimal", "read", "not"], "Shopify is sent what is available"
    assert lines["available"].split()[1:4] == ["decimal", "read", "write"]
    assert "settings" not in out, "one entity asked for: its fields alone"


def test_statuses_settings_credentials_and_create_only_entities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connectors", "mpluskassa", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "statuses (financial_status): pending, paid" in out
    assert "credentials: ident, secret" in out
    assert "url " in out and "required" in out.split("url ", 1)[1].splitlines()[0]
    products = {row.name: row for row in field_rows(CONNECTORS["mpluskassa"], Entity.product)}
    assert products["sku"].flags == ("key", "read", "write")
    orders = {row.name: row for row in field_rows(CONNECTORS["mpluskassa"], Entity.order)}
    assert "create-only" in orders["number"].flags and "required" in orders["lines"].flags
    assert "customer.email" in orders, "nested fields by their dotted path, as a mapping names them"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["connectors", "shopfy"], "unknown connector 'shopfy'; did you mean 'shopify'?"),
        (["connectors", "shopify", "--entity", "stok"], "shopify has no entity 'stok'; did you mean 'stock'?"),
        (["connectors", "--entity", "stock"], "--entity needs a connector NAME"),
    ],
)
def test_an_unknown_name_is_a_usage_error(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and said in capsys.readouterr().err


def test_the_committed_reference_is_what_the_connectors_say() -> None:
    assert stale_reference(REPO) == [], "run: tillsync schema"
    assert set(reference_files()) == {"README.md", *(f"{name}.md" for name in CONNECTORS)}


def test_a_reference_that_drifted_is_found_and_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    shutil.copytree(REPO / FOLDER, tmp_path / FOLDER)
    page = tmp_path / FOLDER / "shopify.md"
    page.write_text(page.read_text().replace("| `on_hand` | decimal | read |", "| `on_hand` | decimal | read, write |"))
    (tmp_path / FOLDER / "gone.md").write_text(HEADER + "a connector no longer there\n")
    (tmp_path / FOLDER / "notes.md").write_text("written by hand: left alone\n")
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "--check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "docs/connectors/shopify.md is out of date; run: tillsync schema",
        "docs/connectors/gone.md is out of date; run: tillsync schema",
    ]
    assert main(["schema"]) == 0
    assert main(["schema", "--check"]) == 0
    assert not (tmp_path / FOLDER / "gone.md").exists() and (tmp_path / FOLDER / "notes.md").exists()
