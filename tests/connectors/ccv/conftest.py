"""A CCV sandbox served over loopback HTTP, and clients of the connector pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from connectors.ccv import CcvSettings
from connectors.ccv.client import CcvClient
from connectors.ccv.sandbox import CcvSandbox, start
from connectors.testing.server import serving


@dataclass
class RunningAccount:
    sandbox: CcvSandbox
    url: str
    opened: list[CcvClient] = field(default_factory=list)

    def client(self, **settings: object) -> CcvClient:
        made = CcvClient(
            CcvSettings.model_validate({**self.sandbox.settings(self.url), **settings}), self.sandbox.secret
        )
        made.transport.sleep = lambda seconds: None
        self.opened.append(made)
        return made


@pytest.fixture
def account() -> Iterator[RunningAccount]:
    """The sandbox with its sample catalogue, customers and a till sale."""
    sandbox = start(True)
    with serving(sandbox) as url:
        running = RunningAccount(sandbox, url)
        yield running
        for client in running.opened:
            client.close()
