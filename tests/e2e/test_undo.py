"""`tillsync undo RUN` end to end: MplusKASSA and Shopify sandboxes on free ports over loopback, driven
through the command line (`undo --out`, then `apply --plan`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.shopify.sandbox import ShopifySandbox
from connectors.testing.server import running_sandboxes
from engine.cli import main
from tests.e2e import runs

pytestmark = pytest.mark.slow


class Integration:
    def __init__(self, shop: ShopifySandbox, till: MplusSandbox, environ: dict[str, str]) -> None:
        self.shop, self.till, self.environ = shop, till, environ

    def apply(self, flow: str) -> str:
        """Apply one flow; the id of its run."""
        result = runs.apply(self.environ, flow)[flow]
        assert result.ok, result.failures
        return result.run_id

    def title(self, sku: str) -> str:
        shop = self.shop.shop
        [product] = [p for p in shop.products.values() if any(shop.variants[v]["sku"] == sku for v in p["variants"])]
        return str(product["title"])

    def level(self, sku: str, location: str) -> object:
        shop = self.shop.shop
        return next(q["available"] for (item, place), q in shop.levels.items()
                    if shop.items[item]["sku"] == sku and shop.locations[place]["name"] == location)  # fmt: skip


@pytest.fixture
def integration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Integration]:
    runs.test_environment(tmp_path, "mpluskassa-shopify-pos")
    monkeypatch.chdir(tmp_path)
    with running_sandboxes(
        {n: CONNECTORS[n] for n in ("shopify", "mpluskassa")}, {"shopify": 0, "mpluskassa": 0}
    ) as started:
        shop, till = started["shopify"], started["mpluskassa"]
        environ = {
            "MPLUS_IDENT": till.sandbox.ident, "MPLUS_SECRET": till.sandbox.secret,
            "SHOPIFY_ACCESS_TOKEN": shop.sandbox.token,
            "TILLSYNC__SYSTEMS__POS__SETTINGS__URL": till.url, "TILLSYNC__SYSTEMS__SHOP__SETTINGS__URL": shop.url,
        }  # fmt: skip
        for name, value in environ.items():  # the command line reads the process environment
            monkeypatch.setenv(name, value)
        made = Integration(shop.sandbox, till.sandbox, environ)
        for flow in ("categories", "products", "stock", "customers"):
            made.apply(flow)
        yield made


def undo(run: str, capsys: pytest.CaptureFixture[str], out: str = "undo.json") -> tuple[int, str]:
    """`tillsync undo RUN --env test --out FILE`: its exit code and what it printed."""
    code = main(["--color", "never", "undo", run[:8], "--env", "test", "--out", out])
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err and "internal error" not in printed.err, printed.err
    return code, printed.out


def apply_plan(capsys: pytest.CaptureFixture[str], path: str = "undo.json") -> str:
    code = main(["--color", "never", "apply", "--env", "test", "--plan", path])
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    return printed.out


def test_an_update_undone_puts_the_target_back_and_stock_too(
    integration: Integration, capsys: pytest.CaptureFixture[str]
) -> None:
    till = integration.till.till
    till.products[1000].update(description="Organic shirt, summer cut")
    till._stamp(till.products[1000])
    renamed = integration.apply("products")
    level = integration.level("2000", "warehouse")
    till.stock[(1, 2000)]["amount"] = Decimal(30)
    restocked = integration.apply("stock")
    assert integration.title("1001") == "Organic shirt, summer cut" and integration.level("2000", "warehouse") != level
    code, shown = undo(renamed, capsys)
    assert code == 2, shown
    assert "~ update 1000  (set back to before run" in shown
    assert '"Organic shirt, summer cut" → "Organic shirt"' in shown
    assert "Apply complete: 1 updated." in apply_plan(capsys)
    assert integration.title("1001") == "Organic shirt"
    assert integration.title("2000") != "Organic shirt", "only the record the run changed"
    undo(restocked, capsys)
    apply_plan(capsys)
    assert integration.level("2000", "warehouse") == level
    assert main(["apply", "--env", "test", "--plan", "undo.json"]) == 1, "an undo is applied once"
    assert "no longer holds" in capsys.readouterr().err


def test_a_record_changed_since_the_run_is_a_conflict_and_left_as_it_is(
    integration: Integration, capsys: pytest.CaptureFixture[str]
) -> None:
    till, shop = integration.till.till, integration.shop.shop
    till.products[1000].update(description="Organic shirt, summer cut")
    till._stamp(till.products[1000])
    renamed = integration.apply("products")
    [product] = [p for p in shop.products.values() if p["title"] == "Organic shirt, summer cut"]
    product["title"] = "Shirt (edited in the admin)"
    code, shown = undo(renamed, capsys)
    assert code == 2
    assert ("# blocked 1000: conflict: changed in shop since run " in shown
            and "title: run wrote Organic shirt, summer cut, now Shirt (edited in the admin)" in shown)  # fmt: skip
    assert "1 blocked" in shown and "to update" not in shown
    apply_plan(capsys)
    assert product["title"] == "Shirt (edited in the admin)", "never overwritten"


def test_orders_are_listed_as_not_undoable(integration: Integration, capsys: pytest.CaptureFixture[str]) -> None:
    shop = integration.shop.shop
    shop.place_order([("1001", 1)], email="j.jansen@example.com", gateway="ideal")
    booked = integration.apply("orders")
    before = dict(integration.till.till.orders)
    code, shown = undo(booked, capsys)
    assert code == 2 and "cannot be undone: an order booked in pos is not taken back by Tillsync" in shown
    saved = json.loads(Path("undo.json").read_text())
    assert [c["action"] for c in saved["flows"][0]["changes"]] == ["blocked"]
    apply_plan(capsys)
    assert integration.till.till.orders == before


def test_a_run_that_is_not_there_or_not_a_run_id_is_a_clear_error(
    integration: Integration, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["undo", "0000000000", "--env", "test"]) == 1
    assert "no run 0000000000 in environment test" in capsys.readouterr().err
    assert main(["undo", "../etc", "--env", "test"]) == 1
    assert "is no run id" in capsys.readouterr().err
