"""Precedence of settings: spec < environments/<env>.yaml < environment variables, one test a pair."""

from engine.spec.overlay import layered

SCOPE = ("systems", "shop", "settings")


def test_environment_file_overrides_spec() -> None:
    merged, from_environ = layered({"path": "spec/dir", "format": "csv"}, {"path": "env/dir"}, {}, SCOPE)
    assert merged == {"path": "env/dir", "format": "csv"}
    assert from_environ == {}


def test_environment_variable_overrides_environment_file() -> None:
    environ = {"TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": "var/dir"}
    merged, from_environ = layered({"path": "spec/dir"}, {"path": "env/dir"}, environ, SCOPE)
    assert merged["path"] == "var/dir"
    assert from_environ == {"path": "TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH"}


def test_environment_variable_overrides_spec() -> None:
    environ = {"TILLSYNC__SYSTEMS__SHOP__SETTINGS__PATH": "var/dir"}
    merged, _ = layered({"path": "spec/dir", "format": "csv"}, {}, environ, SCOPE)
    assert merged == {"path": "var/dir", "format": "csv"}


def test_maps_merge_key_by_key_and_other_values_replace() -> None:
    spec = {"location_map": {"1": "a", "2": "b"}, "tags": ["x", "y"]}
    environment = {"location_map": {"2": "c"}, "tags": ["z"]}
    merged, _ = layered(spec, environment, {}, ("flows", "stock", "settings"))
    assert merged == {"location_map": {"1": "a", "2": "c"}, "tags": ["z"]}


def test_environment_variables_are_read_as_yaml_scalars_and_nest() -> None:
    environ = {
        "TILLSYNC__FLOWS__STOCK__SETTINGS__BATCH_SIZE": "250",
        "TILLSYNC__FLOWS__STOCK__SETTINGS__TRACKED": "false",
        "TILLSYNC__FLOWS__STOCK__SETTINGS__LOCATION_MAP__1": "gid://shopify/Location/9",
        "TILLSYNC__FLOWS__ORDERS__SETTINGS__BATCH_SIZE": "7",  # another scope: ignored
    }
    merged, _ = layered({"location_map": {"2": "b"}}, {}, environ, ("flows", "stock", "settings"))
    assert merged == {
        "batch_size": 250,
        "tracked": False,
        "location_map": {"1": "gid://shopify/Location/9", "2": "b"},
    }


def test_layers_do_not_change_their_inputs() -> None:
    spec = {"location_map": {"1": "a"}}
    environment = {"location_map": {"1": "b"}}
    layered(spec, environment, {"TILLSYNC__X__LOCATION_MAP__1": "c"}, ("x",))
    assert spec == {"location_map": {"1": "a"}} and environment == {"location_map": {"1": "b"}}
