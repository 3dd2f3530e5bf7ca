"""The `tillsync` command line's grammar: every command, its options and their help.

Handlers live in `checks` (validate, schema), `sync` (commands that talk to systems), `servers`
(commands that run servers) and `ui` (Dagster's UI), and are imported only when their command runs,
so `tillsync --help` and `tillsync validate` load none of the HTTP clients, the state store or Dagster.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from engine.cli.style import MODES
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


LOG_LIMIT = 50
EXIT_UNKNOWN = 3  # `status`: the monitoring plugin convention's "unknown"


class MonitoredParser(argparse.ArgumentParser):
    """The parser of a command monitoring systems read (`status`): 2 means critical there, so a
    usage error exits 3, unknown."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNKNOWN, f"{self.prog}: error: {message}\n")


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


class _Version(argparse.Action):
    """`--version`: the installed package's version, looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("tillsync")
        except PackageNotFoundError:
            found = "unknown (not installed; run: make .venv/.installed)"
        sys.stdout.write(f"tillsync {found}\n")
        parser.exit(0)


COLOR_HELP = "colour the output: auto (on a terminal, unless NO_COLOR is set), always or never"
FULL_HELP = (
    "read every target whole (a reconciliation), also for flows whose `reconcile` schedule would read "
    "only the records whose source changed since the last apply"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tillsync",
        description="Keep a retailer's systems in step, from integration specs kept in git.",
    )
    parser.add_argument("--version", action=_Version, help="print Tillsync's version and exit")
    parser.add_argument("--color", choices=MODES, default="auto", help=COLOR_HELP)
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
        help="write the JSON Schemas into schemas/ and the connector reference into docs/connectors/",
        description="Regenerate schemas/ from the spec models and docs/connectors/ from the connectors' "
        "catalogues; with --check, only report stale files.",
    )
    schema.add_argument("--check", action="store_true", help="exit 1 when a generated file is out of date")
    schema.set_defaults(run=Handler("checks", "schema"))
    _sync_commands(commands)
    _server_commands(commands)
    _reference_commands(commands)
    _onboarding_commands(commands)
    for command in subcommands(parser):  # `tillsync plan --color never` as well as `tillsync --color never plan`
        command.add_argument("--color", choices=MODES, default=argparse.SUPPRESS, help=COLOR_HELP)
    return parser


def subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser below `parser`, depth first (`logs`, then `logs purge`)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):
                found += [command, *subcommands(command)]
    return found


def _sync_commands(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="show record by record what a sync would change; writes nothing",
        description="Read the sources and targets of an environment's flows and show what apply would "
        "change. Exit 0 nothing to change, 2 changes, 1 error.",
    )
    _env_and_flow(plan)
    plan.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text",
        help="text for people, markdown for a pull-request comment, json to save for apply --plan",
    )  # fmt: skip
    plan.add_argument(
        "--refresh-only",
        action="store_true",
        help="report changes made in the targets outside Tillsync since the last apply, and nothing else",
    )
    plan.add_argument("--out", type=Path, metavar="FILE", help="write the plan to FILE (JSON saves it for apply)")
    plan.add_argument("--full", action="store_true", help=FULL_HELP)
    plan.set_defaults(run=Handler("sync", "plan"))

    apply = commands.add_parser(
        "apply",
        help="make the changes a plan shows",
        description="Plan an environment's flows, show the plan, ask, and apply exactly that plan; or apply a "
        "plan saved with `plan --format json --out FILE`. Exit 0 done, 1 when records failed (see dead letters) "
        "or the plan was not approved, 2 on a usage error.",
    )
    _env_and_flow(apply)
    apply.add_argument("--plan", type=Path, metavar="FILE", help="apply exactly this saved plan")
    apply.add_argument("--full", action="store_true", help=FULL_HELP)
    apply.add_argument(
        "-y", "--yes", "--auto-approve", dest="yes", action="store_true",
        help="apply without asking (scripts, CI); without it apply shows the plan and asks on a terminal",
    )  # fmt: skip
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
        help="per flow: its last run, dead letters, alerts and the command to run next",
        description="Plan every flow without writing (recording whether it is in sync, a check promotion relies "
        "on) and show per flow when it last ran and how that ended, its open dead letters with their reasons, its "
        "open alerts and the command to run next. Exit 0 ok, 1 warning, 2 critical, 3 unknown (a usage error, "
        "invalid specs, a state store that cannot be used): the monitoring plugin convention.",
    )
    status.__class__ = MonitoredParser  # 2 means critical here: its usage errors exit 3 (unknown)
    _env_and_flow(status)
    status.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people, json for dashboards")  # fmt: skip
    status.set_defaults(run=Handler("status", "status"))

    promote = commands.add_parser(
        "promote",
        help="move the spec versions verified in one environment to the next",
        description="Pin in environments/TO.yaml exactly the spec versions that were applied cleanly and "
        "checked in FROM; print the change; refuse, changing nothing, otherwise.",
    )
    promote.add_argument("--from", dest="source", required=True, metavar="ENV",
                         help="the environment where the versions were applied and checked, e.g. test")  # fmt: skip
    promote.add_argument("--to", dest="target", required=True, metavar="ENV",
                         help="the environment to pin them in, e.g. production")  # fmt: skip
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
        # --env is required, but checked by the handler: `logs purge --env ENV` takes its own
        usage="%(prog)s --env ENV [--flow NAME] [--key KEY] [--since WHEN] [--limit N] [--full] "
        "[--format {text,json}]\n       %(prog)s purge --env ENV [--older-than DAYS]",
    )
    logs.add_argument("--env", metavar="ENV", help="environment (required)")
    _flow_option(logs)
    logs.add_argument("--key", metavar="KEY", help="only this record: its match key, parts joined by /")
    logs.add_argument("--since", metavar="WHEN", help="ISO date or time, or a duration such as 2h or 7d")
    logs.add_argument("--limit", type=int, default=LOG_LIMIT, metavar="N",
                      help=f"the most recent N entries (default {LOG_LIMIT}); says so when there are more")  # fmt: skip
    logs.add_argument("--full", action="store_true", help="show every value whole (text cuts long ones)")
    logs.add_argument("--format", choices=("text", "json"), default="text",
                      help="text for people (long values cut unless --full), json whole, for tools")  # fmt: skip
    logs.set_defaults(run=Handler("sync", "logs"))
    purge = logs.add_subparsers(title="actions", metavar="ACTION").add_parser(
        "purge", help="delete activity older than the retention period"
    )
    purge.add_argument("--env", required=True, metavar="ENV", help="environment whose activity log to purge")
    purge.add_argument("--older-than", metavar="DAYS", type=int, help="default: the environment's retention")
    purge.set_defaults(run=Handler("sync", "purge"))


def _env_and_flow(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="environment: sandbox, test, production…")
    _flow_option(parser)


def _flow_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--flow", action="append", metavar="NAME",
        help="only these flows (repeatable): an INTEGRATION (all its flows), INTEGRATION/FLOW, or FLOW "
        "(that flow in every integration)",
    )  # fmt: skip


def _server_commands(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox", help="run the systems' sandboxes", description="Run the sandboxes of the connectors that have one."
    )
    actions = sandbox.add_subparsers(title="actions", metavar="ACTION", required=True)
    up = actions.add_parser(
        "up",
        help="serve the environment's sandboxes on 127.0.0.1 until interrupted",
        description="Serve the sandboxes the environment runs on in the foreground, one for each port its "
        "systems' urls name (two Shopify systems on two ports are two shops); use those already serving there. "
        "Print each one's URL and the credentials a client uses.",
    )
    up.add_argument(
        "--seed", action="store_true",
        help="start with a sample catalogue, customers and orders; each sandbox's suits the systems it is synced "
        "with",
    )  # fmt: skip
    up.add_argument(
        "--env", default="sandbox", metavar="ENV",
        help="the environment whose sandboxes serve and whose env_file receives their credentials (default: "
        "sandbox; outside a repository, one sandbox of each connector serves on the connector's own port)",
    )  # fmt: skip
    up.add_argument(
        "command", nargs="*", metavar="-- COMMAND",
        help="run COMMAND with the sandboxes up and their credentials set, then stop them; exit with its code "
        "(e.g. tillsync sandbox up -- tillsync plan --env sandbox)",
    )  # fmt: skip
    up.set_defaults(run=Handler("servers", "sandbox_up"))

    ui = commands.add_parser(
        "ui",
        help="open Dagster's UI on the environment's flows",
        description="Run Dagster's UI (its code server, webserver and daemon) on 127.0.0.1 for an environment "
        "until Ctrl-C or SIGTERM, which stop all it started. For the sandbox environment it uses the sandboxes "
        "already running (tillsync sandbox up) and starts the others. Dagster's output goes to "
        ".tillsync/dagster/dagster.log.",
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
    serve.add_argument("--env", required=True, metavar="ENV", help="environment whose flows receive the events")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8790, help="port to listen on (default: 8790)")
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


def _reference_commands(commands: Any) -> None:
    connectors = commands.add_parser(
        "connectors",
        help="list the connectors, or describe one: entities, fields, statuses, settings",
        description="Each connector's entities with their fields (type, read/write, required, create-only), "
        "the statuses a flow may filter on, its settings and credentials: the catalogues validation uses.",
    )
    connectors.add_argument("name", nargs="?", metavar="NAME", help="only this connector, e.g. shopify")
    connectors.add_argument("--entity", metavar="ENTITY", help="only this entity, e.g. stock")
    connectors.add_argument("--format", choices=("text", "markdown"), default="text",
                            help="text for a terminal, markdown for the reference in docs/connectors/")  # fmt: skip
    connectors.set_defaults(run=Handler("reference", "connectors"))

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL, made from this command line's own grammar. "
        'bash: eval "$(tillsync completion bash)"; zsh: eval "$(tillsync completion zsh)"; '
        "fish: tillsync completion fish | source.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell to complete in")
    completion.set_defaults(run=Handler("completion", "completion"))


def _onboarding_commands(commands: Any) -> None:
    undo = commands.add_parser(
        "undo",
        help="plan the undo of an applied run: fields set back, records it made archived or deleted",
        description="Make the plan that takes a flow's target back to before one applied run: each field it "
        "changed set back, each record it created archived or deleted where the flow's delete policy allows; a "
        "record changed since the run is a conflict and left as it is; orders and other records that cannot be "
        "undone are listed as such. Apply it with `apply --plan`. Exit 0 nothing to undo, 2 changes, 1 error.",
    )
    undo.add_argument("run_id", metavar="RUN", help="the run's id, or its first characters, as `logs` shows it")
    undo.add_argument("--env", required=True, metavar="ENV", help="environment the run was applied in")
    undo.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                      help="text for people, markdown for a pull-request comment, json for apply --plan")  # fmt: skip
    undo.add_argument("--out", type=Path, metavar="FILE", help="save the plan to FILE, for apply --plan")
    undo.set_defaults(run=Handler("undo", "undo"))

    init = commands.add_parser(
        "init",
        help="set up an integration: ask, then write its spec, sandbox entry and mapping tests",
        description="Ask what the integration guides ask (the two systems, the flows with their direction and "
        "master, the order statuses, each system's settings, where credentials come from), then write "
        "specs/NAME.yaml (validated first), its entry in environments/sandbox.yaml and specs/tests/NAME.yaml "
        "(passing), and print the next commands. Every question has a flag; --yes takes the defaults for the rest.",
    )
    init.add_argument("--from", dest="source", metavar="CONNECTOR", help="the till or ERP, e.g. mpluskassa")
    init.add_argument("--to", dest="target", metavar="CONNECTOR", help="the webshop or other side, e.g. shopify")
    init.add_argument("--name", metavar="NAME", help="the integration's name (default: FROM-TO)")
    init.add_argument("--flows", metavar="LIST", help="flows, comma separated: orders,products,stock,customers,prices,"
                      "categories,images,shipments (those both systems can run)")  # fmt: skip
    init.add_argument("--direction", action="append", metavar="FLOW=SYSTEM",
                      help="the system a flow reads from (connector or system name); FLOW=both: two-way")  # fmt: skip
    init.add_argument("--master", action="append", metavar="FLOW=SYSTEM", help="the system a two-way flow's wins")
    init.add_argument("--statuses", metavar="LIST", help="order statuses to send, comma separated (- for all)")
    init.add_argument("--setting", action="append", metavar="SYSTEM.SETTING=VALUE",
                      help="a system's setting, e.g. pos.branch=2 (repeatable)")  # fmt: skip
    init.add_argument("--flow-setting", action="append", metavar="FLOW.SETTING=VALUE",
                      help="a flow's setting: orders.default_debtor=1000, orders.employee_number=999999, "
                      "orders.branch=1, orders.order_type=order, stock.location_map=1:warehouse,2:store")  # fmt: skip
    init.add_argument("--credential", action="append", metavar="SYSTEM.NAME=env:VARIABLE",
                      help="the variable a credential is read from, e.g. shop.access_token=env:SHOP_TOKEN")  # fmt: skip
    init.add_argument("-y", "--yes", action="store_true", help="ask nothing: the default for every answer not given")
    init.add_argument("--force", action="store_true", help="overwrite the spec, its tests and its sandbox entry")
    init.set_defaults(run=Handler("wizard", "init"))
