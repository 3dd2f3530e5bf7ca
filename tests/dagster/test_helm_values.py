"""The Helm values for Dagster's chart (`deploy/helm/values.yaml`) parse, load this code location,
and keep the run queue and retries that `deploy/dagster.yaml` sets for machines without Kubernetes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).parents[2] / "deploy"


def _yaml(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


def test_the_user_deployment_serves_this_code_location_with_a_known_executor() -> None:
    [deployment] = _yaml("helm/values.yaml")["dagster-user-deployments"]["deployments"]
    flag, module = deployment["dagsterApiGrpcArgs"]
    assert flag == "-m" and importlib.util.find_spec(module) is not None and module == "engine.dagster_definitions"
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["TILLSYNC_EXECUTOR"] in ("default", "celery")  # what engine.dagster_definitions accepts
    assert {"TILLSYNC_ROOT", "TILLSYNC_ENV"} <= set(env)


def test_the_run_queue_and_retries_match_the_instance_of_the_machines_deployment() -> None:
    values, instance = _yaml("helm/values.yaml")["dagsterDaemon"], _yaml("dagster.yaml")
    queued = values["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert values["runCoordinator"]["type"] == instance["run_coordinator"]["class"]
    assert queued["maxConcurrentRuns"] == instance["run_coordinator"]["config"]["max_concurrent_runs"]
    assert values["runRetries"] == {"enabled": True, "maxRetries": instance["run_retries"]["max_retries"]}
    assert values["runMonitoring"]["enabled"] is instance["run_monitoring"]["enabled"] is True
