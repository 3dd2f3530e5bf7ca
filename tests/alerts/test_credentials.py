"""A system that stops taking Tillsync's credentials, end to end: the MplusKASSA and Shopify sandboxes
served on free ports, `tillsync apply` with a secret the till does not accept, one alert naming the
integration, the system and where its credentials come from (never the secret), and a resolved
notice once they work again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.testing.server import RunningSandbox, running_sandboxes
from engine.cli import main
from tests.alerts.conftest import TOKEN, Chat

pytestmark = pytest.mark.slow
REPO = Path(__file__).parents[2]
INTEGRATION = "mpluskassa-shopify-pos"
FLOW = f"{INTEGRATION}/categories"
WRONG = "a-secret-the-till-never-issued"


@pytest.fixture
def till(tmp_path: Path, chat: Chat, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSandbox]:
    """The bundled integration in a repository of its own, its systems the sandboxes on free ports,
    its environment alerting to the chat receiver; yields the till's sandbox."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    shutil.copy(REPO / "specs" / f"{INTEGRATION}.yaml", tmp_path / "specs")
    (tmp_path / "environments" / "test.yaml").write_text(
        f"name: test\nintegrations:\n  {INTEGRATION}:\n    spec: specs/{INTEGRATION}.yaml\n"
        "alerts:\n  chat: {url: env:ALERT_CHAT_URL}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TILLSYNC_STATE_URL", raising=False)
    chosen = {name: CONNECTORS[name] for name in ("shopify", "mpluskassa")}
    with running_sandboxes(chosen, {"shopify": 0, "mpluskassa": 0}) as started:
        shop, pos = started["shopify"], started["mpluskassa"]
        for name, value in {
            "MPLUS_IDENT": pos.sandbox.ident, "MPLUS_SECRET": pos.sandbox.secret,
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token, "ALERT_CHAT_URL": chat.url,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": pos.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        yield pos


def test_refused_credentials_are_one_alert_naming_the_system_and_resolved_once_they_work(
    till: RunningSandbox, chat: Chat, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MPLUS_SECRET", WRONG)
    assert main(["apply", "--env", "test", "--flow", FLOW, "--yes"]) == 1
    assert main(["apply", "--env", "test", "--flow", FLOW, "--yes"]) == 1
    [text] = chat.texts()
    assert text.startswith(f"[tillsync test] {INTEGRATION}/pos (mpluskassa) refused Tillsync's credentials: ")
    assert "MplusKASSA refused the ident and secret (HTTP 401)" in text, "the system's own words"
    assert "its credentials come from ident (MPLUS_IDENT), secret (MPLUS_SECRET)" in text
    assert f"tillsync plan --env test --flow {FLOW}" in text
    assert WRONG not in text and till.sandbox.ident not in text and TOKEN not in text
    assert main(["status", "--env", "test", "--flow", FLOW]) == 2
    said = capsys.readouterr()
    assert "refused Tillsync's credentials" in said.out and WRONG not in said.out + said.err

    monkeypatch.setenv("MPLUS_SECRET", till.sandbox.secret)
    assert main(["apply", "--env", "test", "--flow", FLOW, "--yes"]) == 0
    assert len(chat.posts) == 2
    assert chat.texts()[1].startswith(f"[tillsync test] resolved: {INTEGRATION}/pos (mpluskassa) refused")
    assert main(["apply", "--env", "test", "--flow", FLOW, "--yes"]) == 0
    assert len(chat.posts) == 2
