"""The `tillsync` command line's grammar: every command, its options and their help.

Handlers live in `checks` (validate, schema), `sync` (commands that talk to systems), `servers`
(commands that run servers) and `ui` (Dagster's UI), and are imported only when their command runs,
so `tillsync --help` and `tillsync validate` load none of the HTTP clients, the state store or Dagster.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.webhooks.body import MAX_BODY, READ_TIMEOUT_S, format_size, parse_size  # loads no web server


@dataclass(frozen=True)
class Handler:
    """A command's handler, `engine.cli.<module>.<name>`, imported when the command runs."""

    module: str
    name: str

    def __call__(self, args: argparse.Namespace) -> int:
        handler = getattr(importlib.import_module(f"engine.cli.{self.module}"), self.name)
        code: int = handler(args)
        return code


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0, e.g. 5")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tillsync",
        description="Keep a retailer's systems in step, from integration specs kept in git.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check specs and environments without touching any system",
        description="Check spec and environment files: structure (JSON Schema) and meaning "
        "(connectors, field catalogues, JMESPath, references). Exit 0 valid, 1 invalid, 2 usage error.",
    )
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH",
        help="spec or environment files or folders (default: specs/, environments/)",
    )  # fmt: skip
    validate.add_argument("--env", metavar="ENV", help="also check environments/ENV.yaml with its overlays applied")
    validate.add_argument("--format", choices=("text", "json", "github"), default="text",
                          help="text for people, json for tools, github for annotations")  # fmt: skip
    validate.set_defaults(run=Handler("checks", "validate"))

    schema = commands.add_parser(
        "schema",
        help="write the JSON Schemas of specs and environments into schemas/",
        description="Regenerate schemas/ from the spec models; with --check, only report stale files.",
    )
    schema.add_argument("--check", action="store_true", help="exit 1 when schemas/ is out of date")
    schema.set_defaults(run=Handler("checks", "schema"))
    _sync_commands(commands)
    _server_commands(commands)
    return parser


def _sync_commands(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="show record by record what a sync would change; writes nothing",
        description="Read the sources and targets of an environment's flows and show what apply would "
        "change. Exit 0 nothing to change, 2 changes, 1 error.",
    )
    _env_and_flow(plan)
    plan.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    plan.add_argument(
        "--refresh-only",
        action="store_true",
        help="report changes made in the targets outside Tillsync since the last apply, and nothing else",
    )
    plan.add_argument("--out", type=Path, metavar="FILE", help="write the plan to FILE (JSON saves it for apply)")
    plan.set_defaults(run=Handler("sync", "plan"))

    apply = commands.add_parser(
        "apply",
        help="make the changes a plan shows",
        description="Plan and apply an environment's flows, or apply a plan saved with "
        "`plan --format json --out FILE`. Exit 0 done, 1 when records failed (see dead letters).",
    )
    _env_and_flow(apply)
    apply.add_argument("--plan", type=Path, metavar="FILE", help="apply exactly this saved plan")
    apply.set_defaults(run=Handler("sync", "apply"))

    retry = commands.add_parser(
        "retry",
        help="replay the records that went to dead letters",
        description="Plan and apply again only the records in dead letters; the rest is left alone.",
    )
    _env_and_flow(retry)
    retry.set_defaults(run=Handler("sync", "retry"))

    status = commands.add_parser(
        "status",
        help="which spec version runs in an environment, and whether each flow is in sync",
        description="Plan every flow without writing and record whether it is in sync (a check "
        "promotion relies on). Exit 0 all in sync, 1 otherwise.",
    )
    _env_and_flow(status)
    status.set_defaults(run=Handler("sync", "status"))

    promote = commands.add_parser(
        "promote",
        help="move the spec versions verified in one environment to the next",
        description="Pin in environments/TO.yaml exactly the spec versions that were applied cleanly and "
        "checked in FROM; print the change; refuse, changing nothing, otherwise.",
    )
    promote.add_argument("--from", dest="source", required=True, metavar="ENV")
    promote.add_argument("--to", dest="target", required=True, metavar="ENV")
    promote.add_argument("integration", nargs="?", help="only this integration")
    promote.set_defaults(run=Handler("sync", "promote"))

    test = commands.add_parser(
        "test",
        help="run the mapping tests in specs/tests/",
        description="For each case: map the source records with the spec and compare with the expected "
        "target records and plan. No system is called. Exit 0 all pass, 1 otherwise.",
    )
    test.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="suite files (default: specs/tests/)")
    test.set_defaults(run=Handler("sync", "test"))

    logs = commands.add_parser(
        "logs",
        help="show the activity log, or purge it",
        description="Per record: what came from the source, what was sent and what came back.",
    )
    logs.add_argument("--env", metavar="ENV", help="environment (required)")
    logs.add_argument("--flow", metavar="NAME", help="only this flow (NAME or INTEGRATION/NAME)")
    logs.add_argument("--key", metavar="KEY", help="only this record: its match key, parts joined by /")
    logs.add_argument("--since", metavar="WHEN", help="ISO date or time, or a duration such as 2h or 7d")
    logs.add_argument("--limit", type=int, default=50, help="the most recent N entries (default 50)")
    logs.add_argument("--format", choices=("text", "json"), default="text")
    logs.set_defaults(run=Handler("sync", "logs"))
    purge = logs.add_subparsers(title="actions", metavar="ACTION").add_parser(
        "purge", help="delete activity older than the retention period"
    )
    purge.add_argument("--env", required=True, metavar="ENV")
    purge.add_argument("--older-than", metavar="DAYS", type=int, help="default: the environment's retention")
    purge.set_defaults(run=Handler("sync", "purge"))


