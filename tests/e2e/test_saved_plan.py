"""A plan saved on fresh sandboxes applies as saved, though its flows depend on each other.

The products flow creates in Shopify what the stock flow then targets: when the plan was made the
stock levels did not exist, and after the products flow applied they do. The saved plan must still
apply (judged change by change, after the flows before it), and what it leaves is in step.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.testing.server import running_sandboxes
from engine.cli import main
from engine.plan import planfile
from engine.plan.model import Action

REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def sandboxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    shutil.copy(REPO / "specs" / "mpluskassa-shopify-pos.yaml", tmp_path / "specs")
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  mpluskassa-shopify-pos:\n    spec: specs/mpluskassa-shopify-pos.yaml\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TILLSYNC_STATE_URL", raising=False)
    with running_sandboxes(CONNECTORS, {"shopify": 0, "mpluskassa": 0}) as started:
        shop, till = started["shopify"], started["mpluskassa"]
        for name, value in {
            "MPLUS_IDENT": till.credentials["ident"], "MPLUS_SECRET": till.credentials["secret"],
            "SHOPIFY_ACCESS_TOKEN": shop.credentials["access_token"],
            "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        yield


def test_a_saved_plan_over_dependent_flows_applies_on_a_fresh_sandbox(
    sandboxes: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--env", "test", "--format", "json", "--out", "plan.json"]) == 2
    saved = planfile.read(Path("plan.json"))
    stock = next(flow for flow in saved.flows if flow.flow == "stock")
    assert stock.count(Action.create) > 0, "the stock levels do not exist yet when the plan is made"
    capsys.readouterr()
    assert main(["apply", "--env", "test", "--plan", "plan.json"]) == 0, capsys.readouterr()
    done = capsys.readouterr().out
    assert "mpluskassa-shopify-pos/products:" in done and "mpluskassa-shopify-pos/stock:" in done
    assert main(["plan", "--env", "test", "--flow", "stock"]) == 0, capsys.readouterr().out
    assert main(["apply", "--env", "test", "--plan", "plan.json"]) == 1, "a saved plan is applied once"
    assert "the plan no longer holds" in capsys.readouterr().err
