"""An environment as it runs: its specs loaded with every overlay applied, ready to open.

`load_workspace` validates the environment and its specs first (the same checks as
`tillsync validate --env`) and refuses to go on if anything is wrong, so plan and apply never
run on a spec that validation would reject.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.connector import Client, Connector, Registry
from engine.errors import ConnectorError, SpecError, TillsyncError
from engine.spec.envfile import with_env_file
from engine.spec.environment import Environment, environment_file
from engine.spec.models import Flow, Integration
from engine.spec.overlay import state_url
from engine.validate.files import check_environment, load_environment


@dataclass(frozen=True)
class ResolvedSystem:
    name: str
    connector: Connector
    settings: Mapping[str, Any]
    credentials: Mapping[str, str]  # credential name → env:NAME reference, resolved on open

    def missing(self, environ: Mapping[str, str]) -> list[str]:
        """What the credentials the client needs and `environ` lacks are: `ident (MPLUS_IDENT)`."""
        return [
            f"{credential} ({reference.removeprefix('env:')})"
            for credential, reference in self.credentials.items()
            if credential in self.connector.credentials and not environ.get(reference.removeprefix("env:"))
        ]

    def open(self, environ: Mapping[str, str]) -> Client:
        missing = self.missing(environ)
        if missing:
            raise ConnectorError(f"system '{self.name}' needs credentials that are not set: {', '.join(missing)}")
        values = {
            credential: environ[reference.removeprefix("env:")]
            for credential, reference in self.credentials.items()
            if environ.get(reference.removeprefix("env:"))  # an optional one (a webhook secret) only when set
        }
        return self.connector.open(self.connector.settings.model_validate(self.settings), values)


@dataclass(frozen=True)
class Deployment:
    """One integration in one environment."""

    name: str
    spec_path: str
    digest: str  # sha256 of the spec file: the version that runs
    integration: Integration  # with the environment's values and variables laid over it
    systems: Mapping[str, ResolvedSystem]

    def flow(self, name: str) -> Flow:
        return self.integration.flows[name]

    def enabled_flows(self) -> list[str]:
        return [name for name, flow in self.integration.flows.items() if flow.enabled]


@dataclass(frozen=True)
class Workspace:
    root: Path
    environment: Environment
    deployments: Mapping[str, Deployment]
    environ: Mapping[str, str]

    @property
    def state_url(self) -> str | None:
        return state_url(self.environment, self.environ)


def spec_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def load_workspace(
    root: Path,
    environment: str,
    *,
    connectors: Registry,
    environ: Mapping[str, str] | None = None,
) -> Workspace:
    environ = os.environ if environ is None else environ
    loaded = load_environment(environment_file(root, environment))
    environ = with_env_file(root, loaded.environment.env_file, environ)
    problems, specs = check_environment(loaded, root, environ, connectors)
    if problems:
        raise SpecError(problems)
    deployments = {}
    for name, entry in loaded.environment.integrations.items():
        if not entry.enabled:
            continue
        integration = specs[name].integration
        digest = spec_digest(root / entry.spec)
        if entry.version is not None and entry.version.digest != digest:
            raise TillsyncError(
                f"{environment} runs {name} at {entry.version.digest[:19]}…, but {entry.spec} is now {digest[:19]}…; "
                f"verify the new version in the environment before it and promote it"
            )
        systems = {
            system_name: ResolvedSystem(system_name, connectors[system.connector], system.settings, system.credentials)
            for system_name, system in integration.systems.items()
        }
        deployments[name] = Deployment(name, entry.spec, digest, integration, systems)
    return Workspace(root, loaded.environment, deployments, environ)
