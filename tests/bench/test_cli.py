"""The command-line benchmark runs whole processes and reports each figure; none is held to a speed here."""

from __future__ import annotations

import pytest

from bench import cli
from bench.report import table, verdicts


def test_cli_figures_come_from_whole_processes_and_the_ratio_is_theirs() -> None:
    result = cli.run(0.1)
    figures = result["cli"]
    assert figures["runs"] == 1
    assert all(figures[name] > 0 for name in ("python_s", "help_s", "version_s", "validate_wall_s"))
    # the ratio is of the unrounded times; the figures beside it are rounded to 0.1 ms
    assert figures["help_vs_python"] == pytest.approx(figures["help_s"] / figures["python_s"], abs=0.02)
    assert figures["validate_vs_python"] == pytest.approx(figures["validate_wall_s"] / figures["python_s"], rel=0.05)
    assert not [line for line in verdicts(result) if "cannot tell" in line], "every figure a target needs is there"
    assert "help_vs_python" in table(result)
