"""The CI workflow for a specs repository: its steps, and `make ci` running them locally."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from connectors import CONNECTORS
from connectors.testing.server import running_sandboxes
from engine.run.sandbox_env import write_sandbox_env

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
def test_make_ci_runs_the_same_steps_locally() -> None:
    with running_sandboxes(CONNECTORS) as started:
        env = {**os.environ, "TILLSYNC_ENV": "sandbox"}
        write_sandbox_env(REPO, "sandbox", CONNECTORS, {name: s.credentials for name, s in started.items()})
        done = subprocess.run(
            ["make", "ci", "ENV=sandbox"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "mapping cases passed" in done.stdout
    assert (REPO / "plan.md").read_text().startswith("### Tillsync plan for `sandbox`")
