"""Loading YAML: plain values, positions of every key and value, located errors for bad YAML."""

import pytest

from engine.spec.yamlsource import YamlLoadError, dotted, parse_yaml


def load(text: str):  # type: ignore[no-untyped-def]
    return parse_yaml(text, "spec.yaml")


@pytest.mark.parametrize(
    ("text", "where"),
    [("a: 1\n? d: 2\n", "2:3"), ("a: 1\n? [x, y]\n: 2\n", "2:3"), ("a:\n  b: 1\n? match: [email]\n", "3:3")],
)
def test_a_list_or_map_as_a_key_is_a_located_error(text: str, where: str) -> None:
    with pytest.raises(YamlLoadError) as caught:
        load(text)
    assert str(caught.value.diagnostic) == f"spec.yaml:{where}: a key must be a plain value, not a list or map"


def test_values_are_plain_python_with_positions() -> None:
    doc = load("a: 1\nb:\n  c: [x, 'y']\n  1: branch\n")
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"], "1": "branch"}}
    assert type(doc.data["a"]) is int and type(doc.data["b"]["c"][0]) is str
    assert doc.source.keys[("b", "c")] == (3, 3)
    assert doc.source.values[("b", "c", 1)] == (3, 10)  # the opening quote
    assert ("b", "c", 1) in doc.source.quoted


def test_missing_path_falls_back_to_nearest_parent() -> None:
    doc = load("flows:\n  products:\n    entity: product\n")
    assert doc.source.position(("flows", "products", "from")) == (2, 3)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("a: 1\na: 2\n", 2, 1, "duplicate key 'a' (first defined on line 1)"),
        ("a:\n\tb: 1\n", 2, 1, "tab character"),
        ("a: [1,\n", 2, 1, "invalid YAML"),
        ("a: {b: 1\n", 2, 1, "invalid YAML"),
        ("- a\nb: 1\n", 2, 1, "invalid YAML"),
        ("a: *nope\n", 1, 4, "invalid YAML"),
        ("a: 'open\n", 1, 4, "a quote opened here is never closed"),
    ],
)
def test_malformed_yaml_is_located(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(YamlLoadError) as caught:
        load(text)
    diagnostic = caught.value.diagnostic
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("spec.yaml", line, column)
    assert fragment in diagnostic.message


def test_dates_become_text_and_yaml_1_2_keeps_on_as_text() -> None:
    assert load("a: 2026-10-01\nb: on\nc: 2026-10\n").data == {"a": "2026-10-01", "b": "on", "c": "2026-10"}


def test_dotted_paths() -> None:
    assert dotted(("flows", "products", "create_only", 0)) == "flows.products.create_only[0]"
