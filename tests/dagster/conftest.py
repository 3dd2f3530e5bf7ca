"""The Tillsync code location against both sandboxes, for the Dagster tests."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.testing.server import running_sandboxes

REPO = Path(__file__).parents[2]


@pytest.fixture
def location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    shutil.copy(REPO / "specs" / "mpluskassa-shopify-pos.yaml", tmp_path / "specs")
    (tmp_path / "environments" / "test.yaml").write_text(
        "name: test\nintegrations:\n  mpluskassa-shopify-pos:\n    spec: specs/mpluskassa-shopify-pos.yaml\n"
    )
    with running_sandboxes(
        {n: CONNECTORS[n] for n in ("shopify", "mpluskassa")}, {"shopify": 0, "mpluskassa": 0}
    ) as started:
        shop, till = started["shopify"], started["mpluskassa"]
        for name, value in {
            "TILLSYNC_ROOT": str(tmp_path), "TILLSYNC_ENV": "test",
            "MPLUS_IDENT": till.sandbox.ident, "MPLUS_SECRET": till.sandbox.secret,
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        from engine.dagster_definitions import build_definitions

        yield {"defs": build_definitions(), "shop": shop.sandbox, "till": till.sandbox, "root": tmp_path}
