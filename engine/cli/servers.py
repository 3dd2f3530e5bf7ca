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
from engine.cli import sandboxes
from engine.errors import UsageError

EXIT_OK = 0


def sandbox_up(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve the sandboxes the environment runs on (see `engine.cli.sandboxes`) until interrupted,
    or while `args.command` runs."""
    root = Path.cwd()
    say = sys.stderr if args.command else sys.stdout  # the command's output is its own
    environment = args.env if (root / "environments").is_dir() else None  # outside a repository: none
    if environment is None:
        used = sandboxes.every_connector(CONNECTORS)
    else:
        from engine.run.workspace import load_workspace

        used = sandboxes.plan(load_workspace(root, environment, connectors=CONNECTORS), CONNECTORS)
    with sandboxes.serving(root, environment, used, CONNECTORS, catalogue=args.seed) as served:
        for sandbox in used:
            how = "" if sandbox.started else " (already running; left running)"
            print(f"{sandbox.name}: {sandbox.url}{how}", file=say)
        if served.env_file is not None:
            where = served.env_file.relative_to(root)
            print(f"wrote the sandboxes' credentials to {where}; tillsync --env {args.env} reads them from there, "
                  "so nothing needs exporting. For other tools:", file=say)  # fmt: skip
        elif environment is not None:
            print("the environment names no env_file; export these before running tillsync:", file=say)
        say.write(export_lines(served.variables))
        if served.afresh:
            print(served.afresh, file=say)
        if args.command:
            return _run_beside(args.command, served.variables)
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
