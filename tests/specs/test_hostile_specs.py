"""Hostile specs (`tests/specs/hostile.py`): each gets located, one-line diagnostics, never a
traceback, and is refused or passed quickly, with the memory of an ordinary spec."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors import CONNECTORS
from engine.errors import Diagnostic, one_line
from engine.spec.yamllimits import MAX_NODES
from engine.spec.yamlsource import YamlLoadError, parse_yaml
from engine.validate.files import validate_files
from tests.specs.hostile import HEAD, cases, laughs

# What each family must be told, by the start of the case's name. A family not listed must only
# be reported in located, one-line diagnostics (or pass: an anchor on a key is still a spec).
REFUSED = {
    "billion-laughs": "values once aliases are expanded",
    "flow-seq-nesting": "nested more than 32 levels deep",
    "flow-map-nesting": "nested more than 32 levels deep",
    "block-nesting-100": "nested more than 32 levels deep",
    "block-nesting-1000": "holds at most 500,000",
    "jmespath-brackets": "expression",
    "jmespath-pipes-1000": "at most 2,000",
    "jmespath-nots-1000": "expression",
    "jmespath-functions-1000": "at most 2,000",
    "jmespath-parens-1000": "at most 2,000",
    "tag-": "YAML tag",
    "tag-directive": "YAML directives",
    "yaml-directive": "YAML directives",
    "merge-": "merge keys (<<) are not used in a spec",
    "recursive-alias": "stands inside the node it names",
    "integer-4301-digits": "a number of 4,301 digits is too long",
    "integer-50000-digits": "a number of 50,000 digits is too long",
    "version-huge": "a number of 5,000 digits",
    "hex-huge": "digits is too long",
    "control-": "has no place in a spec",
    "long-line": "holds at most 500,000",
    "many-": "holds at most 500,000",
    "huge-comment-file": "holds at most 500,000",
    "integer-key-4301": "keys are at most 1024 characters",
}
HANG_GUARD_S = 10.0  # a guard against a hang or a blow-up, far above any case's time; not a timing


def _expected(name: str) -> str | None:
    starts = [start for start in REFUSED if name.startswith(start)]
    return REFUSED[max(starts, key=len)] if starts else None


def _lines(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 2


@pytest.mark.parametrize(("name", "text"), list(cases()), ids=[name for name, _ in cases()])
def test_a_hostile_spec_gets_located_one_line_diagnostics(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    started = time.perf_counter()
    report = validate_files([path], root=tmp_path, connectors=CONNECTORS, environ={})
    assert time.perf_counter() - started < HANG_GUARD_S
    for diagnostic in report.diagnostics:
        shown = str(diagnostic)
        assert diagnostic.file.endswith("spec.yaml")
        assert 1 <= diagnostic.line <= _lines(text) and diagnostic.column >= 1, shown
        assert "\n" not in shown and "\r" not in shown and "\u2028" not in shown, shown
        assert len(shown) < 2_500, shown[:200]
    fragment = _expected(name)
    if fragment is not None:
        assert not report.ok
        assert any(fragment in d.message for d in report.diagnostics), list(map(str, report.diagnostics))


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x85", "\u2028", "\ufeff"])
def test_a_hidden_character_is_located_where_it_stands(char: str) -> None:
    text = HEAD + f"    descr{char}iption: x\n"
    with pytest.raises(YamlLoadError) as caught:
        parse_yaml(text, "spec.yaml")
    assert (caught.value.diagnostic.line, caught.value.diagnostic.column) == (11, 10)
    assert f"U+{ord(char):04X}" in caught.value.diagnostic.message


def test_a_byte_order_mark_at_the_start_is_allowed() -> None:
    assert parse_yaml("\ufeff" + HEAD, "spec.yaml").data["name"] == "hostile"


def test_aliases_are_counted_as_what_they_expand_to() -> None:
    # 9 × 9 × 9 × 9 lists of 9 scalars: 60,000 values from 5 lines; 4 levels stay under the limit.
    assert parse_yaml(laughs(3), "spec.yaml").data["x"]["a3"][0][0][0] == ["lol"] * 9
    with pytest.raises(YamlLoadError, match="aliases are expanded"):
        parse_yaml(laughs(4), "spec.yaml")


def test_a_large_but_honest_spec_is_not_refused(tmp_path: Path) -> None:
    entries = (MAX_NODES - 200) // 2
    table = "".join(f"    code-{i}: Category {i}\n" for i in range(entries))
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD.replace("flows:", f"value_maps:\n  categories:\n{table}flows:"), encoding="utf-8")
    report = validate_files([path], root=tmp_path, connectors=CONNECTORS, environ={})
    assert report.ok, list(map(str, report.diagnostics))


def test_dates_stay_the_text_they_were_written_as() -> None:
    data = parse_yaml(HEAD + "    description: 2001-13-45\n    title: 2024-01-31\n", "spec.yaml").data
    assert data["flows"]["products"]["description"] == "2001-13-45"
    assert data["flows"]["products"]["title"] == "2024-01-31"


def test_a_diagnostic_is_one_line_of_bounded_length() -> None:
    shown = str(Diagnostic("spec.yaml", 3, 5, "unknown key 'a\u2028b\nc'" + "x" * 5000, "flows.p"))
    assert "\n" not in shown and "\u2028" not in shown and "\\u2028" in shown
    assert len(shown) < 1_100 and "characters)…" in shown
    assert one_line("short") == "short"


CHILD = """
import json, resource, sys
from pathlib import Path
from connectors import CONNECTORS
from engine.validate.files import validate_files
def validate(name):
    path = Path(sys.argv[1]) / name
    report = validate_files([path], root=path.parent, connectors=CONNECTORS, environ={})
    return [d.message for d in report.diagnostics], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
_, ordinary_mb = validate("ordinary.yaml")
messages, hostile_mb = validate("spec.yaml")
print(json.dumps({"ordinary_mb": ordinary_mb, "peak_mb": hostile_mb, "messages": messages}))
"""


def test_billion_laughs_costs_the_memory_of_an_ordinary_spec(tmp_path: Path) -> None:
    """Nine levels would expand to 3.9 billion strings; the loader must stop at the limit."""
    (tmp_path / "ordinary.yaml").write_text(laughs(2), encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(laughs(9), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2], check=True,
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert any("aliases are expanded" in message for message in result["messages"])
    assert result["peak_mb"] - result["ordinary_mb"] < 20, result  # the peak stays that of an ordinary spec
