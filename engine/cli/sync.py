"""`tillsync plan`, `apply`, `retry` and `logs`: the commands that talk to systems."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from connectors import CONNECTORS
from engine.cli import report
from engine.cli.progress import TerminalProgress
from engine.cli.style import paint
from engine.errors import TillsyncError, UsageError
from engine.plan import planfile, render
from engine.run import runner
from engine.run.workspace import Workspace, load_workspace
from engine.state.database import aware

EXIT_OK, EXIT_FINDING, EXIT_CHANGES = 0, 1, 2
DEFAULT_RETENTION_DAYS = 30
MAX_ENTRIES = 1_000_000_000


def _workspace(args: argparse.Namespace) -> Workspace:
    return load_workspace(Path.cwd(), args.env, connectors=CONNECTORS)


def _select(workspace: Workspace, args: argparse.Namespace) -> list[runner.Selected]:
    """The flows `--flow` selects, once every credential their systems need is known to be set."""
    flows = runner.select(workspace, args.flow)
    runner.require_credentials(workspace, flows)
    return flows


def plan(args: argparse.Namespace) -> int:
    if args.refresh_only:
        return drift(args)
    workspace = _workspace(args)
    progress = TerminalProgress()
    with runner.state_store(workspace) as store:
        made = runner.plan(workspace, store, _select(workspace, args), progress, full=args.full)
        key = store.plan_key()
    progress.clear()
    # JSON is the plan file, whether it goes to --out or to stdout: signed, so apply can take it
    output = planfile.dumps(made, key) if args.format == "json" else render.render(made, args.format)
    if args.out:
        _write(args.out, output)
        print(f"wrote the plan to {args.out}")
        if args.format != "json":
            sys.stdout.write(render.text(made))
    else:
        sys.stdout.write(output)
    return EXIT_CHANGES if made.has_changes else EXIT_OK


def drift(args: argparse.Namespace) -> int:
    from engine.run.drift import drift as find_drift

    workspace = _workspace(args)
    with runner.state_store(workspace) as store:
        found = find_drift(workspace, store, _select(workspace, args))
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
        _write(args.out, output)
    sys.stdout.write(output)
    return EXIT_CHANGES if found else EXIT_OK


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TillsyncError(f"{path}: cannot write it ({exc.strerror or exc.__class__.__name__})") from None


def apply(args: argparse.Namespace) -> int:
    """Plan, show the plan, ask (on a terminal, unless --yes), then apply exactly that plan; or apply
    a saved plan, which was looked at when it was saved. What each flow did, then the total."""
    if args.plan is None and not args.yes and not sys.stdin.isatty():
        raise UsageError("apply asks before it writes, and stdin is not a terminal to answer on; "
                         "pass --yes to apply without asking (scripts, CI)")  # fmt: skip
    workspace = _workspace(args)
    progress = TerminalProgress()
    with runner.state_store(workspace) as store:
        flows = _select(workspace, args)
        unplanned: list[runner.FlowOutcome] = []
        if args.plan is not None:
            shown = planfile.read(args.plan, store.plan_key())
        else:
            shown, unplanned = runner.plan_each(workspace, store, flows, progress, full=args.full)
            progress.clear()
            sys.stdout.write(render.text(shown))
            for line in report.outcome_lines(unplanned):
                print(line)
            if shown.has_changes and not args.yes and not _confirmed(workspace.environment.name):
                print("Apply cancelled; nothing was written.")
                return EXIT_FINDING
            print()
        applied = runner.apply_saved(workspace, store, shown, flows, progress)
    progress.clear()
    outcomes = [*unplanned, *applied]
    for line in report.outcome_lines(applied):
        print(line)
    print(report.total_line(outcomes))
    failed = sum(len(outcome.result.failures) for outcome in applied if outcome.result is not None)
    if failed:
        print(f"{failed} record{'s' * (failed != 1)} went to dead letters; fix the cause and run: "
              f"tillsync retry --env {args.env}")  # fmt: skip
    return EXIT_OK if all(outcome.result is not None and outcome.result.ok for outcome in outcomes) else EXIT_FINDING


def _confirmed(environment: str) -> bool:
    """Ask on the terminal whether to apply the plan shown; only yes (or y) applies."""
    sys.stderr.write(f"\nApply this plan to {environment}? Only 'yes' applies it: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("yes", "y")


def retry(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    progress = TerminalProgress()
    with runner.state_store(workspace) as store:
        outcomes = runner.retry(workspace, store, _select(workspace, args), progress)
        left = len(store.dead_letters.open())
    progress.clear()
    for line in report.outcome_lines(outcomes):
        print(line)
    if not outcomes:
        print("no dead letters to retry")
    print(f"{left} dead letter{'s' * (left != 1)} open")
    return EXIT_FINDING if left else EXIT_OK


def promote(args: argparse.Namespace) -> int:
    from engine.run.gitops import promote

    source = load_workspace(Path.cwd(), args.source, connectors=CONNECTORS)
    promotions = promote(source, args.target, args.integration)
    for promotion in promotions:
        revision = f" (verified at {promotion.revision[:12]})" if promotion.revision else ""
        print(f"promoted {promotion.integration} {promotion.digest[:19]}…{revision} to {args.target}")
    sys.stdout.write(promotions[0].diff if promotions else "")
    return EXIT_OK


def test(args: argparse.Namespace) -> int:
    from engine.run.mapping_tests import run_suites

    root = Path.cwd()
    paths = args.paths or sorted((root / "specs" / "tests").glob("*.yaml"))
    if not paths:
        raise UsageError("no mapping tests found in specs/tests/; name a PATH")
    count, failures = run_suites(paths, root, CONNECTORS)
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{count - len({f.case for f in failures})} of {count} mapping cases passed")
    return EXIT_FINDING if failures else EXIT_OK


def logs(args: argparse.Namespace) -> int:
    if not args.env:
        raise UsageError("logs needs --env ENV")
    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: give a number of entries, 1 or more")
    if args.limit > MAX_ENTRIES:  # beyond what a database takes as a LIMIT
        raise UsageError(f"--limit {args.limit}: give at most {MAX_ENTRIES} entries")
    since = _since(args.since) if args.since else None
    workspace = _workspace(args)
    scopes: list[tuple[str | None, str | None]] = [(None, None)]
    if args.flow:
        scopes = [(item.deployment.name, item.flow) for item in runner.select(workspace, args.flow)]
    key = tuple(args.key.split("/")) if args.key else None
    with runner.state_store(workspace) as store:
        entries, interrupted, total = [], [], 0
        for integration, flow in scopes:
            entries += store.activity.list(integration, flow, key, since, args.limit)
            total += store.activity.count(integration, flow, key, since)
            interrupted += store.runs.interrupted(integration, flow, since)
    entries = sorted(entries, key=lambda entry: entry.id)[-args.limit :]
    interrupted = interrupted[-args.limit :]
    if args.format == "json":
        rows = [
            {"at": e.at.isoformat(), "run": e.run_id, "flow": f"{e.integration}/{e.flow}", "key": list(e.key),
             "action": e.action, "outcome": e.outcome, "source": e.source, "sent": e.sent, "response": e.response}
            for e in entries
        ]  # fmt: skip
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        _say_cut(len(entries), total, sys.stderr)
        return EXIT_OK
    show = _whole if args.full else render.value_text
    for e in entries:
        outcome = paint(e.outcome, "error" if e.outcome == "failed" else "ok")
        print(f"{e.at:%Y-%m-%d %H:%M:%S} run {e.run_id[:8]} {e.integration}/{e.flow} {'/'.join(e.key)} "
              f"{_action(e.action)} {outcome}")  # fmt: skip
        response = e.response
        if e.outcome == "failed" and isinstance(response, dict) and "error" in response:
            print(f"    {paint('reason', 'error')}: {response['error']}")  # whole: it is what to fix
            response = {k: v for k, v in response.items() if k != "error"} or None
        for label, value in (("from source", e.source), ("sent", e.sent), ("response", response)):
            if value is not None:
                print(f"    {label}: {show(value)}")
    if not entries:
        print("no activity")
    _say_cut(len(entries), total, sys.stdout)
    for run in interrupted:
        print(f"run {run['id'][:8]} ({run['kind']} of {run['integration']}/{run['flow']}) was interrupted: "
              f"{_interrupted(run)}")  # fmt: skip
    return EXIT_OK


def _action(action: str) -> str:
    role = {"create": "create", "update": "update", "delete": "delete", "archive": "delete"}.get(action)
    return paint(action, role) if role else action


def _whole(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _say_cut(shown: int, total: int, stream: TextIO) -> None:
    """Say so when the limit left entries out: the most recent are shown."""
    if shown < total:
        print(f"showing the latest {shown} of {total} entries; --limit {total} shows them all", file=stream)


def _interrupted(run: dict[str, Any]) -> str:
    """How an interrupted run is shown: why, and when that was found."""
    started, found = (aware(run[when]) for when in ("started_at", "finished_at"))
    return f"its process ended mid-run (started {started:%Y-%m-%d %H:%M:%S}, found {found:%Y-%m-%d %H:%M:%S} UTC)"


def _oldest_days() -> int:
    """The most days back a date can go: to the first day of year 1."""
    return (datetime.now(UTC) - datetime.min.replace(tzinfo=UTC)).days


def _since(text: str) -> datetime:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[:-1].isdigit() and text[-1] in units:
        try:
            return datetime.now(UTC) - timedelta(**{units[text[-1]]: int(text[:-1])})
        except OverflowError:
            raise UsageError(
                f"--since {text!r}: give at most {_oldest_days()} days (the calendar begins in year 1)"
            ) from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TillsyncError(f"--since {text!r}: give an ISO date or time, or a duration such as 2h or 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def purge(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    if args.older_than is not None and args.older_than < 0:
        raise UsageError(f"--older-than {args.older_than}: give a number of days, 0 or more")
    if args.older_than is not None and args.older_than > _oldest_days():
        raise UsageError(f"--older-than {args.older_than}: give at most {_oldest_days()} days "
                         "(the calendar begins in year 1)")  # fmt: skip
    days = args.older_than if args.older_than is not None else workspace.environment.activity_retention_days
    before = datetime.now(UTC) - timedelta(days=days)
    with runner.state_store(workspace) as store:
        removed = store.activity.purge(before)
    print(f"purged {removed} activity entr{'ies' if removed != 1 else 'y'} older than {days} days")
    return EXIT_OK
