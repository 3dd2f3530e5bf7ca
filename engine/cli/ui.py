"""`tillsync ui`: Dagster's UI for an environment's flows, with the sandboxes it needs.

It says what it started and where in one short block, sends Dagster's own output to
`.tillsync/dagster/dagster.log`, and on SIGINT or SIGTERM stops everything it started: `dagster dev`
with its webserver, daemon and code server (one process group), then the sandboxes it started.
Sandboxes already serving where the environment expects them (`tillsync sandbox up` in another
terminal) are used and left running.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from connectors import CONNECTORS
from engine.cli import sandboxes
from engine.cli.processes import HOST, ProcessGroup, free_port, port_is_free, stop_signals
from engine.errors import TillsyncError, UsageError

EXIT_OK, EXIT_FAILED = 0, 1
START_TIMEOUT_S = 180.0


def ui(args: argparse.Namespace) -> int:
    """Run Dagster's UI for `args.env` on `args.port` until SIGINT or SIGTERM."""
    from engine.run.workspace import load_workspace

    root = Path.cwd()
    _check_port(args.port)
    workspace = load_workspace(root, args.env, connectors=CONNECTORS)  # what is wrong is said here, not by Dagster
    home = root / ".tillsync" / "dagster"
    log = home / "dagster.log"
    url = f"http://{HOST}:{args.port}"
    environ = {**os.environ, "DAGSTER_HOME": str(home), "TILLSYNC_ENV": args.env, "TILLSYNC_ROOT": str(root)}
    command = [sys.executable, "-m", "dagster", "dev", "-m", "engine.dagster_definitions",
               "--host", HOST, "--port", str(args.port)]  # fmt: skip
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        stop = stack.enter_context(stop_signals())
        used = sandboxes.plan(workspace, CONNECTORS) if args.env == "sandbox" else []
        environ.update(stack.enter_context(sandboxes.serving(root, args.env, used, CONNECTORS)))
        print(f"Starting Dagster for {args.env} on {url} ...", flush=True)
        home.mkdir(parents=True, exist_ok=True)
        dagster = ProcessGroup(command, environ, log)
        stack.callback(dagster.stop)
        if not dagster.wait_until_answering(f"{url}/server_info", stop, START_TIMEOUT_S):
            if stop.is_set():
                return EXIT_OK
            return _failed(dagster, root, f"did not answer within {START_TIMEOUT_S:g} s")
        print(_summary(url, args.env, time.monotonic() - began, used, log.relative_to(root)), flush=True)
        while dagster.running() and not stop.is_set():
            stop.wait(0.5)
        if not stop.is_set():
            return _failed(dagster, root, f"stopped by itself (exit code {dagster.process.returncode})")
        print("Stopping Dagster" + (" and the sandboxes started here" if any(s.started for s in used) else ""),
              flush=True)  # fmt: skip
    return EXIT_OK


def _check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: give a port number from 1 to 65535, e.g. --port 3000")
    if not port_is_free(port):
        raise UsageError(f"port {port} is taken by another program; stop it, or give tillsync ui another "
                         f"port, e.g. --port {free_port()}")  # fmt: skip


def _summary(url: str, env: str, took_s: float, used: list[sandboxes.Used], log: Path) -> str:
    lines = [
        f"Dagster UI    {url}  (answered after {took_s:.1f} s)",
        f"environment   {env}",
    ]
    for i, sandbox in enumerate(used):
        how = "started here" if sandbox.started else "already running; left running"
        lines.append(f"{'sandboxes' if i == 0 else '':<14}{sandbox.name} {sandbox.url} ({how})")
    lines.append(f"Dagster log   {log}")
    lines.append("Ctrl-C stops Dagster" + (" and the sandboxes started here." if any(s.started for s in used) else "."))
    return "\n".join(lines)


def _failed(dagster: ProcessGroup, root: Path, what: str) -> int:
    """Dagster's last words, then one line saying what happened and where the rest is."""
    sys.stderr.write("".join(f"  {line}\n" for line in dagster.tail().splitlines()))
    raise TillsyncError(f"Dagster {what}; its output is in {dagster.log.relative_to(root)}")
