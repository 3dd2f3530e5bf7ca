"""`tillsync plan`, `apply`, `retry` and `logs`: the commands that talk to systems."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine import render, runner
from engine.apply import ApplyResult
from engine.errors import TillsyncError, UsageError
from engine.plan import FlowPlan
from engine.workspace import Workspace, load_workspace

EXIT_OK, EXIT_FINDING, EXIT_CHANGES = 0, 1, 2
DEFAULT_RETENTION_DAYS = 30


def register(commands: Any) -> None:
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
    plan.set_defaults(run=_plan)

    apply = commands.add_parser(
        "apply",
        help="make the changes a plan shows",
        description="Plan and apply an environment's flows, or apply a plan saved with "
        "`plan --format json --out FILE`. Exit 0 done, 1 when records failed (see dead letters).",
    )
    _env_and_flow(apply)
    apply.add_argument("--plan", type=Path, metavar="FILE", help="apply exactly this saved plan")
    apply.set_defaults(run=_apply)

    retry = commands.add_parser(
        "retry",
        help="replay the records that went to dead letters",
        description="Plan and apply again only the records in dead letters; the rest is left alone.",
    )
    _env_and_flow(retry)
    retry.set_defaults(run=_retry)

    status = commands.add_parser(
        "status",
        help="which spec version runs in an environment, and whether each flow is in sync",
        description="Plan every flow without writing and record whether it is in sync (a check "
        "promotion relies on). Exit 0 all in sync, 1 otherwise.",
    )
    _env_and_flow(status)
    status.set_defaults(run=_status)

    promote = commands.add_parser(
        "promote",
        help="move the spec versions verified in one environment to the next",
        description="Pin in environments/TO.yaml exactly the spec versions that were applied cleanly and "
        "checked in FROM; print the change; refuse, changing nothing, otherwise.",
    )
    promote.add_argument("--from", dest="source", required=True, metavar="ENV")
    promote.add_argument("--to", dest="target", required=True, metavar="ENV")
    promote.add_argument("integration", nargs="?", help="only this integration")
    promote.set_defaults(run=_promote)

    test = commands.add_parser(
        "test",
        help="run the mapping tests in specs/tests/",
        description="For each case: map the source records with the spec and compare with the expected "
        "target records and plan. No system is called. Exit 0 all pass, 1 otherwise.",
    )
    test.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="suite files (default: specs/tests/)")
    test.set_defaults(run=_test)

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
    logs.set_defaults(run=_logs)
    purge = logs.add_subparsers(title="actions", metavar="ACTION").add_parser(
        "purge", help="delete activity older than the retention period"
    )
    purge.add_argument("--env", required=True, metavar="ENV")
    purge.add_argument("--older-than", metavar="DAYS", type=int, help="default: the environment's retention")
    purge.set_defaults(run=_purge)


def _env_and_flow(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="environment: sandbox, test, production…")
    parser.add_argument("--flow", metavar="NAME", help="only this flow (NAME or INTEGRATION/NAME)")


def _workspace(args: argparse.Namespace) -> Workspace:
    return load_workspace(Path.cwd(), args.env)


def _plan(args: argparse.Namespace) -> int:
    if args.refresh_only:
        return _drift(args)
    workspace = _workspace(args)
    with runner.state_store(workspace) as store:
        plans = runner.plan(workspace, store, runner.select(workspace, args.flow))
    output = render.render(plans, args.format)
    if args.out:
        args.out.write_text(output, encoding="utf-8")
        print(f"wrote the plan to {args.out}")
        if args.format != "json":
            sys.stdout.write(render.text(plans))
    else:
        sys.stdout.write(output)
    return EXIT_CHANGES if any(plan.has_changes for plan in plans) else EXIT_OK


def _drift(args: argparse.Namespace) -> int:
    from engine.pipeline import FlowSetup, drift_flow, open_systems

    workspace = _workspace(args)
    found = []
    with runner.state_store(workspace) as store:
        for item in runner.select(workspace, args.flow):
            with open_systems(workspace, item.deployment) as systems:
                found += [(item.label, d) for d in drift_flow(FlowSetup.of(item.deployment, item.flow), systems, store)]
    if args.format == "json":
        rows = [{"flow": label, "key": list(d.key), "field": d.field, "applied": d.applied, "current": d.current,
                 "policy": d.policy} for label, d in found]  # fmt: skip
        output = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    else:
        lines = [f"{label} {'/'.join(d.key)} {d.field}: {render.value_text(d.applied)} → "
                 f"{render.value_text(d.current)}  ({'adopted' if d.policy == 'adopt' else 'will be overwritten'})"
                 for label, d in found]  # fmt: skip
        lines.append(f"{len(found)} change{'s' * (len(found) != 1)} made in the targets outside Tillsync"
                     if found else "No changes made in the targets outside Tillsync.")  # fmt: skip
        output = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(output, encoding="utf-8")
    sys.stdout.write(output)
    return EXIT_CHANGES if found else EXIT_OK


def _apply(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    saved = _load_plan(args.plan, workspace) if args.plan else None
    with runner.state_store(workspace) as store:
        results = runner.apply(workspace, store, runner.select(workspace, args.flow), saved)
    for result in results:
        print(_result_line(result))
        for key, reason in result.failures:
            print(f"  x {'/'.join(key)}: {reason}")
    failed = sum(len(r.failures) for r in results)
    if failed:
        print(f"{failed} record{'s' * (failed != 1)} went to dead letters; fix the cause and run: "
              f"tillsync retry --env {args.env}")  # fmt: skip
    return EXIT_FINDING if failed else EXIT_OK


def _retry(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    with runner.state_store(workspace) as store:
        results = runner.retry(workspace, store, runner.select(workspace, args.flow))
        left = len(store.dead_letters())
    for result in results:
        print(_result_line(result))
        for key, reason in result.failures:
            print(f"  x {'/'.join(key)}: {reason}")
    if not results:
        print("no dead letters to retry")
    print(f"{left} dead letter{'s' * (left != 1)} open")
    return EXIT_FINDING if left else EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from engine.gitops import check

    workspace = _workspace(args)
    statuses = check(workspace, args.flow)
    for name, deployment in workspace.deployments.items():
        entry = workspace.environment.integrations[name]
        pinned = f"pinned at {entry.version.digest[:19]}…" if entry.version else "not pinned"
        print(f"{name}: {deployment.spec_path} {deployment.digest[:19]}… ({pinned})")
        for s in (s for s in statuses if s.integration == name):
            applied = "never applied" if s.last_apply is None else f"last apply {s.last_apply}" + (
                "" if s.applied_digest == s.digest else " (an older version)")  # fmt: skip
            state = "in sync" if s.in_sync else f"{s.pending} to change, {s.dead_letters} dead letters"
            print(f"  {s.flow}: {state}; {applied}")
    return EXIT_OK if all(s.in_sync for s in statuses) else EXIT_FINDING


def _promote(args: argparse.Namespace) -> int:
    from engine.gitops import promote

    promotions = promote(Path.cwd(), args.source, args.target, args.integration)
    for promotion in promotions:
        revision = f" (verified at {promotion.revision[:12]})" if promotion.revision else ""
        print(f"promoted {promotion.integration} {promotion.digest[:19]}…{revision} to {args.target}")
    sys.stdout.write(promotions[0].diff if promotions else "")
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    from engine.mapping_tests import run_suites

    root = Path.cwd()
    paths = args.paths or sorted((root / "specs" / "tests").glob("*.yaml"))
    if not paths:
        raise UsageError("no mapping tests found in specs/tests/; name a PATH")
    count, failures = run_suites(paths, root)
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{count - len({f.case for f in failures})} of {count} mapping cases passed")
    return EXIT_FINDING if failures else EXIT_OK


def _result_line(result: ApplyResult) -> str:
    counts = result.counts
    done = ", ".join(
        f"{counts[name]} {label}"
        for name, label in (("create", "created"), ("update", "updated"), ("conflict", "conflicts resolved"),
                            ("archive", "archived"), ("delete", "deleted"), ("skip", "unchanged or skipped"))
        if counts.get(name)
    )  # fmt: skip
    recovered = f", {result.recovered} recovered from an interrupted run" if result.recovered else ""
    return (
        f"{result.integration}/{result.flow}: {done or 'nothing to do'}, {len(result.failures)} failed{recovered} "
        f"({result.api_calls} calls, {result.duration_s:.2f} s)"
    )


def _load_plan(path: Path, workspace: Workspace) -> dict[str, FlowPlan]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TillsyncError(f"{path}: not a saved plan ({exc}); save one with plan --format json --out FILE") from None
    if not isinstance(data, dict) or data.get("format") != "tillsync-plan/1":
        raise TillsyncError(f"{path}: not a saved plan; save one with plan --format json --out FILE")
    if data.get("environment") != workspace.environment.name:
        raise TillsyncError(
            f"{path}: the plan was made for environment {data.get('environment')}, not {workspace.environment.name}"
        )
    plans = [FlowPlan.from_json(flow) for flow in data["flows"]]
    return {f"{plan.integration}/{plan.flow}": plan for plan in plans}


def _logs(args: argparse.Namespace) -> int:
    if not args.env:
        raise UsageError("logs needs --env ENV")
    workspace = _workspace(args)
    scopes: list[tuple[str | None, str | None]] = [(None, None)]
    if args.flow:
        scopes = [(item.deployment.name, item.flow) for item in runner.select(workspace, args.flow)]
    key = tuple(args.key.split("/")) if args.key else None
    since = _since(args.since) if args.since else None
    with runner.state_store(workspace) as store:
        entries = []
        for integration, flow in scopes:
            entries += store.activity(integration, flow, key, since, args.limit)
    entries.sort(key=lambda entry: entry.id)
    if args.format == "json":
        rows = [
            {"at": e.at.isoformat(), "run": e.run_id, "flow": f"{e.integration}/{e.flow}", "key": list(e.key),
             "action": e.action, "outcome": e.outcome, "source": e.source, "sent": e.sent, "response": e.response}
            for e in entries
        ]  # fmt: skip
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    for e in entries:
        print(f"{e.at:%Y-%m-%d %H:%M:%S} {e.integration}/{e.flow} {'/'.join(e.key)} {e.action} {e.outcome}")
        for label, value in (("from source", e.source), ("sent", e.sent), ("response", e.response)):
            if value is not None:
                print(f"    {label}: {render.value_text(value)}")
    if not entries:
        print("no activity")
    return EXIT_OK


def _since(text: str) -> datetime:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[:-1].isdigit() and text[-1] in units:
        return datetime.now(UTC) - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TillsyncError(f"--since {text!r}: give an ISO date or time, or a duration such as 2h or 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _purge(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    days = args.older_than if args.older_than is not None else workspace.environment.activity_retention_days
    before = datetime.now(UTC) - timedelta(days=days)
    with runner.state_store(workspace) as store:
        removed = store.purge_activity(before)
    print(f"purged {removed} activity entr{'ies' if removed != 1 else 'y'} older than {days} days")
    return EXIT_OK
