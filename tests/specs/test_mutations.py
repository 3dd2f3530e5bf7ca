"""Property: any mutation of a valid spec is either still valid or gets located errors, never a crash."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from connectors import CONNECTORS
from engine.validate.files import validate_files

SPEC = Path(__file__).parents[2] / "specs" / "erp-webshop.yaml"
TEXT = SPEC.read_text(encoding="utf-8")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

NOISE = [":", "{", "}", "[", "]", "-", "\t", '"', "'", "#", "&a", "*a", "!", "|", ">", "%", "@", "`"]
yaml_noise = st.sampled_from([*NOISE, "\n", " ", "  ", "?", ",", "x", "0", "~", "null", "\\"])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**12),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["env:X", "files", "product", "two-way", "*/5 * * * *", "a.b[0]", "value_map('x', y)"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _check(tmp_path: Path, text: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    report = validate_files([path], root=tmp_path, connectors=CONNECTORS, environ={})
    lines = text.count("\n") + 2
    for d in report.diagnostics:
        assert d.file.endswith("spec.yaml") or d.file.startswith("$")
        assert 1 <= d.line <= lines and d.column >= 1, str(d)
        assert d.message


@SETTINGS
@given(position=st.integers(0, len(TEXT)), noise=yaml_noise, cut=st.integers(0, 3))
def test_text_mutations_give_located_errors(tmp_path: Path, position: int, noise: str, cut: int) -> None:
    _check(tmp_path, TEXT[:position] + noise + TEXT[position + cut :])


@SETTINGS
@given(data=st.data())
def test_value_mutations_give_located_errors(tmp_path: Path, data: st.DataObject) -> None:
    document = YAML(typ="safe").load(TEXT)
    paths = list(_paths(document))
    path = data.draw(st.sampled_from(paths))
    mutated = copy.deepcopy(document)
    parent: Any = mutated
    for part in path[:-1]:
        parent = parent[part]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = data.draw(values)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=8))] = data.draw(values)
    out = tmp_path / "dump.yaml"
    with out.open("w", encoding="utf-8") as stream:
        YAML(typ="safe").dump(mutated, stream)
    _check(tmp_path, out.read_text(encoding="utf-8"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Any:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))
