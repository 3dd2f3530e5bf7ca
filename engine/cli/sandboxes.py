"""The sandboxes an environment runs on: where it expects them, which already serve there, and
serving the others for a block, with their credentials in the environment's `env_file`.

A system runs on a sandbox when its connector has one and its `url` is on this machine
(`http://127.0.0.1:8701`). Each port is one sandbox of its own: two Shopify systems on two ports
are two shops, each with its own store name, data and webhooks; systems on the same port share one.
A port expected by systems of two connectors is an error naming both. A port that is taken is used
when a Tillsync sandbox answers there (its fault-control endpoint, `/_sandbox/faults`, which every
sandbox serves); taken by anything else, it is an error that names the port and the system that
expects it. Outside a repository (no `environments/` folder), `sandbox up` serves one sandbox of
each connector on the connector's own port.

Seeding (`sandbox up --seed`): each sandbox is seeded to suit the systems it is synced with, the
connectors on the other side of the flows of the systems on it (`SandboxSeed.synced_with`); a
Shopify shop synced with Rackbeat sells Rackbeat's items, one synced with EasyCashier that till's
articles. Nothing in the environment says so: which integration uses a shop decides its sample.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from connectors.testing.faults import CONTROL_PATH
from connectors.testing.ports import HOST, port_is_free
from engine.connector import Registry, SandboxSeed
from engine.errors import TillsyncError
from engine.run.workspace import Deployment, Workspace

LOCAL = {"127.0.0.1", "localhost"}


@dataclass(frozen=True)
class Used:
    """A sandbox the environment runs on: the connector's, on `port`; started here or already running."""

    name: str  # the connector's
    port: int
    started: bool
    systems: tuple[tuple[str, str], ...] = ()  # (integration, system) of each system on it, sorted
    synced_with: tuple[str, ...] = ()  # the connectors those systems are synced with, sorted

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def seed(self, catalogue: bool) -> SandboxSeed:
        """What it starts with: named after the first system on it (`rackbeat-shopify-outlet`)."""
        name = "-".join(self.systems[0]) if self.systems else ""
        return SandboxSeed(catalogue, name, self.synced_with)


@dataclass
class _Wanted:
    connector: str
    where: str  # the first system expecting it, for messages
    systems: set[tuple[str, str]] = field(default_factory=set)
    synced_with: set[str] = field(default_factory=set)


def plan(workspace: Workspace, connectors: Registry) -> list[Used]:
    """The sandboxes `workspace` expects, one per port, each to start or found running; by connector, then port."""
    wanted: dict[int, _Wanted] = {}
    for deployment in workspace.deployments.values():
        for system in deployment.systems.values():
            port = _local_port(system.settings.get("url"))
            if system.connector.sandbox is None or port is None:
                continue
            where = f"{deployment.name}'s system {system.name}"
            known = wanted.setdefault(port, _Wanted(system.connector.name, where))
            if known.connector != system.connector.name:
                raise TillsyncError(f"{where} expects the {system.connector.name} sandbox on port {port}, where "
                                    f"{known.where} expects the {known.connector} sandbox; give each a port of "
                                    "its own")  # fmt: skip
            known.systems.add((deployment.name, system.name))
            known.synced_with |= _synced_with(deployment, system.name)
    found = [_find(w.connector, port, w.where, sorted(w.systems), sorted(w.synced_with)) for port, w in wanted.items()]
    return sorted(found, key=lambda u: (u.name, u.port))


def every_connector(connectors: Registry) -> list[Used]:
    """One sandbox of each connector that has one, on its own port: what serves without an environment."""
    return [_find(name, c.sandbox.port, f"the {name} connector")
            for name, c in sorted(connectors.items()) if c.sandbox is not None]  # fmt: skip


