"""An environment named `test` holding one integration, and its plan and apply, as the end-to-end tests
use them in the working directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors import CONNECTORS
from engine.plan.model import FlowPlan
from engine.run import runner
from engine.run.apply import ApplyResult
from engine.run.workspace import load_workspace

REPO = Path(__file__).parents[2]
# Seconds a 429 of the fault tests asks to wait (`Faults(retry_after=QUICK)`, with the `quick_retries`
# fixture): the sandboxes' own ask for a second; these tests are about what is retried, not how long.
QUICK = 0.01


def test_environment(root: Path, integration: str, spec_text: str | None = None) -> None:
    """`root` as a repository whose environment `test` runs one integration: the bundled spec of
    that name, or `spec_text`."""
    spec_text = (REPO / "specs" / f"{integration}.yaml").read_text() if spec_text is None else spec_text
    (root / "specs").mkdir()
    (root / "environments").mkdir()
    (root / "specs" / f"{integration}.yaml").write_text(spec_text, encoding="utf-8")
    (root / "environments" / "test.yaml").write_text(
        f"name: test\nintegrations:\n  {integration}:\n    spec: specs/{integration}.yaml\n"
    )


def plan(environ: dict[str, str], flow: str | Sequence[str] | None = None) -> dict[str, FlowPlan]:
    """Every selected flow's plan (all, or those `flow` names), by flow name."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        return {p.flow: p for p in runner.plan(workspace, store, runner.select(workspace, flow)).flows}


def apply(environ: dict[str, str], flow: str | Sequence[str] | None = None) -> dict[str, ApplyResult]:
    """What each selected flow applied, by flow name."""
    workspace = load_workspace(Path.cwd(), "test", connectors=CONNECTORS, environ=environ)
    with runner.state_store(workspace) as store:
        outcomes = runner.sync(workspace, store, runner.select(workspace, flow))
    return {o.plan.flow: o.result for o in outcomes if o.result}
