"""What an environment that runs on sandboxes needs when they start: credentials and a fresh state.

The sandbox environment names its credentials by reference (`access_token: env:SANDBOX_SHOPIFY_TOKEN`)
like any other. When sandboxes start, this fills those variables from the credentials each
sandbox accepts, by connector, so `tillsync plan --env sandbox` in another terminal just works.

A sandbox starts afresh: what Tillsync applied to the last one is gone with it. The state of every
flow that reads or writes a system on a started sandbox is forgotten then (`forget_sandboxed`), so the next
plan creates its records as new, rather than as gone from the target since the last apply.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from engine.connector import Registry
from engine.errors import SpecError
from engine.run.workspace import load_workspace
from engine.spec.envfile import write_env_file
from engine.spec.overlay import overlay
from engine.state import StateStore, default_url
from engine.validate.files import load_environment, load_spec


def sandbox_variables(
    root: Path, environment: str, connectors: Registry, credentials: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """Variable → value for every credential reference in `environment` whose system's connector
    has a running sandbox; `credentials` holds each sandbox's credentials by connector name."""
    loaded = load_environment(root / "environments" / f"{environment}.yaml")
    variables: dict[str, str] = {}
    for entry in loaded.environment.integrations.values():
        try:
            spec = load_spec(root / entry.spec, connectors)
        except (SpecError, OSError):
            continue  # `validate` says what is wrong with it; its systems get no variables here
        laid = overlay(spec.document.data, entry.model_dump(by_alias=True, exclude_unset=True), {}).data
        for system in laid["systems"].values():
            accepted = credentials.get(system["connector"], {})
            for credential, reference in (system.get("credentials") or {}).items():
                if credential in accepted and isinstance(reference, str):
                    variables[reference.removeprefix("env:")] = accepted[credential]
    return variables


def write_sandbox_env(
    root: Path, environment: str, connectors: Registry, credentials: Mapping[str, Mapping[str, str]]
) -> tuple[Path | None, dict[str, str]]:
    """Write the variables of `sandbox_variables` to the environment's `env_file`; returns the file
    (None when the environment names none) and the variables."""
    loaded = load_environment(root / "environments" / f"{environment}.yaml")
    variables = sandbox_variables(root, environment, connectors, credentials)
    if loaded.environment.env_file is None:
        return None, variables
    path = root / loaded.environment.env_file
    write_env_file(path, variables, "Credentials of the running sandboxes, written by `tillsync sandbox up`.")
    return path, variables


def forget_sandboxed(
    root: Path, environment: str, connectors: Registry, systems: Collection[tuple[str, str]]
) -> list[str]:
    """Forget the state of every enabled flow of `environment` that reads or writes one of `systems`
    (integration, system), those on the sandboxes just started; returns the flows (INTEGRATION/FLOW)
    that had applied records to forget."""
    workspace = load_workspace(root, environment, connectors=connectors)
    started = set(systems)
    forgotten = []
    with StateStore(workspace.state_url or default_url(root, environment)) as store:
        for deployment in workspace.deployments.values():
            for name in deployment.enabled_flows():
                flow = deployment.flow(name)
                on_sandbox = {(deployment.name, flow.source), (deployment.name, flow.target)} & started
                if on_sandbox and store.forget(deployment.name, name):
                    forgotten.append(f"{deployment.name}/{name}")
    return forgotten
