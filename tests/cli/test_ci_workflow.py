"""The CI workflow for a specs repository: its steps, and `make ci` running them locally."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).parents[2]


def test_the_workflow_validates_tests_plans_applies_and_promotes() -> None:
    workflow = YAML(typ="safe").load((REPO / ".github" / "workflows" / "tillsync.yml").read_text())
    runs = {job: [step.get("run", "") for step in spec["steps"]] for job, spec in workflow["jobs"].items()}
    assert "tillsync validate --format github" in runs["check"]
    assert "tillsync test" in runs["check"]
    assert any("tillsync plan --env test --format markdown --out plan.md" in run for run in runs["check"])
    assert "tillsync apply --env test --yes" in runs["apply-test"], "CI has no one to answer: it says yes"
    assert "tillsync status --env test" in runs["apply-test"]
    assert any("tillsync promote --from test --to production" in run for run in runs["promote"])
    assert workflow["jobs"]["check"]["if"] == "github.event_name == 'pull_request'"


@pytest.mark.slow
def test_make_ci_runs_the_same_steps_locally_on_a_fresh_clone(tmp_path: Path) -> None:
    """The tracked files alone, as a clone has them (no .tillsync/, no variables of Tillsync's set):
    `make ci` validates, runs the mapping tests and plans against the sandboxes it serves for the plan."""
    clone = tmp_path / "clone"
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)  # times kept: the installed .venv stays current
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILLSYNC", "SANDBOX_", "MAKE"))}
    done = subprocess.run(
        ["make", "ci", f"VENV={REPO / '.venv'}"], cwd=clone, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "mapping cases passed" in done.stdout
    assert (clone / "plan.md").read_text().startswith("### Tillsync plan for `sandbox`")
