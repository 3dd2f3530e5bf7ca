"""Environments (`environments/<env>.yaml`): which specs run there, at which version, with which
settings. How an environment's values are laid over a spec is `engine.spec.overlay`'s one job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from engine.catalogue import choices
from engine.errors import TillsyncError
from engine.spec.models import Model, Name, SecretRef, Trigger

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


class SystemOverlay(Model):
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, SecretRef] = Field(default_factory=dict)


class FlowOverlay(Model):
    enabled: bool | None = None
    trigger: Trigger | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class SpecVersion(Model):
    """The version of a spec that runs in an environment: its content digest and git revision."""

    digest: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    revision: str | None = Field(default=None, pattern=r"^[0-9a-f]{7,40}$")


class EnvironmentIntegration(Model):
    spec: str = Field(description="path of the spec file, relative to the repository root")
    enabled: bool = True
    version: SpecVersion | None = None
    systems: dict[Name, SystemOverlay] = Field(default_factory=dict)
    flows: dict[Name, FlowOverlay] = Field(default_factory=dict)


class ChatAlerts(Model):
    """A chat channel's incoming webhook (Slack, Microsoft Teams): alerts are POSTed to it as JSON."""

    url: SecretRef = Field(
        description="the incoming webhook's URL by reference (env:NAME): the URL is itself the secret"
    )


class EmailAlerts(Model):
    """E-mail over SMTP."""

    host: str = Field(min_length=1, max_length=253, description="the SMTP server's host name")
    port: int = Field(default=587, ge=1, le=65535, description="the SMTP server's port (587: submission)")
    starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS before logging in")
    ca_file: str | None = Field(
        default=None, min_length=1, max_length=4096,
        description="a PEM file of the certificate authorities the SMTP server's certificate is verified with, "
        "relative to the repository root (a server with a private CA); default: the system's trust store",
    )  # fmt: skip
    username: SecretRef | None = Field(default=None, description="the SMTP login by reference (env:NAME)")
    password: SecretRef | None = Field(default=None, description="the SMTP password by reference (env:NAME)")
    sender: str = Field(alias="from", pattern=EMAIL_PATTERN, description="the From address")
    to: list[Annotated[str, Field(pattern=EMAIL_PATTERN)]] = Field(min_length=1, description="who receives alerts")


class Alerts(Model):
    """Where alerts go: a chat webhook, e-mail, or both."""

    chat: ChatAlerts | None = None
    email: EmailAlerts | None = None


class Environment(Model):
    """One environment (sandbox, test, production): what runs there and with which settings."""

    name: Name
    description: str | None = None
    state_url: SecretRef | None = Field(
        default=None,
        description="state store database URL by reference; a SQLite file under .tillsync/ if unset",
    )
    activity_retention_days: int = Field(
        default=30,
        ge=1,
        description="days the activity log keeps entries; `tillsync logs purge` removes older",
    )
    env_file: str | None = Field(
        default=None,
        description="a file of NAME=value lines, relative to the repository root, supplying variables the "
        "process environment does not set (the sandbox's credentials, written by `tillsync sandbox up`)",
    )
    alerts: Alerts | None = Field(
        default=None,
        description="where alerts go when a run fails, dead letters grow, a check fails, a webhook delivery is "
        "refused or a system's credentials stop working; each problem once, and once more when it clears",
    )
    integrations: dict[Name, EnvironmentIntegration] = Field(default_factory=dict)


def environment_file(root: Path, name: str) -> Path:
    """The file of environment `name` in the repository at `root`; `TillsyncError` naming the known
    ones when there is none."""
    path = root / "environments" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (root / "environments").glob("*.yaml"))
        raise TillsyncError(f"unknown environment '{name}'; {choices(name, known)}")
    return path
