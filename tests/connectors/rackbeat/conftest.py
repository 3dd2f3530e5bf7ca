"""A Rackbeat sandbox with its sample catalogue, served over loopback HTTP, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from connectors.rackbeat import RackbeatSettings
from connectors.rackbeat.client import RackbeatClient
from connectors.rackbeat.sandbox import RackbeatSandbox, start
from connectors.testing.server import serving


@dataclass
class RunningRackbeat:
    sandbox: RackbeatSandbox
    url: str
    opened: list[RackbeatClient] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # seconds the clients were told to wait

    def client(self, **settings: object) -> RackbeatClient:
        made = RackbeatClient(RackbeatSettings(url=self.url, **settings), self.sandbox.token)  # type: ignore[arg-type]
        made.transport.sleep = self.waits.append
        self.opened.append(made)
        return made


@pytest.fixture
def rackbeat() -> Iterator[RunningRackbeat]:
    sandbox = start(catalogue=True)
    with serving(sandbox) as url:
        running = RunningRackbeat(sandbox, url)
        yield running
        for client in running.opened:
            client.close()
