"""`tillsync ui` as a user runs it: on ports that are taken, beside sandboxes already running or
not, and stopped by SIGTERM or Ctrl-C with nothing it started left behind.

Every port is a free one: the sandbox environment of a copy of the repository is pointed at free
ports for its sandboxes, and the UI gets one with --port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors import CONNECTORS
from connectors.testing.faults import FaultControl
from connectors.testing.server import running_sandboxes
from engine.cli import main

REPO = Path(__file__).parents[2]
STOPPED_WITHIN_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def listening(port: int) -> Iterator[None]:
    """Another program on `port`: it accepts connections and never answers."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        yield


def repository(root: Path, shop: int, till: int, erp: int | None = None, easycashier: int | None = None) -> Path:
    """A copy of the bundled specs whose sandbox environment expects its sandboxes on these ports
    (MplusKASSA's shop on `shop`, the till on `till`, Visma.net's and EasyCashier's as given), every
    other sandbox on a free port of its own."""
    for folder in ("specs", "environments", "demo"):
        shutil.copytree(REPO / folder, root / folder)
    environment = root / "environments" / "sandbox.yaml"
    text = environment.read_text()
    chosen = {8701: shop, 8702: till, 8706: erp, 8705: easycashier}
    for fixed in range(8701, 8712):
        assert f"127.0.0.1:{fixed}" in text, fixed
        text = text.replace(f"127.0.0.1:{fixed}", f"127.0.0.1:{chosen.get(fixed) or free_port()}")
    environment.write_text(text)
    return root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, out + err


def test_the_ui_port_taken_is_a_usage_error_that_suggests_a_free_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repository(tmp_path, free_port(), free_port()))
    port = free_port()
    with listening(port):
        code, said = run(["ui", "--port", str(port)], capsys)
    assert code == 2
    assert f"port {port} is taken by another program; stop it, or give tillsync ui another port, e.g. --port " in said
    assert len(said.strip().splitlines()) == 1, said


@pytest.mark.parametrize("port", ["0", "65536"])
def test_a_port_out_of_range_is_a_usage_error(
    port: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repository(tmp_path, free_port(), free_port()))
    code, said = run(["ui", "--port", port], capsys)
    assert code == 2 and f"--port {port}: give a port number from 1 to 65535" in said


def test_a_sandbox_port_taken_by_another_program_names_the_port_and_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shop, till = free_port(), free_port()
    monkeypatch.chdir(repository(tmp_path, shop, till))
    with listening(shop):
        code, said = run(["ui", "--port", str(free_port())], capsys)
    assert code == 1
    assert (
        f"port {shop}, where mpluskassa-shopify-pos's system shop expects the shopify sandbox, is taken by "
        "another program (not a Tillsync sandbox); stop it, or point that system's url at a free port"
    ) in said
    assert len(said.strip().splitlines()) == 1, said
    assert not (tmp_path / ".tillsync" / "dagster" / "dagster.log").exists(), "Dagster was not started"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", till))  # the other sandbox was not started either


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, pending = set(), [pid]
    while pending:
        parent = pending.pop()
        children = {child for child, ppid in parents.items() if ppid == parent}
        pending.extend(children - found)
        found |= children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def graphql(port: int, query: str, **variables: object) -> dict[str, Any]:
    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables}, timeout=30)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()["data"]
    return data


def reload_and_materialize(port: int, key: list[str]) -> str:
    """Reload the code location as the UI's button does, then materialize `key` as its button does:
    the run is queued, the daemon launches it, the code server runs it. Returns the run's end status."""
    reloaded = graphql(port, 'mutation { reloadRepositoryLocation(repositoryLocationName: "tillsync") '
                             "{ ... on WorkspaceLocationEntry { loadStatus } } }")  # fmt: skip
    assert reloaded["reloadRepositoryLocation"] == {"loadStatus": "LOADED"}
    selector = {"repositoryLocationName": "tillsync", "repositoryName": "__repository__",
                "pipelineName": "__ASSET_JOB", "assetSelection": [{"path": key}]}  # fmt: skip
    launch = ("mutation($p: ExecutionParams!) { launchPipelineExecution(executionParams: $p) "
              "{ __typename ... on LaunchRunSuccess { run { runId } } } }")  # fmt: skip
    launched = graphql(port, launch, p={"selector": selector})
    run_id = launched["launchPipelineExecution"]["run"]["runId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = str(graphql(port, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                             id=run_id)["runOrError"]["status"])  # fmt: skip
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(0.5)
    return "still running after 120 s"


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop_with", "sandboxes_running"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "sigint"]
)
def test_the_ui_starts_says_where_and_stops_all_it_started(
    stop_with: signal.Signals, sandboxes_running: bool, tmp_path: Path
) -> None:
    shop, till, erp, ui_port = free_port(), free_port(), free_port(), free_port()
    root = repository(tmp_path, shop, till, erp)
    output = tmp_path / "output.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "engine.cli", "ui", "--port", str(ui_port)]
    with ExitStack() as stack:
        if sandboxes_running:  # `tillsync sandbox up` in another terminal
            served = {n: CONNECTORS[n] for n in ("shopify", "mpluskassa")}
            stack.enter_context(running_sandboxes(served, {"shopify": shop, "mpluskassa": till}))
        with output.open("w") as out:
            ui = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
        stack.callback(lambda: os.killpg(ui.pid, signal.SIGKILL) if ui.poll() is None else None)
        deadline = time.monotonic() + 180
        while "Ctrl-C stops" not in output.read_text():
            assert ui.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{ui_port}/server_info", timeout=5).status_code == 200
        tree = descendants(ui.pid)
        assert len(tree) >= 4, "Dagster's code server with its gRPC server, webserver and daemon"
        if not sandboxes_running:
            assert reload_and_materialize(ui_port, ["mpluskassa-shopify-pos", "shop", "categories"]) == "SUCCESS"
        ui.send_signal(stop_with)
        began = time.monotonic()
        assert ui.wait(timeout=60) == 0
        took = time.monotonic() - began
        assert took < STOPPED_WITHIN_S, f"stopped after {took:.1f} s"
        left = {pid for pid in tree if alive(pid)}
        assert not left, f"left running: {left}"
        assert not port_in_use(ui_port)
        if sandboxes_running:
            assert FaultControl(f"http://127.0.0.1:{shop}").status()["requests"] >= 0, "left running, not ours"
        else:
            assert not port_in_use(shop) and not port_in_use(till), "the sandboxes it started are stopped"
    said = output.read_text()
    how = "already running; left running" if sandboxes_running else "started here"
    assert f"Dagster UI    http://127.0.0.1:{ui_port}  (answered after " in said
    assert f"shopify http://127.0.0.1:{shop} ({how})" in said and f"mpluskassa http://127.0.0.1:{till} ({how})" in said
    assert "Dagster log   .tillsync/dagster/dagster.log" in said
    assert "environment   sandbox: 6 integrations, 34 flows" in said
    assert "Welcome to Dagster" not in said and "WARNING" not in said, "Dagster's banners go to its log"
    assert "Welcome to Dagster" in (root / ".tillsync" / "dagster" / "dagster.log").read_text()
    assert "SANDBOX_SHOPIFY_TOKEN=" in (root / ".tillsync" / "sandbox" / "sandbox.env").read_text()
    served = [line for line in said.splitlines() if line.endswith((" (started here)", " left running)"))]
    assert len(served) == 11, "a sandbox per port: a Shopify shop per integration, two for rackbeat-shopify"
    assert len(said.splitlines()) <= 7 + len(served), said  # a line a sandbox
