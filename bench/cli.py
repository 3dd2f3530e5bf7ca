"""How fast the command line answers: `tillsync --help` and `--version` against the interpreter's
own start (`python -c pass`) in the same run, and a cold `tillsync validate` of the bundled specs.

Each is a whole process, started as a user starts it (the installed console script), from the
repository root; a figure is the median of several runs. `help_vs_python` is the ratio of the two
medians: what Tillsync adds to starting Python, whatever the machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import Figures

ROOT = Path(__file__).parents[1]
RUNS = 7


def run(scale: float = 1.0) -> dict[str, Figures]:
    runs = max(int(RUNS * scale), 1)
    python = _median([sys.executable, "-c", "pass"], runs)
    help_s = _median([*_tillsync(), "--help"], runs)
    version_s = _median([*_tillsync(), "--version"], runs)
    validate_s = _median([*_tillsync(), "validate"], max(runs // 2, 1))
    return {
        "cli": {
            "python_s": round(python, 4),
            "help_s": round(help_s, 4),
            "version_s": round(version_s, 4),
            "help_vs_python": round(help_s / python, 2),
            "validate_wall_s": round(validate_s, 3),
            "validate_vs_python": round(validate_s / python, 1),
            "runs": runs,
            "note": "whole processes from the repository root, median of the runs: the console script with "
            "--help, --version and validate (the bundled specs and environments), and python -c pass; *_vs_python: "
            "the command's wall over python -c pass's",
        }
    }


def _tillsync() -> list[str]:
    """The installed console script beside this interpreter, or the module where there is none."""
    script = Path(sys.executable).with_name("tillsync")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "engine.cli"]


def _median(command: list[str], runs: int) -> float:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)
