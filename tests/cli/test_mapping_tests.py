"""`tillsync test`: the bundled mapping tests pass, and a wrong expectation fails where it is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.cli import main

REPO = Path(__file__).parents[2]


def test_the_bundled_mapping_tests_pass(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    assert main(["test"]) == 0
    assert capsys.readouterr().out.endswith("6 of 6 mapping cases passed\n")


def test_a_wrong_expectation_fails_with_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    suite = tmp_path / "specs" / "tests" / "mpluskassa-shopify-pos.yaml"
    suite.write_text(
        suite.read_text().replace("payment_method: IDEAL, payment_terms", "payment_method: PIN, payment_terms")
    )
    monkeypatch.chdir(tmp_path)
    assert main(["test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL specs/tests/mpluskassa-shopify-pos.yaml:4:5: payment_method: expected 'PIN', mapped 'IDEAL'" in out
    assert out.endswith("5 of 6 mapping cases passed\n")


def test_validate_leaves_mapping_tests_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["validate", "specs"]) == 0
