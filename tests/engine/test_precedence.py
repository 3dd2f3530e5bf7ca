"""Precedence, spec < environments/<env>.yaml < environment variables: one function, one test a pair,
and every overlay (settings, credentials, flow enabled, trigger, settings, state URL) through it."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from connectors import CONNECTORS
from engine.errors import TillsyncError
from engine.spec.environment import Environment
from engine.spec.overlay import overlay, state_url
from engine.validate.files import validate_files

SPEC = {
    "systems": {"shop": {"connector": "files", "settings": {"path": "spec/dir", "format": "csv"}}},
    "flows": {
        "stock": {"entity": "stock", "from": "erp", "to": "shop", "trigger": {"webhook": True},
                  "settings": {"location_map": {"1": "a", "2": "b"}, "batch_size": 10}},
        "price-lists": {"entity": "price", "from": "erp", "to": "shop"},
    },
}  # fmt: skip


def test_environment_file_overrides_spec() -> None:
    merged = overlay(SPEC, {"systems": {"shop": {"settings": {"path": "env/dir"}}}}, {}).data
    assert merged["systems"]["shop"]["settings"] == {"path": "env/dir", "format": "csv"}


def test_environment_variable_overrides_environment_file() -> None:
    environment = {"systems": {"shop": {"settings": {"path": "env/dir"}}}}
    result = overlay(SPEC, environment, {"TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": "var/dir"})
    assert result.data["systems"]["shop"]["settings"]["path"] == "var/dir"
    assert result.from_variables == {("systems", "shop", "settings", "path"): "TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH"}


def test_environment_variable_overrides_spec() -> None:
    merged = overlay(SPEC, {}, {"TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": "var/dir"}).data
    assert merged["systems"]["shop"]["settings"] == {"path": "var/dir", "format": "csv"}


def test_maps_merge_key_by_key_and_other_values_replace() -> None:
    environment = {"flows": {"stock": {"settings": {"location_map": {"2": "c"}, "batch_size": 5}}}}
    merged = overlay(SPEC, environment, {}).data
    assert merged["flows"]["stock"]["settings"] == {"location_map": {"1": "a", "2": "c"}, "batch_size": 5}


def test_a_trigger_merges_instead_of_replacing() -> None:
    """An environment that adds a schedule keeps the spec's webhook trigger (it used to replace it)."""
    merged = overlay(SPEC, {"flows": {"stock": {"trigger": {"schedule": "*/5 * * * *"}}}}, {}).data
    assert merged["flows"]["stock"]["trigger"] == {"webhook": True, "schedule": "*/5 * * * *"}


def test_flow_enabled_trigger_and_credentials_from_variables() -> None:
    environ = {
        "TILLSYNC__FLOWS__STOCK__ENABLED": "false",
        "TILLSYNC__FLOWS__STOCK__TRIGGER__SCHEDULE": "*/5 * * * *",
        "TILLSYNC__FLOWS__PRICE_LISTS__SETTINGS__BATCH_SIZE": "250",  # a flow name with "-" as "_"
        "TILLSYNC__SYSTEMS__SHOP__CREDENTIALS__ACCESS_TOKEN": "env:OTHER_TOKEN",
    }
    merged = overlay(SPEC, {}, environ).data
    assert merged["flows"]["stock"]["enabled"] is False
    assert merged["flows"]["stock"]["trigger"] == {"webhook": True, "schedule": "*/5 * * * *"}
    assert merged["flows"]["price-lists"]["settings"] == {"batch_size": 250}
    assert merged["systems"]["shop"]["credentials"] == {"access_token": "env:OTHER_TOKEN"}


def test_variables_are_yaml_scalars_and_name_only_what_exists() -> None:
    environ = {
        "TILLSYNC__FLOWS__STOCK__SETTINGS__TRACKED": "false",
        "TILLSYNC__FLOWS__STOCK__SETTINGS__LOCATION_MAP__1": "gid://shopify/Location/9",
        "TILLSYNC__FLOWS__ORDERS__SETTINGS__BATCH_SIZE": "7",  # no such flow: ignored
        "TILLSYNC__FLOWS__STOCK__MAPPING__SKU": "x",  # not something an environment may override
        "TILLSYNC__FLOWS__STOCK__ENABLED__X": "true",  # enabled takes no keys
    }
    merged = overlay(SPEC, {}, environ).data
    assert merged["flows"]["stock"]["settings"] == {
        "location_map": {"1": "gid://shopify/Location/9", "2": "b"}, "batch_size": 10, "tracked": False,
    }  # fmt: skip
    assert set(merged["flows"]) == {"stock", "price-lists"} and "mapping" not in merged["flows"]["stock"]
    assert "enabled" not in merged["flows"]["stock"]


def test_layers_do_not_change_their_inputs() -> None:
    environment = {"flows": {"stock": {"settings": {"location_map": {"1": "z"}}}}}
    overlay(SPEC, environment, {"TILLSYNC__FLOWS__STOCK__SETTINGS__LOCATION_MAP__2": "c"})
    assert SPEC["flows"]["stock"]["settings"]["location_map"] == {"1": "a", "2": "b"}  # type: ignore[index]
    assert environment == {"flows": {"stock": {"settings": {"location_map": {"1": "z"}}}}}


