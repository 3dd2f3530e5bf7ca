"""An MplusKASSA sandbox served over loopback HTTP, and clients of the connector pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from connectors.mpluskassa import MplusSettings
from connectors.mpluskassa.client import MplusClient
from connectors.mpluskassa.sandbox import MplusSandbox
from connectors.testing.server import serving


@dataclass
class RunningTill:
    sandbox: MplusSandbox
    url: str
    opened: list[MplusClient] = field(default_factory=list)

    def client(self, **settings: object) -> MplusClient:
        credentials = {"ident": self.sandbox.ident, "secret": self.sandbox.secret}
        made = MplusClient(MplusSettings(url=self.url, **settings), credentials)  # type: ignore[arg-type]
        made.transport.sleep = lambda seconds: None
        self.opened.append(made)
        return made


@pytest.fixture
def till() -> Iterator[RunningTill]:
    sandbox = MplusSandbox()
    sandbox.till.groups[10] = {"groupNumber": 10, "name": "Mugs", "text": "", "syncMarker": 0}
    with serving(sandbox) as url:
        running = RunningTill(sandbox, url)
        yield running
        for client in running.opened:
            client.close()
