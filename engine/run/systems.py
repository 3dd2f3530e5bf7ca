"""The clients of one run: opened on first use, closed together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine.connector import Client, RateBudget, SharesRateBudget
from engine.run.workspace import Deployment, Workspace


@dataclass
class Systems:
    """The clients of one run, opened on first use and closed together."""

    workspace: Workspace
    deployment: Deployment
    clients: dict[str, Client] = field(default_factory=dict)
    budget: RateBudget | None = None  # the store's shared rate budgets, for clients that draw from one
    in_use: str | None = None  # the system last asked for: the one a failure came from, as runs call them in turn

    def client(self, name: str) -> Client:
        self.in_use = name
        if name not in self.clients:
            client = self.deployment.systems[name].open(self.workspace.environ)
            if self.budget is not None and isinstance(client, SharesRateBudget):
                client.share_budget(self.budget)
            self.clients[name] = client
        return self.clients[name]

    def calls(self) -> int:
        return sum(int(getattr(client, "calls", 0)) for client in self.clients.values())

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()


@contextmanager
def open_systems(workspace: Workspace, deployment: Deployment, budget: RateBudget | None = None) -> Iterator[Systems]:
    """The run's clients; with `budget`, those of systems whose rate budget is shared draw from it."""
    systems = Systems(workspace, deployment, budget=budget)
    try:
        yield systems
    finally:
        systems.close()