def test_a_variable_scoped_to_the_integration_wins_over_the_unscoped_one() -> None:
    spec = {**SPEC, "name": "erp-shopify"}
    environ = {
        "TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": "every/dir",
        "TILLSYNC__ERP_SHOPIFY__SYSTEMS__SHOP__SETTINGS__PATH": "scoped/dir",
        "TILLSYNC__ERP_SHOPIFY__FLOWS__STOCK__ENABLED": "false",
    }
    result = overlay(spec, {"systems": {"shop": {"settings": {"path": "env/dir"}}}}, environ)
    assert result.data["systems"]["shop"]["settings"]["path"] == "scoped/dir"
    assert result.data["flows"]["stock"]["enabled"] is False
    assert result.from_variables[("systems", "shop", "settings", "path")] == (
        "TILLSYNC__ERP_SHOPIFY__SYSTEMS__SHOP__SETTINGS__PATH"
    ), "a problem in the value is reported at the variable that set it"


def test_a_scoped_variable_leaves_other_integrations_alone() -> None:
    environ = {"TILLSYNC__ERP_SHOPIFY__SYSTEMS__SHOP__SETTINGS__PATH": "scoped/dir"}
    other = overlay({**SPEC, "name": "erp-webshop"}, {}, environ)
    assert other.data["systems"]["shop"]["settings"]["path"] == "spec/dir" and not other.from_variables
    environ["TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH"] = "every/dir"
    assert overlay({**SPEC, "name": "erp-webshop"}, {}, environ).data["systems"]["shop"]["settings"]["path"] == (
        "every/dir"
    )


def test_state_url_variable_over_environment_reference() -> None:
    environment = Environment(name="prod", state_url="env:PROD_STATE")
    assert state_url(environment, {"PROD_STATE": "postgresql://a/b"}) == "postgresql://a/b"
    assert state_url(environment, {"PROD_STATE": "postgresql://a/b", "TILLSYNC_STATE_URL": "sqlite:///x"}) == (
        "sqlite:///x"
    )
    assert state_url(Environment(name="dev"), {}) is None
    with pytest.raises(TillsyncError, match="PROD_STATE, which is not set"):
        state_url(environment, {})


# --- validate --env checks the integration with its environment laid over it -----------------

STOCK_SPEC = """\
version: 1
name: shop-sync
systems:
  erp: {connector: files, settings: {path: erp}}
  shop: {connector: files, settings: {path: shop}}
flows:
  stock:
    entity: stock
    from: erp
    to: shop
"""


def _repo(tmp_path: Path, environment: str) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "environments").mkdir()
    (tmp_path / "specs" / "shop-sync.yaml").write_text(STOCK_SPEC)
    (tmp_path / "environments" / "test.yaml").write_text(dedent(environment))
    return tmp_path


def test_a_bad_formula_set_by_the_environment_is_a_located_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, """\
        name: test
        integrations:
          shop-sync:
            spec: specs/shop-sync.yaml
            flows:
              stock:
                settings: {stock_formula: "on_hand - reservd"}
        """)  # fmt: skip
    report = validate_files([], root=root, connectors=CONNECTORS, environment="test", environ={})
    [problem] = report.diagnostics
    assert problem.file.endswith("environments/test.yaml") and problem.line == 7
    assert problem.path == "integrations.shop-sync.flows.stock.settings.stock_formula"
    assert "reservd" in problem.message
    line = (root / "environments" / "test.yaml").read_text().splitlines()[problem.line - 1]
    assert line[problem.column - 1 :].startswith("reservd")  # the column points into the quoted formula


def test_a_bad_value_from_a_variable_is_located_at_the_variable(tmp_path: Path) -> None:
    root = _repo(tmp_path, "name: test\nintegrations:\n  shop-sync:\n    spec: specs/shop-sync.yaml\n")
    environ = {"TILLSYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE": "5000"}
    report = validate_files([], root=root, connectors=CONNECTORS, environment="test", environ=environ)
    [problem] = report.diagnostics
    assert problem.file == "$TILLSYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE"
    assert problem.path == "flows.stock.settings.batch_size"
    assert "5000 is out of range (maximum 1000)" in problem.message


def test_a_required_setting_missing_after_every_layer_is_reported(tmp_path: Path) -> None:
    root = _repo(tmp_path, "name: test\nintegrations:\n  shop-sync:\n    spec: specs/shop-sync.yaml\n")
    spec = root / "specs" / "shop-sync.yaml"
    spec.write_text(spec.read_text().replace("settings: {path: shop}", "settings: {}"))
    report = validate_files([], root=root, connectors=CONNECTORS, environment="test", environ={})
    assert [(d.path, "required setting of files is missing" in d.message) for d in report.diagnostics] == [
        ("systems.shop.settings.path", True)
    ]
    fixed = {"TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": "shop"}
    assert validate_files([], root=root, connectors=CONNECTORS, environment="test", environ=fixed).ok


def test_a_bad_value_from_a_scoped_variable_is_located_at_that_variable(tmp_path: Path) -> None:
    root = _repo(tmp_path, "name: test\nintegrations:\n  shop-sync:\n    spec: specs/shop-sync.yaml\n")
    environ = {
        "TILLSYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE": "50",
        "TILLSYNC__SHOP_SYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE": "5000",
    }
    report = validate_files([], root=root, connectors=CONNECTORS, environment="test", environ=environ)
    [problem] = report.diagnostics
    assert problem.file == "$TILLSYNC__SHOP_SYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE"
    assert "5000 is out of range" in problem.message