def _env_and_flow(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="environment: sandbox, test, production…")
    parser.add_argument("--flow", metavar="NAME", help="only this flow (NAME or INTEGRATION/NAME)")


def _server_commands(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox", help="run the systems' sandboxes", description="Run the sandboxes of the connectors that have one."
    )
    actions = sandbox.add_subparsers(title="actions", metavar="ACTION", required=True)
    up = actions.add_parser(
        "up",
        help="serve every sandbox on 127.0.0.1 until interrupted",
        description="Serve the sandboxes in the foreground; print each one's URL and the credentials a client uses.",
    )
    up.add_argument(
        "--port", action="append", default=[], metavar="CONNECTOR=PORT",
        help="serve a connector's sandbox on another port (default: its own, e.g. shopify=8701)",
    )  # fmt: skip
    up.add_argument("--seed", action="store_true", help="start with a sample catalogue, customers and orders")
    up.add_argument(
        "--env", default="sandbox", metavar="ENV",
        help="the environment whose env_file receives the sandboxes' credentials (default: sandbox)",
    )  # fmt: skip
    up.set_defaults(run=Handler("servers", "sandbox_up"))

    ui = commands.add_parser(
        "ui",
        help="open Dagster's UI on the environment's flows",
        description="Run Dagster's UI (dagster dev) on 127.0.0.1 for an environment until Ctrl-C or SIGTERM, "
        "which stop all it started. For the sandbox environment it uses the sandboxes already running "
        "(tillsync sandbox up) and starts the others. Dagster's output goes to .tillsync/dagster/dagster.log.",
    )
    ui.add_argument("--env", default="sandbox", metavar="ENV", help="the environment to show (default: sandbox)")
    ui.add_argument("--port", type=int, default=3000, help="port of Dagster's UI on 127.0.0.1 (default: 3000)")
    ui.set_defaults(run=Handler("ui", "ui"))

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
    serve.add_argument(
        "--max-body", type=_size, default=MAX_BODY, metavar="SIZE",
        help=f"refuse (413) a body over SIZE: bytes, or with KiB/MiB (default: {format_size(MAX_BODY)})",
    )  # fmt: skip
    serve.add_argument(
        "--read-timeout", type=_seconds, default=READ_TIMEOUT_S, metavar="SECONDS",
        help=f"drop (408) a sender whose body has not come whole within SECONDS (default: {READ_TIMEOUT_S:g})",
    )  # fmt: skip
    serve.set_defaults(run=Handler("servers", "webhooks_serve"))
