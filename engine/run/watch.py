"""What a run, a check or a webhook delivery tells the on-call engineer: problems to alert, and
problems that cleared.

The runner (every face's runs: the command line, the event worker, Dagster's assets), the checks
(`gitops.record_check`: `tillsync status` and Dagster's parity check), the webhook receiver and
Dagster's run-failure sensor call these functions, so the same problem makes the same alert
whichever of them met it. Each problem names the integration and the flow or system, the records
with the target system's own words, how many, and the commands that show more or retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from engine.alerts import Alerter, Problem
from engine.alerts.problem import (
    BLAST_RADIUS,
    CREDENTIALS,
    DEAD_LETTERS,
    PARITY,
    RUN_FAILED,
    WEBHOOK_REFUSED,
    command,
    first,
)
from engine.alerts.sinks import secret_values, sinks
from engine.errors import CredentialsRefusedError, TillsyncError, one_line
from engine.plan.model import Change
from engine.run.apply import ApplyResult
from engine.run.workspace import Deployment, Workspace
from engine.state import StateStore

log = logging.getLogger(__name__)

CLEARED_BY_A_RUN = (RUN_FAILED, BLAST_RADIUS)  # a run that went through its plan clears these of its flow


def alerter(workspace: Workspace, store: StateStore) -> Alerter:
    """The environment's alerter, masking every secret the environment resolves."""
    secrets = secret_values(workspace.environment.alerts, workspace.environ)
    for deployment in workspace.deployments.values():
        for system in deployment.systems.values():
            secrets += [workspace.environ[ref.removeprefix("env:")] for ref in system.credentials.values()
                        if workspace.environ.get(ref.removeprefix("env:"))]  # fmt: skip
    if workspace.state_url:
        secrets.append(workspace.state_url)
    found = sinks(workspace.environment.alerts, workspace.environ, workspace.root)
    return Alerter(workspace.environment.name, store.alerts, found, secrets)


def failed(workspace: Workspace, store: StateStore, deployment: Deployment, flow: str, error: BaseException,
           system: str | None) -> None:  # fmt: skip
    """A run of `flow` could not go on: `error` was raised while `system` was in use (None: unknown)."""
    if isinstance(error, CredentialsRefusedError) and system is not None:
        _alert(workspace, store, credentials(workspace, deployment, flow, system, str(error)))
        return
    said = str(error) if isinstance(error, TillsyncError) else f"internal error ({type(error).__name__})"
    _alert(workspace, store, run_failed(workspace, deployment.name, flow, f"the run failed: {said}"))


def finished(workspace: Workspace, store: StateStore, deployment: Deployment, result: ApplyResult) -> None:
    """A run went through its plan, or stopped on a fatal answer; its dead letters are looked at either way."""
    flow = deployment.flow(result.flow)
    with _guarded():
        alerts = alerter(workspace, store)
        alerts.flush()  # what a sink did not take before goes out with the next run
        if result.stopped and result.credentials_refused:
            alerts.alert(credentials(workspace, deployment, result.flow, flow.target, result.stopped))
        elif result.stopped:
            said = f"stopped before writing all it planned: {result.stopped}"
            alerts.alert(run_failed(workspace, deployment.name, result.flow, said))
        else:
            alerts.clear(deployment.name, result.flow, CLEARED_BY_A_RUN)
            for system in dict.fromkeys((flow.source, flow.target)):
                alerts.clear(deployment.name, system, (CREDENTIALS,))
        dead_letters(workspace, store, alerts, deployment, result.flow)


def gated(workspace: Workspace, store: StateStore, deployment: Deployment, flow: str, problems: Sequence[str]) -> None:
    """An unattended run of `flow` was held at its gate; nothing was written."""
    label, env = f"{deployment.name}/{flow}", workspace.environment.name
    _alert(workspace, store, Problem(
        BLAST_RADIUS, deployment.name, flow, f"{label}: held at the gate (blast radius), nothing written",
        tuple(problems),
        (("see what it would do", command("tillsync", "plan", "--env", env, "--flow", label)),
         ("apply it if it is right", command("tillsync", "apply", "--env", env, "--flow", label))),
        facts={"flow": label},
    ))  # fmt: skip


def checked(workspace: Workspace, store: StateStore, deployment: Deployment, flow: str, pending: Sequence[Change],
            applied_ok: bool) -> None:  # fmt: skip
    """A check planned `flow` afresh: records out of step after an apply that succeeded are a problem."""
    label, env = f"{deployment.name}/{flow}", workspace.environment.name
    with _guarded():
        alerts = alerter(workspace, store)
        if not pending:
            alerts.clear(deployment.name, flow, (PARITY,))
            return
        if not applied_ok:  # never applied, or its last apply failed: that run's own alert says why
            return
        details = first([f"{'/'.join(c.key)}: {c.action.value}: {c.reason}" for c in pending], len(pending))
        alerts.alert(Problem(
            PARITY, deployment.name, flow,
            f"{label}: parity check failed: {len(pending)} record{'s' * (len(pending) != 1)} out of step after "
            "the last apply succeeded", details,
            (("see the differences", command("tillsync", "plan", "--env", env, "--flow", label)),
             ("changes made outside Tillsync", command("tillsync", "plan", "--env", env, "--flow", label,
                                                       "--refresh-only"))),
            facts={"flow": label, "records": len(pending)},
        ))  # fmt: skip


