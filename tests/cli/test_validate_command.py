"""`tillsync validate` and `tillsync schema` as a user runs them: output and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.spec.yamlsource import Document
from engine.validate import files

REPO = Path(__file__).parents[2]
BROKEN = REPO / "tests" / "specs" / "broken"


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


def test_bundled_specs_and_environments_are_valid(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.endswith("files valid\n")


@pytest.mark.parametrize("env", ["sandbox", "test", "production"])
def test_bundled_specs_are_valid_in_every_environment(in_repo: Path, env: str) -> None:
    assert main(["validate", "--env", env, "specs"]) == 0


def test_an_invalid_spec_exits_1_with_located_text(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BROKEN / "unknown_status.yaml")]) == 1
    out = capsys.readouterr().out
    assert "unknown_status.yaml:11:14: flows.orders.status[0]: unknown files order status 'payed'" in out
    assert out.endswith("1 problem in 1 of 1 files\n")


def test_github_format_prints_one_annotation_per_problem(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "github", str(BROKEN)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 25 and all(line.startswith("::error file=tests/specs/broken/") for line in lines)
    assert "::error file=tests/specs/broken/unknown_status.yaml,line=11,col=14::flows.orders.status[0]" in next(
        line for line in lines if "unknown_status" in line
    )


def test_json_format_is_machine_readable(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", str(BROKEN / "unknown_status.yaml")]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is False
    assert body["problems"][0] | {"message": None} == {
        "file": "tests/specs/broken/unknown_status.yaml",
        "line": 11,
        "column": 14,
        "path": "flows.orders.status[0]",
        "message": None,
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "no/such/spec.yaml"], "no such file or folder: no/such/spec.yaml"),
        (["validate", "--env", "staging"], "unknown environment 'staging'; known: production, sandbox, test"),
        (["validate", "--format", "xml"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(in_repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_checked_in_schemas_are_current(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--check"]) == 0, capsys.readouterr().out


def test_schema_check_fails_when_a_schema_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    stale = tmp_path / "schemas" / "integration.schema.json"
    stale.write_text(stale.read_text().replace('"flows"', '"flowz"', 1))
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "--check"]) == 1
    assert "schemas/integration.schema.json is out of date; run: tillsync schema" in capsys.readouterr().out
    assert main(["schema"]) == 0 and main(["schema", "--check"]) == 0


def test_bundled_files_point_editors_at_the_schemas() -> None:
    for spec in (REPO / "specs").glob("*.yaml"):
        assert spec.read_text().startswith("# yaml-language-server: $schema=../schemas/integration.schema.json")
    for env in (REPO / "environments").glob("*.yaml"):
        assert env.read_text().startswith("# yaml-language-server: $schema=../schemas/environment.schema.json")


def test_the_console_script_answers_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", "validate", "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0 and "--format {text,json,github}" in done.stdout


def test_a_literal_secret_in_an_environment_hides_none_of_its_other_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "environments").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\n"
        "integrations:\n"
        "  erp-webshop:\n"
        "    spec: specs/erp-webshop.yaml\n"
        "    systems:\n"
        "      erp:\n"
        "        credentials: {token: pasted-here-by-mistake}\n"
        "      nosuch:\n"
        "        settings: {path: shop}\n"
        "  missing:\n"
        "    spec: specs/nothere.yaml\n"
    )
    assert main(["validate", "environments/test.yaml"]) == 1
    out = capsys.readouterr().out
    assert "test.yaml:7:30: integrations.erp-webshop.systems.erp.credentials.token: a literal secret" in out
    assert "test.yaml:8:7: integrations.erp-webshop.systems.nosuch: integration 'erp-webshop' has no system" in out
    assert "test.yaml:11:11: integrations.missing.spec: no spec file at 'specs/nothere.yaml'" in out
    assert "pasted-here-by-mistake" not in out


def test_validate_reads_each_file_once(in_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environments name the specs `validate` checks on their own as well; each is read once."""
    read: list[str] = []
    real = files.load_yaml

    def counted(path: Path, display_name: str | None = None) -> Document:
        read.append(str(display_name))
        return real(path, display_name)

    monkeypatch.setattr(files, "load_yaml", counted)
    assert main(["validate"]) == 0
    assert read and sorted(read) == sorted(set(read))
    assert any(name.startswith("environments") for name in read) and any(name.startswith("specs") for name in read)
