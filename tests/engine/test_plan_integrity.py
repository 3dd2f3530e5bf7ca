"""A saved plan is applied only as this Tillsync wrote it, against the state store it was made with.

`plan --format json` signs the plan with a key kept in the environment's state store; `apply --plan`
refuses a plan whose content does not match its signature (edited by hand or by a tool), a plan
without one, a plan signed by another state store, and a plan in an older format. Each refusal is a
sentence, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.records import Entity
from engine.state import default_url
from tests.engine.conftest import ENVIRONMENT, Repo
from tests.engine.test_apply import CATALOGUE

Edit = Callable[[dict[str, Any]], None]


def first_change(plan: dict[str, Any]) -> dict[str, Any]:
    change: dict[str, Any] = plan["flows"][0]["changes"][0]
    return change


def retitle(plan: dict[str, Any]) -> None:
    first_change(plan)["record"]["title"] = "TAMPERED <script>alert(1)</script>"


def rekey(plan: dict[str, Any]) -> None:
    first_change(plan)["key"] = ["9"]
    first_change(plan)["record"]["sku"] = "9"


def reaction(plan: dict[str, Any]) -> None:
    first_change(plan)["action"] = "delete"


def unsign(plan: dict[str, Any]) -> None:
    del plan["signature"]


def resign(plan: dict[str, Any]) -> None:
    retitle(plan)
    plan["signature"] = "hmac-sha256:" + "0" * 64


@pytest.fixture
def saved(repo: Repo, capsys: pytest.CaptureFixture[str]) -> Path:
    """A plan of two creates, saved as `plan --format json --out plan.json` saves it."""
    repo.seed(Entity.product, CATALOGUE[:2])
    assert main(["plan", "--env", "test", "--format", "json", "--out", "plan.json"]) == 2
    capsys.readouterr()
    return repo.root / "plan.json"


def edit(path: Path, change: Edit) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def apply(capsys: pytest.CaptureFixture[str], path: str = "plan.json") -> tuple[int, str]:
    code = main(["apply", "--env", "test", "--plan", path])
    out, err = capsys.readouterr()
    return code, out + err


def test_an_untouched_plan_applies(repo: Repo, saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(saved.read_text())
    assert data["format"] == "tillsync-plan/4" and data["signature"].startswith("hmac-sha256:")
    code, said = apply(capsys)
    assert code == 0, said
    assert [p.title for p in repo.shop().read(Entity.product)] == ["Shirt", "Mug"]


def test_a_plan_laid_out_again_by_a_tool_still_applies(
    repo: Repo, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The signature covers the content, not its layout: keys reordered and spaces changed are the same plan."""
    saved.write_text(json.dumps(json.loads(saved.read_text()), sort_keys=True, separators=(",", ":")))
    code, said = apply(capsys)
    assert code == 0, said


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (retitle, "its content does not match its signature"),
        (rekey, "its content does not match its signature"),
        (reaction, "its content does not match its signature"),
        (resign, "its content does not match its signature"),
        (unsign, "the plan is not signed"),
    ],
    ids=["a title", "a key", "an action", "a signature made up", "the signature removed"],
)
def test_an_edited_plan_is_refused_and_nothing_is_written(
    repo: Repo, saved: Path, capsys: pytest.CaptureFixture[str], change: Edit, words: str
) -> None:
    edit(saved, change)
    code, said = apply(capsys)
    assert code == 1 and words in said and "plan again" in said, said
    assert "Traceback" not in said and "internal error" not in said
    assert not repo.shop().path(Entity.product).exists(), "nothing was written"


def test_a_plan_from_another_state_store_is_refused(
    repo: Repo, saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another environment keeps another state store: a plan made there is not applied here, even
    when its environment's name is made to match."""
    (repo.root / "environments" / "staging.yaml").write_text(ENVIRONMENT.replace("name: test", "name: staging"))
    assert main(["plan", "--env", "staging", "--format", "json", "--out", "staging.json"]) == 2
    capsys.readouterr()
    code, said = apply(capsys, "staging.json")
    assert code == 1 and "made against another state store" in said, said
    (repo.root / ".tillsync" / "test" / "state.db").unlink()  # the state is lost: its plans go with it
    code, said = apply(capsys)
    assert code == 1 and "made against another state store" in said, said
    assert not repo.shop().path(Entity.product).exists()


def test_a_plan_printed_to_stdout_is_signed_too(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.seed(Entity.product, CATALOGUE[:1])
    assert main(["plan", "--env", "test", "--format", "json"]) == 2
    (repo.root / "printed.json").write_text(capsys.readouterr().out)
    code, said = apply(capsys, "printed.json")
    assert code == 0, said


def test_a_plan_in_the_older_format_is_refused_with_a_sentence(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(saved.read_text())
    data["format"] = "tillsync-plan/2"
    del data["signature"], data["state_store"]
    saved.write_text(json.dumps(data))
    code, said = apply(capsys)
    assert code == 1 and "a plan in format 'tillsync-plan/2', but this Tillsync applies 'tillsync-plan/4'" in said


def test_a_plan_of_another_environment_sharing_the_state_store_is_refused(
    repo: Repo, saved: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two environments on one state store share its key: the plan's environment, which the
    signature covers, still tells them apart."""
    (repo.root / "environments" / "staging.yaml").write_text(ENVIRONMENT.replace("name: test", "name: staging"))
    monkeypatch.setenv("TILLSYNC_STATE_URL", default_url(repo.root, "test"))
    assert main(["plan", "--env", "staging", "--format", "json", "--out", "staging.json"]) == 2
    capsys.readouterr()
    code, said = apply(capsys, "staging.json")
    assert code == 1 and "the plan was made for environment staging, not test" in said, said
    assert not repo.shop().path(Entity.product).exists()
