"""The clients of one run: opened on first use, closed together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine.connector import Client
from engine.run.workspace import Deployment, Workspace


@dataclass
class Systems:
    """The clients of one run, opened on first use and closed together."""

    workspace: Workspace
    deployment: Deployment
    clients: dict[str, Client] = field(default_factory=dict)
    in_use: str | None = None  # the system last asked for: the one a failure came from, as runs call them in turn

    def client(self, name: str) -> Client:
        self.in_use = name
        if name not in self.clients:
            self.clients[name] = self.deployment.systems[name].open(self.workspace.environ)
        return self.clients[name]

    def calls(self) -> int:
        return sum(int(getattr(client, "calls", 0)) for client in self.clients.values())

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()


@contextmanager
def open_systems(workspace: Workspace, deployment: Deployment) -> Iterator[Systems]:
    systems = Systems(workspace, deployment)
    try:
        yield systems
    finally:
        systems.close()
