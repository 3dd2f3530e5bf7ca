"""`tillsync status`: per flow, how it stands and what to run next; for people or, as JSON, dashboards.

Exit codes follow the monitoring plugin convention (Nagios, Icinga, Zabbix, Sensu read it): 0 every
flow ok, 1 a warning (dead letters, records to change, an alert not sent), 2 something critical
(a run failed or stopped, credentials refused, a flow held at the gate or that cannot be planned),
3 the status could not be told (a usage error, an invalid spec, a state store that cannot be used).
So for `status` a usage error is 3, not the 2 other commands use: 2 means critical here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors import CONNECTORS
from engine.cli.parser import EXIT_UNKNOWN
from engine.cli.style import paint
from engine.errors import SpecError, TillsyncError
from engine.run import runner
from engine.run.status import CRITICAL, OK, WARNING, FlowReport, flow_reports, worst
from engine.run.workspace import load_workspace

EXIT = {OK: 0, WARNING: 1, CRITICAL: 2}
ROLE = {OK: "ok", WARNING: "warning", CRITICAL: "error"}


def status(args: argparse.Namespace) -> int:
    try:
        workspace = load_workspace(Path.cwd(), args.env, connectors=CONNECTORS)
        flows = runner.select(workspace, args.flow)
        runner.require_credentials(workspace, flows)
        with runner.state_store(workspace) as store:
            reports = flow_reports(workspace, store, args.flow)
    except SpecError as exc:
        sys.stderr.write("".join(f"{d}\n" for d in exc.diagnostics))
        return _unknown("the specs are invalid; run tillsync validate")
    except TillsyncError as exc:
        return _unknown(str(exc))
    if args.format == "json":
        body = {"environment": workspace.environment.name, "status": worst(reports),
                "flows": [_json(report) for report in reports]}  # fmt: skip
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_text(workspace.environment.name, reports))
    return EXIT[worst(reports)]


def _unknown(message: str) -> int:
    sys.stderr.write(f"tillsync: {paint('error', 'error', sys.stderr)}: {message} (status unknown)\n")
    return EXIT_UNKNOWN


def _text(environment: str, reports: Sequence[FlowReport]) -> str:
    lines = []
    for report in reports:
        level = paint(report.level.upper(), ROLE[report.level], sys.stdout)
        lines.append(f"{level} {report.label}: {report.summary}")
        if report.last_run is None:
            lines.append("  last run: never")
        else:
            run = report.last_run
            ended = f", {run.why}" if run.why and run.status != "succeeded" else ""
            lines.append(f"  last run: {run.kind} {run.status} at {run.started_at:%Y-%m-%d %H:%M:%S} UTC{ended}")
        if report.pending is not None:
            lines.append(f"  plan now: {'in step' if not report.pending else f'{report.pending} to change'}")
        if report.dead_letters:
            lines.append(f"  dead letters: {report.dead_letters} open")
            lines += [f"    {key}: {reason}" for key, reason in report.letters]
            if report.dead_letters > len(report.letters):
                lines.append(f"    … and {report.dead_letters - len(report.letters)} more")
        for alert in report.alerts:
            sent = "sent" if alert["sent"] else f"not sent yet: {alert['last_error'] or 'no alert sink'}"
            lines.append(f"  alert since {alert['opened_at'][:19].replace('T', ' ')} UTC ({sent}): {alert['title']}")
        lines += [f"  next: {line}" for line in report.next]
    counts = {level: sum(1 for r in reports if r.level == level) for level in (CRITICAL, WARNING, OK)}
    said = ", ".join(f"{count} {level}" for level, count in counts.items() if count) or "no flows"
    lines.append(f"{environment}: {said}")
    return "\n".join(lines) + "\n"


def _json(report: FlowReport) -> dict[str, Any]:
    run = report.last_run
    return {
        "flow": report.label, "integration": report.integration, "name": report.flow, "status": report.level,
        "summary": report.summary,
        "last_run": None if run is None else {
            "kind": run.kind, "status": run.status, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None, "why": run.why,
        },
        "pending": report.pending, "dead_letters": report.dead_letters,
        "first_dead_letters": [{"key": key, "reason": reason} for key, reason in report.letters],
        "alerts": list(report.alerts), "next": list(report.next),
    }  # fmt: skip
