"""A sandbox asked to serve on a port another program holds: one sentence, never a traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from connectors.testing.server import PortTaken, Serving
from engine.cli import main


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serving_on_a_taken_port_says_which(held_port: int) -> None:
    with pytest.raises(PortTaken, match=f"port {held_port} on 127.0.0.1 is taken by another program"):
        Serving(object(), held_port).start()


def test_sandbox_up_on_a_taken_port_is_one_sentence(
    held_port: int, tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]  # mpluskassa is the first sandbox started
    assert main(["sandbox", "up", "--port", f"mpluskassa={held_port}"]) == 1
    err = capsys.readouterr().err
    assert f"port {held_port} on 127.0.0.1 is taken" in err and "Traceback" not in err and "internal error" not in err
