"""Each flow's status, as an on-call engineer acts on it: when it last ran and how that ended, its
open dead letters with their reasons, its open alerts, whether a fresh plan finds it in step, how
bad that is (ok, warning, critical) and the command to run next.

`tillsync status` plans every flow it shows (the check promotion relies on, `gitops.record_check`);
a flow that cannot be planned is critical, and the others are still shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.alerts.problem import BLAST_RADIUS, CREDENTIALS, RUN_FAILED, WEBHOOK_REFUSED, command
from engine.errors import ConnectorError, FlowLockedError, one_line
from engine.run import runner
from engine.run.gitops import APPLY_KINDS, record_check
from engine.run.workspace import Workspace
from engine.state import StateStore
from engine.state.database import aware

OK, WARNING, CRITICAL = "ok", "warning", "critical"
LEVELS = (OK, WARNING, CRITICAL)
SHOWN_LETTERS = 3  # dead letters shown per flow; `tillsync logs` shows them all
CRITICAL_ALERTS = (RUN_FAILED, CREDENTIALS, BLAST_RADIUS, WEBHOOK_REFUSED)


@dataclass(frozen=True)
class LastRun:
    kind: str  # apply | retry | event
    status: str  # succeeded | failed | stopped | interrupted | running
    started_at: datetime
    finished_at: datetime | None
    why: str | None  # the error, why it stopped, or the gate's reasons


@dataclass(frozen=True)
class FlowReport:
    integration: str
    flow: str
    level: str
    summary: str  # one line: how the flow stands
    last_run: LastRun | None
    pending: int | None  # records a fresh plan would change; None: it could not be planned
    dead_letters: int
    letters: tuple[tuple[str, str], ...]  # (key, reason) of the first few
    alerts: tuple[dict[str, Any], ...] = ()  # open alerts: kind, title, opened_at, sent
    next: tuple[str, ...] = field(default=())  # the commands to run next, in order

    @property
    def label(self) -> str:
        return f"{self.integration}/{self.flow}"


def flow_reports(workspace: Workspace, store: StateStore, names: Sequence[str] | None) -> list[FlowReport]:
    """A report per selected flow, each planned afresh and its check recorded."""
    reports = []
    for item in runner.select(workspace, names):
        name, flow = item.deployment.name, item.flow
        store.settle(name, flow)  # a run whose process died shows as interrupted
        pending: int | None
        planning_failed = None
        try:
            [flow_plan] = runner.plan(workspace, store, [item]).flows
            pending = len(record_check(workspace, store, item.deployment, flow_plan)[0])
        except (ConnectorError, FlowLockedError) as exc:
            pending, planning_failed = None, one_line(str(exc), 500)
        letters = store.dead_letters.open(name, flow)
        systems = dict.fromkeys((item.deployment.flow(flow).source, item.deployment.flow(flow).target))
        alerts = [a for subject in (flow, *systems) for a in store.alerts.open(name, subject)]
        reports.append(_report(
            workspace.environment.name, name, flow, _last_run(store, name, flow), pending, planning_failed,
            [("/".join(letter.key), letter.reason) for letter in letters],
            [{"kind": a.kind, "title": a.message.get("title", ""), "opened_at": a.opened_at.isoformat(),
              "sent": not any(notice == "opened" for notice, _ in a.unsent), "last_error": a.last_error}
             for a in alerts],
        ))  # fmt: skip
    return reports


def _last_run(store: StateStore, integration: str, flow: str) -> LastRun | None:
    runs = [r for r in store.runs.list(integration, flow) if r["kind"] in APPLY_KINDS]
    if not runs:
        return None
    run = runs[-1]
    summary = run["summary"] or {}
    why = summary.get("error") or summary.get("stopped") or "; ".join(summary.get("gate") or []) or None
    if why is None and summary.get("interrupted"):
        why = summary["interrupted"]
    finished = aware(run["finished_at"]) if run["finished_at"] else None
    return LastRun(run["kind"], run["status"], aware(run["started_at"]), finished, why)


def _report(
    environment: str, integration: str, flow: str, last: LastRun | None, pending: int | None,
    planning_failed: str | None, letters: list[tuple[str, str]], alerts: list[dict[str, Any]],
) -> FlowReport:  # fmt: skip
    label = f"{integration}/{flow}"

    def cli(*words: str) -> str:
        return command("tillsync", *words, "--env", environment, "--flow", label)

    next_: tuple[str, ...]
    critical_alert = next((a for a in alerts if a["kind"] in CRITICAL_ALERTS), None)
    # a run that failed as a whole or was held at the gate; a run with failed records has dead letters to say it
    failed_whole = last is not None and last.status == "failed" and last.why is not None
    stopped_badly = failed_whole or (last is not None and last.status == "stopped")
    if planning_failed is not None:
        level, summary, next_ = CRITICAL, f"cannot be planned: {planning_failed}", (cli("plan"),)
    elif critical_alert is not None or stopped_badly:
        said = critical_alert["title"] if critical_alert else f"last run {_ended(last)}"
        level, summary, next_ = CRITICAL, said, (cli("logs"), cli("apply"))
        if critical_alert is not None and critical_alert["kind"] == BLAST_RADIUS:
            next_ = (cli("plan"), cli("apply"))
    elif last is not None and last.status == "interrupted":  # the next run settles what it left in doubt
        level, summary, next_ = WARNING, f"last run {_ended(last)}", (cli("logs"), cli("apply"))
    elif letters:
        count = f"{len(letters)} dead letter{'s' * (len(letters) != 1)}"
        level, summary = WARNING, f"{count} open"
        next_ = (command("tillsync", "logs", "--env", environment, "--flow", label, "--key", letters[0][0]),
                 cli("retry"))  # fmt: skip
    elif pending:
        level, summary = WARNING, f"{pending} record{'s' * (pending != 1)} to change" + (
            "; never applied" if last is None else "")  # fmt: skip
        next_ = (cli("plan"), cli("apply"))
    else:
        level, summary, next_ = OK, "in sync", ()
    if level == OK and any(not a["sent"] for a in alerts):
        level, summary = WARNING, "in sync; an alert could not be sent"
    return FlowReport(integration, flow, level, summary, last, pending, len(letters), tuple(letters[:SHOWN_LETTERS]),
                      tuple(alerts), next_)  # fmt: skip


def _ended(last: LastRun | None) -> str:
    return "never" if last is None else f"{last.status}: {last.why}"


def worst(reports: Sequence[FlowReport]) -> str:
    return max((report.level for report in reports), key=LEVELS.index, default=OK)
