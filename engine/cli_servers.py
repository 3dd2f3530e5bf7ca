"""`tillsync sandbox up` and `tillsync webhooks serve`: the commands that run servers."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import uvicorn

from engine import runner, sandboxes
from engine.receiver import receiver
from engine.worker import EventWorker
from engine.workspace import load_workspace

EXIT_OK = 0


def register(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox", help="run the systems' sandboxes", description="Run the sandboxes of the connectors that have one."
    )
    actions = sandbox.add_subparsers(title="actions", metavar="ACTION", required=True)
    up = actions.add_parser(
        "up",
        help="serve every sandbox on 127.0.0.1 until interrupted",
        description="Serve the sandboxes in the foreground; print each one's URL and the credentials a client uses.",
    )
    up.add_argument("--shopify-port", type=int, default=sandboxes.PORTS["shopify"], metavar="PORT")
    up.add_argument("--mpluskassa-port", type=int, default=sandboxes.PORTS["mpluskassa"], metavar="PORT")
    up.add_argument("--seed", action="store_true", help="start Shopify with a small catalogue, a customer and orders")
    up.set_defaults(run=_sandbox_up)

    ui = commands.add_parser(
        "ui",
        help="open Dagster's UI on the environment's flows",
        description="Run Dagster's UI (dagster dev) on 127.0.0.1 for an environment; for the sandbox "
        "environment the sandboxes run beside it. DAGSTER_HOME is .tillsync/dagster.",
    )
    ui.add_argument("--env", default="sandbox", metavar="ENV")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(run=_ui)

    webhooks = commands.add_parser(
        "webhooks", help="receive webhooks", description="Receive systems' webhooks for an environment's flows."
    )
    hook_actions = webhooks.add_subparsers(title="actions", metavar="ACTION", required=True)
    serve = hook_actions.add_parser(
        "serve",
        help="run the webhook receiver",
        description="Verify, deduplicate and store webhook deliveries at POST /webhooks/INTEGRATION/SYSTEM, "
        "and run the flows they affect at once, for the records they name.",
    )
    serve.add_argument("--env", required=True, metavar="ENV")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8790)
    serve.add_argument(
        "--queue-only", action="store_true", help="only store events; Dagster's webhook_events sensor runs them"
    )
    serve.set_defaults(run=_webhooks_serve)


def _ui(args: argparse.Namespace) -> int:
    """Dagster's UI for this repository's code location, with DAGSTER_HOME under .tillsync/ and, for
    the sandbox environment, the sandboxes running beside it."""
    home = Path.cwd() / ".tillsync" / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    environ = {**os.environ, "DAGSTER_HOME": str(home), "TILLSYNC_ENV": args.env, "TILLSYNC_ROOT": str(Path.cwd())}
    command = [sys.executable, "-m", "dagster", "dev", "-m", "engine.dagster_definitions",
               "--host", "127.0.0.1", "--port", str(args.port)]  # fmt: skip
    with contextlib.ExitStack() as stack:
        if args.env == "sandbox":
            for sandbox in stack.enter_context(sandboxes.running()):
                print(f"{sandbox.name} sandbox: {sandbox.url}")
                environ.update(sandbox.credentials)
        print(f"Dagster UI for {args.env}: http://127.0.0.1:{args.port} (DAGSTER_HOME={home})", flush=True)
        process = subprocess.Popen(command, env=environ)
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            return process.wait(timeout=60)


def _sandbox_up(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    ports = {"shopify": args.shopify_port, "mpluskassa": args.mpluskassa_port}
    with sandboxes.running(ports, catalogue=args.seed) as started:
        for sandbox in started:
            print(f"{sandbox.name}: {sandbox.url}")
            for variable, value in sandbox.credentials.items():
                print(f"  {variable}={value}")
        print("Sandboxes are running; press Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return EXIT_OK


def _webhooks_serve(args: argparse.Namespace) -> int:
    workspace = load_workspace(Path.cwd(), args.env)
    with runner.state_store(workspace) as store:
        worker = None if args.queue_only else EventWorker(workspace, store)
        print(
            f"receiving webhooks for {args.env} at http://{args.host}:{args.port}/webhooks/INTEGRATION/SYSTEM"
            + ("; events wait for Dagster" if worker is None else "; affected flows run at once"),
            flush=True,
        )
        if worker is not None:
            worker.start()
        try:
            app = receiver(workspace, store, worker.wake if worker is not None else None)
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        finally:
            if worker is not None:
                worker.stop()
    return EXIT_OK
