"""`tillsync sandbox up` and `tillsync webhooks serve`: the commands that run servers."""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from connectors import CONNECTORS
from engine.catalogue import choices
from engine.cli.sandboxes import started_afresh
from engine.errors import UsageError

EXIT_OK = 0


def sandbox_up(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    from connectors.testing.server import running_sandboxes
    from engine.run.sandbox_env import write_sandbox_env

    ports = _ports(args.port)
    root = Path.cwd()
    say = sys.stderr if args.command else sys.stdout  # the command's output is its own
    with running_sandboxes(CONNECTORS, ports, catalogue=args.seed) as started:
        for sandbox in started.values():
            print(f"{sandbox.name}: {sandbox.url}", file=say)
        credentials = {name: sandbox.credentials for name, sandbox in started.items()}
        variables: dict[str, str] = {}
        if (root / "environments" / f"{args.env}.yaml").is_file():
            path, variables = write_sandbox_env(root, args.env, CONNECTORS, credentials)
            if path is not None:
                print(f"wrote the sandboxes' credentials to {path.relative_to(root)}; tillsync --env {args.env} "
                      "reads them from there, so nothing needs exporting. For other tools:", file=say)  # fmt: skip
            else:
                print("the environment names no env_file; export these before running tillsync:", file=say)
            say.write(export_lines(variables))
            print(started_afresh(root, args.env, started, CONNECTORS), file=say)
        if args.command:
            return _run_beside(args.command, variables)
        print("Sandboxes are running; press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return EXIT_OK


def _run_beside(command: list[str], variables: Mapping[str, str]) -> int:
    """Run `command` while the sandboxes serve, with their credentials in its environment; its exit code."""
    sys.stderr.flush()
    try:
        return subprocess.run(command, env={**os.environ, **variables}).returncode
    except OSError as exc:
        raise UsageError(f"cannot run {command[0]!r}: {exc.strerror or type(exc).__name__}") from None


def export_lines(variables: Mapping[str, str]) -> str:
    """`export NAME=value` lines a shell takes as they are, values quoted where they need it."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(variables.items()))


def _ports(given: list[str]) -> dict[str, int]:
    ports = {}
    for item in given:
        name, _, port = item.partition("=")
        if name not in CONNECTORS or CONNECTORS[name].sandbox is None:
            known = choices(name, [n for n, c in CONNECTORS.items() if c.sandbox is not None])
            raise UsageError(f"--port {item}: no sandbox '{name}'; {known}")
        if not port.isdigit() or not 0 <= int(port) <= 65535:
            raise UsageError(f"--port {item}: give CONNECTOR=PORT with a port number, e.g. {name}=8701")
        ports[name] = int(port)
    return ports


def webhooks_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from engine.run import runner
    from engine.run.workspace import load_workspace
    from engine.webhooks.body import Limits, format_size
    from engine.webhooks.receiver import receiver
    from engine.webhooks.worker import EventWorker

    workspace = load_workspace(Path.cwd(), args.env, connectors=CONNECTORS)
    with runner.state_store(workspace) as store:
        worker = None if args.queue_only else EventWorker(workspace, store)
        limits = Limits(args.max_body, args.read_timeout)
        print(
            f"receiving webhooks for {args.env} at http://{args.host}:{args.port}/webhooks/INTEGRATION/SYSTEM"
            + ("; events wait for Dagster" if worker is None else "; affected flows run at once")
            + f"; bodies up to {format_size(limits.max_body)}, arriving within {limits.read_timeout_s:g} s",
            flush=True,
        )
        if worker is not None:
            worker.start()
        try:
            app = receiver(workspace, store, worker.wake if worker is not None else None, limits)
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        finally:
            if worker is not None:
                worker.stop()
    return EXIT_OK
