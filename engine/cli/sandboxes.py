"""The sandboxes an environment runs on: where it expects them, which already serve there, and
serving the others for a block, with their credentials in the environment's `env_file`.

A system runs on a sandbox when its connector has one and its `url` is on this machine
(`http://127.0.0.1:8701`). A port that is taken is used when a Tillsync sandbox answers there (its
fault-control endpoint, `/_sandbox/faults`, which every sandbox serves); taken by anything else,
it is an error that names the port and the system that expects it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from connectors.testing.faults import CONTROL_PATH
from connectors.testing.ports import HOST, port_is_free
from engine.connector import Registry
from engine.errors import TillsyncError
from engine.run.workspace import Workspace

LOCAL = {"127.0.0.1", "localhost"}


@dataclass(frozen=True)
class Used:
    """A sandbox the environment runs on: the connector's, on `port`; started here or already running."""

    name: str
    port: int
    started: bool

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def plan(workspace: Workspace, connectors: Registry) -> list[Used]:
    """The sandboxes `workspace` expects, by connector, each to start or found running."""
    wanted: dict[str, tuple[int, str]] = {}  # connector → (port, the first system expecting it there)
    for deployment in workspace.deployments.values():
        for system in deployment.systems.values():
            port = _local_port(system.settings.get("url"))
            if system.connector.sandbox is None or port is None:
                continue
            where = f"{deployment.name}'s system {system.name}"
            known = wanted.setdefault(system.connector.name, (port, where))
            if known[0] != port:
                raise TillsyncError(f"{where} expects the {system.connector.name} sandbox on port {port}, "
                                    f"{known[1]} on port {known[0]}; one sandbox serves each connector")  # fmt: skip
    return [_find(name, port, where) for name, (port, where) in sorted(wanted.items())]


def _local_port(url: object) -> int | None:
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    try:
        return parts.port if parts.hostname in LOCAL else None
    except ValueError:
        return None  # `validate` says what is wrong with the URL


def _find(name: str, port: int, where: str) -> Used:
    if port_is_free(port):
        return Used(name, port, started=True)
    if _sandbox_answers(port):
        return Used(name, port, started=False)
    raise TillsyncError(f"port {port}, where {where} expects the {name} sandbox, is taken by another program "
                        f"(not a Tillsync sandbox); stop it, or point that system's url at a free port")  # fmt: skip


def _sandbox_answers(port: int) -> bool:
    try:
        answer = httpx.get(f"http://{HOST}:{port}{CONTROL_PATH}", timeout=2)
        status = answer.json() if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return False
    return isinstance(status, dict) and "requests" in status and "injected" in status


@contextlib.contextmanager
def serving(root: Path, environment: str, used: list[Used], connectors: Registry) -> Iterator[dict[str, str]]:
    """Serve the sandboxes of `used` marked to start for the block, and write every used sandbox's
    credentials into the environment's env_file; yields those variables."""
    if not used:
        yield {}
        return
    from connectors.testing.server import PortTaken, running_sandboxes
    from engine.run.sandbox_env import write_sandbox_env

    to_start = {u.name: u.port for u in used if u.started}
    with contextlib.ExitStack() as stack:
        try:
            started = stack.enter_context(running_sandboxes({name: connectors[name] for name in to_start}, to_start))
        except PortTaken:  # taken between looking and starting
            ports = ", ".join(map(str, to_start.values()))
            raise TillsyncError(f"a sandbox could not listen on port {ports}: another program took it just now; "
                                "run tillsync ui again") from None  # fmt: skip
        credentials = {name: dict(sandbox.credentials) for name, sandbox in started.items()}
        for u in used:
            if not u.started:  # every sandbox of a connector accepts the same credentials
                support = connectors[u.name].sandbox
                assert support is not None
                credentials[u.name] = dict(support.start(False).credentials)
        _, variables = write_sandbox_env(root, environment, connectors, credentials)
        if started:
            print(started_afresh(root, environment, started, connectors))
        yield variables


def started_afresh(root: Path, environment: str, started: Collection[str], connectors: Registry) -> str:
    """Forget the sandbox environment's state of the flows on the sandboxes just started, and say so."""
    from engine.run.sandbox_env import forget_sandboxed

    try:
        forgotten = forget_sandboxed(root, environment, connectors, started)
    except TillsyncError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"the sandboxes start empty, but what {environment} applied to them before is still remembered: {first}"
    if not forgotten:
        return "the sandboxes start empty"
    return (f"the sandboxes start empty: forgot what {len(forgotten)} flow{'s' * (len(forgotten) != 1)} of "
            f"{environment} applied to them before, so the next plan creates it anew")  # fmt: skip