def dead_letters(workspace: Workspace, store: StateStore, alerts: Alerter, deployment: Deployment, flow: str) -> None:
    """Alert dead letters newer than those already alerted; clear the problem when none are open."""
    letters = store.dead_letters.open(deployment.name, flow)
    if not letters:
        alerts.clear(deployment.name, flow, (DEAD_LETTERS,))
        return
    told = store.alerts.find(deployment.name, flow, DEAD_LETTERS)
    new = [letter for letter in letters if told is None or told.mark is None or letter.id > told.mark]
    if not new:
        return
    label, env = f"{deployment.name}/{flow}", workspace.environment.name
    target = deployment.flow(flow).target
    connector = deployment.systems[target].connector.name
    count = f"{len(new)} record{'s' * (len(new) != 1)}"
    details = first([f"{'/'.join(letter.key)}: {one_line(letter.reason, 500)}" for letter in new], len(new))
    alerts.alert(Problem(
        DEAD_LETTERS, deployment.name, flow,
        f"{label}: {count} went to dead letters writing to {target} ({connector}); {len(letters)} open", details,
        (("show what was sent and what came back", command("tillsync", "logs", "--env", env, "--flow", label, "--key",
                                                           "/".join(new[0].key))),
         ("retry once the cause is fixed", command("tillsync", "retry", "--env", env, "--flow", label))),
        mark=max(letter.id for letter in letters),
        facts={"flow": label, "system": target, "records": len(new), "open": len(letters),
               "keys": ["/".join(letter.key) for letter in new]},
    ))  # fmt: skip


def webhook_refused(workspace: Workspace, store: StateStore, integration: str, system: str, status: int,
                    reason: str) -> None:  # fmt: skip
    """The receiver refused a delivery of a system it knows: deliveries are being lost."""
    deployment = workspace.deployments[integration]
    hooks = deployment.systems[system].connector.webhooks
    named = hooks.secret_credential if hooks is not None else None
    reference = deployment.systems[system].credentials.get(named or "", "")
    secret = f"; check {named} ({reference.removeprefix('env:')}) against the secret the system signs with" if (
        status == 401 and named and reference) else ""  # fmt: skip
    env = workspace.environment.name
    _alert(workspace, store, Problem(
        WEBHOOK_REFUSED, integration, system,
        f"{integration}/{system}: a webhook delivery was refused with HTTP {status}: {reason}{secret}", (),
        (("see the flows and their events", command("tillsync", "status", "--env", env, "--flow", integration)),),
        facts={"system": system, "status": status},
    ))  # fmt: skip


def webhook_taken(workspace: Workspace, store: StateStore, integration: str, system: str) -> None:
    """A delivery of the system was verified: its deliveries are no longer refused."""
    with _guarded():
        alerter(workspace, store).clear(integration, system, (WEBHOOK_REFUSED,))


def failed_elsewhere(workspace: Workspace, store: StateStore, integration: str, flow: str, message: str) -> None:
    """A run of `flow` failed outside what the runner saw (Dagster's run-failure sensor): alerted
    unless a problem a failed run alerts itself is open already (the flow's run failed or was held at
    the gate, or one of its systems refused Tillsync's credentials): that run's own alert told of it."""
    with _guarded():
        deployment = workspace.deployments[integration]
        spec = deployment.flow(flow)
        told = [store.alerts.find(integration, flow, kind) for kind in CLEARED_BY_A_RUN]
        told += [store.alerts.find(integration, system, CREDENTIALS) for system in (spec.source, spec.target)]
        if any(told):
            return
        alerter(workspace, store).alert(run_failed(workspace, integration, flow, f"the run failed: {message}"))


def run_failed(workspace: Workspace, integration: str, flow: str, said: str) -> Problem:
    label, env = f"{integration}/{flow}", workspace.environment.name
    return Problem(
        RUN_FAILED, integration, flow, f"{label}: {one_line(said, 500)}", (),
        (("show what it did", command("tillsync", "logs", "--env", env, "--flow", label)),
         ("run it again", command("tillsync", "apply", "--env", env, "--flow", label))),
        facts={"flow": label},
    )  # fmt: skip


def credentials(workspace: Workspace, deployment: Deployment, flow: str, system: str, said: str) -> Problem:
    """A system refused its credentials: which, the system's words, and where they come from."""
    label, env = f"{deployment.name}/{flow}", workspace.environment.name
    resolved = deployment.systems[system]
    sources = ", ".join(f"{name} ({ref.removeprefix('env:')})" for name, ref in resolved.credentials.items())
    return Problem(
        CREDENTIALS, deployment.name, system,
        f"{deployment.name}/{system} ({resolved.connector.name}) refused Tillsync's credentials: {one_line(said, 500)}",
        (f"flow {label} stopped; its credentials come from {sources or 'no variables'}",),
        (("check them once renewed", command("tillsync", "plan", "--env", env, "--flow", label)),),
        facts={"flow": label, "system": system},
    )  # fmt: skip


def _alert(workspace: Workspace, store: StateStore, problem: Problem) -> None:
    with _guarded():
        alerter(workspace, store).alert(problem)


class _guarded:
    """Alerting never breaks what called it: a failure there is logged, and the run goes on."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, *rest: object) -> bool:
        if error is not None and isinstance(error, Exception):
            log.warning("alerting failed: %s", one_line(str(error), 300) if isinstance(error, TillsyncError)
                        else type(error).__name__)  # fmt: skip
            return True
        return False
