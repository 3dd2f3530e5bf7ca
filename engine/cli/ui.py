"""`tillsync ui`: Dagster's UI for an environment's flows, with the sandboxes it needs.

It says what it started and where in one short block, sends Dagster's own output to
`.tillsync/dagster/dagster.log`, and on SIGINT or SIGTERM stops everything it started: Dagster's
code server (with the gRPC server it starts), webserver and daemon, one process group, then the
sandboxes it started.
Sandboxes already serving where the environment expects them (`tillsync sandbox up` in another
terminal) are used and left running.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from connectors import CONNECTORS
from connectors.testing.ports import HOST, free_port, port_is_free
from engine.cli import dagster_services as services
from engine.cli import sandboxes
from engine.cli.processes import ProcessGroup, accepts, answers, stop_signals
from engine.errors import TillsyncError, UsageError

EXIT_OK, EXIT_FAILED = 0, 1
START_TIMEOUT_S = 180.0


def ui(args: argparse.Namespace) -> int:
    """Run Dagster's UI for `args.env` on `args.port` until SIGINT or SIGTERM."""
    from engine.run.workspace import load_workspace

    root = Path.cwd()
    workspace = load_workspace(root, args.env, connectors=CONNECTORS)  # what is wrong is said here, not by Dagster
    _check_port(args.port)
    home = root / ".tillsync" / "dagster"
    url = f"http://{HOST}:{args.port}"
    environ = {**os.environ, "DAGSTER_HOME": str(home), "TILLSYNC_ENV": args.env, "TILLSYNC_ROOT": str(root)}
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        stop = stack.enter_context(stop_signals())
        used = sandboxes.plan(workspace, CONNECTORS) if args.env == "sandbox" else []
        served = stack.enter_context(sandboxes.serving(root, args.env, used, CONNECTORS))
        if served.afresh:
            print(served.afresh, flush=True)
        environ.update(served.variables)
        if stop.is_set():
            return EXIT_OK
        print(f"Starting Dagster for {args.env} on {url} ...", flush=True)
        code = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tillsync-ui-"))) / "code.sock"
        workspace_file = services.workspace(code)
        dagster = ProcessGroup(home / "dagster.log")
        stack.callback(dagster.stop)
        dagster.start("code server", services.code_server(code), environ)
        if not dagster.wait_until(lambda: accepts(code), stop, START_TIMEOUT_S):
            return _not_started(dagster, root, stop, "code server")
        dagster.start("webserver", services.webserver(workspace_file, HOST, args.port), environ)
        if not dagster.wait_until(lambda: answers(f"{url}/server_info"), stop, START_TIMEOUT_S):
            return _not_started(dagster, root, stop, "webserver")
        took = time.monotonic() - began
        dagster.start("daemon", services.daemon(workspace_file), environ)
        flows = sum(len(d.enabled_flows()) for d in workspace.deployments.values())
        where = f"{args.env}: {len(workspace.deployments)} integrations, {flows} flows"
        print(_summary(url, where, took, used, dagster.log.relative_to(root)), flush=True)
        while dagster.ended() is None and not stop.is_set():
            stop.wait(0.5)
        if not stop.is_set():
            return _failed(dagster, root)
        print("Stopping Dagster" + (" and the sandboxes started here" if any(s.started for s in used) else ""),
              flush=True)  # fmt: skip
    return EXIT_OK


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: give a port number from 1 to 65535, e.g. --port 3000")
    if not port_is_free(port):
        raise UsageError(f"port {port} is taken by another program; stop it, or give tillsync ui another "
                         f"port, e.g. --port {free_port()}")  # fmt: skip


def _summary(url: str, environment: str, took_s: float, used: list[sandboxes.Used], log: Path) -> str:
    lines = [
        f"Dagster UI    {url}  (answered after {took_s:.1f} s)",
        f"environment   {environment}",
    ]
    for i, sandbox in enumerate(used):
        how = "started here" if sandbox.started else "already running; left running"
        lines.append(f"{'sandboxes' if i == 0 else '':<14}{sandbox.name} {sandbox.url} ({how})")
    lines.append(f"Dagster log   {log}")
    lines.append("Ctrl-C stops Dagster" + (" and the sandboxes started here." if any(s.started for s in used) else "."))
    return "\n".join(lines)


def _not_started(dagster: ProcessGroup, root: Path, stop: threading.Event, service: str) -> int:
    if stop.is_set():
        return EXIT_OK
    if dagster.ended() is None:
        return _failed(dagster, root, f"Dagster's {service} did not start within {START_TIMEOUT_S:g} s")
    return _failed(dagster, root)


def _failed(dagster: ProcessGroup, root: Path, what: str | None = None) -> int:
    """Dagster's last words, then one line saying what happened and where the rest is."""
    ended = dagster.ended()
    if what is None and ended is not None:
        what = f"Dagster's {dagster.names[ended.pid]} ended by itself (exit code {ended.returncode})"
    sys.stderr.write("".join(f"  {line}\n" for line in dagster.tail().splitlines()))
    raise TillsyncError(f"{what}; its output is in {dagster.log.relative_to(root)}")