def _synced_with(deployment: Deployment, system: str) -> set[str]:
    """The connectors of the systems `system` shares a flow with in `deployment`."""
    others = set()
    for flow in deployment.integration.flows.values():
        if system in (flow.source, flow.target):
            other = flow.target if flow.source == system else flow.source
            if other != system:
                others.add(deployment.systems[other].connector.name)
    return others


def _local_port(url: object) -> int | None:
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    try:
        return parts.port if parts.hostname in LOCAL else None
    except ValueError:
        return None  # `validate` says what is wrong with the URL


def _find(
    name: str, port: int, where: str, systems: Collection[tuple[str, str]] = (), synced_with: Collection[str] = ()
) -> Used:
    if port_is_free(port):
        return Used(name, port, True, tuple(systems), tuple(synced_with))
    if _sandbox_answers(port):
        return Used(name, port, False, tuple(systems), tuple(synced_with))
    raise TillsyncError(f"port {port}, where {where} expects the {name} sandbox, is taken by another program "
                        f"(not a Tillsync sandbox); stop it, or point that system's url at a free port")  # fmt: skip


def _sandbox_answers(port: int) -> bool:
    try:
        answer = httpx.get(f"http://{HOST}:{port}{CONTROL_PATH}", timeout=2)
        status = answer.json() if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return False
    return isinstance(status, dict) and "requests" in status and "injected" in status


@dataclass(frozen=True)
class Served:
    """The sandboxes serving for a block: the variables their credentials fill (written to the
    environment's env_file, `env_file`, unless it names none), and what was forgotten of them."""

    variables: dict[str, str]
    env_file: Path | None
    afresh: str  # what `started_afresh` says; "" when none was started here


@contextlib.contextmanager
def serving(
    root: Path, environment: str | None, used: list[Used], connectors: Registry, catalogue: bool = False
) -> Iterator[Served]:
    """Serve the sandboxes of `used` marked to start for the block (with a sample catalogue when
    `catalogue`), and write every used sandbox's credentials into the `environment`'s env_file
    (none when `environment` is None); yields what was served."""
    from connectors.testing.server import PortTaken, running
    from engine.run.sandbox_env import write_sandbox_env

    to_start = [u for u in used if u.started]
    with contextlib.ExitStack() as stack:
        try:
            wanted = [(connectors[u.name], u.port, u.seed(catalogue)) for u in to_start]
            started = stack.enter_context(running(wanted))
        except PortTaken:  # taken between looking and starting
            ports = ", ".join(str(u.port) for u in to_start)
            raise TillsyncError(f"a sandbox could not listen on port {ports}: another program took it just now; "
                                "run the command again") from None  # fmt: skip
        credentials = {sandbox.name: dict(sandbox.credentials) for sandbox in started}
        for u in used:
            if u.name not in credentials:  # every sandbox of a connector accepts the same credentials
                support = connectors[u.name].sandbox
                assert support is not None
                credentials[u.name] = dict(support.start(SandboxSeed()).credentials)
        if environment is None:
            yield Served({}, None, "")
            return
        path, variables = write_sandbox_env(root, environment, connectors, credentials)
        systems = [system for u in to_start for system in u.systems]
        afresh = started_afresh(root, environment, systems, connectors) if to_start else ""
        yield Served(variables, path, afresh)


def started_afresh(root: Path, environment: str, systems: Collection[tuple[str, str]], connectors: Registry) -> str:
    """Forget the environment's state of the flows of `systems` (integration, system), on the
    sandboxes just started, and say so."""
    from engine.run.sandbox_env import forget_sandboxed

    try:
        forgotten = forget_sandboxed(root, environment, connectors, systems)
    except TillsyncError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"the sandboxes start empty, but what {environment} applied to them before is still remembered: {first}"
    if not forgotten:
        return "the sandboxes start empty"
    return (f"the sandboxes start empty: forgot what {len(forgotten)} flow{'s' * (len(forgotten) != 1)} of "
            f"{environment} applied to them before, so the next plan creates it anew")  # fmt: skip
