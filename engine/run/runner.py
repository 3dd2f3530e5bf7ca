"""Running an environment's flows: the functions every face calls.

`sync_flow` is plan → gate → apply for one flow, under the flow's lock, after settling what an
interrupted run left in doubt. The CLI (`apply`, `retry`), the event worker and the Dagster assets
all run flows through it; `apply_saved` applies a plan saved earlier, flow by flow in its order,
each checked against a plan made just before it (`engine.plan.staleness`). `plan` only reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from engine.catalogue import choices
from engine.errors import ConnectorError, FlowLockedError, TillsyncError
from engine.keys import Key
from engine.plan.gate import gate_problems
from engine.plan.model import WRITES, FlowPlan, Plan
from engine.plan.staleness import StalePlanError, to_apply
from engine.run import watch
from engine.run.apply import ApplyResult, FlowRun, apply_plan
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.progress import Observer, silent
from engine.run.recovery import recover
from engine.run.systems import Systems, open_systems
from engine.run.undo import plan_undo
from engine.run.workspace import Deployment, Workspace
from engine.state import StateStore, default_url


@dataclass(frozen=True)
class Selected:
    deployment: Deployment
    flow: str

    @property
    def label(self) -> str:
        return f"{self.deployment.name}/{self.flow}"


@dataclass(frozen=True)
class FlowOutcome:
    """What one flow's plan → gate → apply came to: the plan, and what apply did; or why the gate
    held it (nothing written); or why the flow could not run at all (its system unreachable, its
    credentials refused, another process applying it)."""

    label: str
    plan: FlowPlan | None = None
    gated: tuple[str, ...] = ()
    result: ApplyResult | None = None
    failed: str | None = None


def select(workspace: Workspace, names: str | Sequence[str] | None = None) -> list[Selected]:
    """The enabled flows `names` select, in the order the environment and its specs list them, or
    all of them. Each name is `INTEGRATION/FLOW` (that flow), `INTEGRATION` (all its flows) or `FLOW`
    (the flows of that name in every integration); a name that selects nothing is an error."""
    every = [Selected(d, name) for d in workspace.deployments.values() for name in d.enabled_flows()]
    if names is None:
        return every
    chosen: set[str] = set()
    for name in [names] if isinstance(names, str) else names:
        chosen |= _selected(workspace, every, name)
    return [item for item in every if item.label in chosen]


def _selected(workspace: Workspace, every: Sequence[Selected], name: str) -> set[str]:
    """The labels of the flows one `--flow` name selects."""
    environment = workspace.environment.name
    by_flow = {item.label for item in every if name in (item.flow, item.label)}
    by_integration = {item.label for item in every if item.deployment.name == name}
    if by_flow and by_integration:
        raise TillsyncError(f"'{name}' is both an integration and a flow in environment {environment}; "
                            f"say {name}/FLOW for a flow of the integration, or INTEGRATION/{name}")  # fmt: skip
    if by_flow or by_integration:
        return by_flow or by_integration
    if name in workspace.deployments:
        raise TillsyncError(f"integration {name} has no enabled flow in environment {environment}")
    known = [*workspace.deployments, *dict.fromkeys(item.flow for item in every), *(item.label for item in every)]
    raise TillsyncError(f"no enabled flow or integration '{name}' in environment {environment}; {choices(name, known)}")


def require_credentials(workspace: Workspace, flows: Sequence[Selected]) -> None:
    """Refuse, naming every one at once, when a credential the systems of `flows` need is not set:
    neither in the process environment nor in the environment's `env_file`."""
    missing: dict[str, list[str]] = {}
    for item in flows:
        flow = item.deployment.flow(item.flow)
        for name in dict.fromkeys((flow.source, flow.target)):
            lacking = item.deployment.systems[name].missing(workspace.environ)
            if lacking:
                missing[f"{item.deployment.name}/{name}"] = lacking
    if not missing:
        return
    env_file = workspace.environment.env_file
    where = "the process environment" + (
        f" or {env_file}, the environment's env_file (`tillsync sandbox up` writes the credentials of the "
        "running sandboxes there)" if env_file else "")  # fmt: skip
    systems = "; ".join(f"system {system} needs {', '.join(names)}" for system, names in missing.items())
    raise ConnectorError(f"credentials not set: {systems}; set them in {where}")


@contextmanager
def state_store(workspace: Workspace) -> Iterator[StateStore]:
    store = StateStore(workspace.state_url or default_url(workspace.root, workspace.environment.name))
    try:
        yield store
    finally:
        store.close()


def plan(
    workspace: Workspace, store: StateStore, flows: Sequence[Selected], progress: Observer = silent, full: bool = False
) -> Plan:
    """What syncing these flows would do, each planned against the targets as they are now; `full`
    reads every target whole, reconciliation schedule or not."""
    return Plan(workspace.environment.name, tuple(_plan_one(workspace, store, item, progress, full) for item in flows))


def plan_each(
    workspace: Workspace, store: StateStore, flows: Sequence[Selected], progress: Observer = silent, full: bool = False
) -> tuple[Plan, list[FlowOutcome]]:
    """`plan`, going on past a flow that cannot be planned (its system unreachable, its credentials
    refused): the plan of the others, and those flows as could not run. What `apply` shows."""
    plans, failed = [], []
    for item in flows:
        setup = FlowSetup.of(item.deployment, item.flow)
        with open_systems(workspace, item.deployment) as systems:
            try:
                plans.append(plan_flow(workspace, setup, systems, store, progress=progress, full=full))
            except ConnectorError as exc:  # the apply of this flow cannot run: alerted like any run that failed
                failed.append(FlowOutcome(item.label, failed=str(exc)))
                watch.failed(workspace, store, item.deployment, item.flow, exc, systems.in_use)
    return Plan(workspace.environment.name, tuple(plans)), failed


def _plan_one(workspace: Workspace, store: StateStore, item: Selected, progress: Observer, full: bool) -> FlowPlan:
    setup = FlowSetup.of(item.deployment, item.flow)
    with open_systems(workspace, item.deployment, store.budgets) as systems:
        return plan_flow(workspace, setup, systems, store, progress=progress, full=full)


@contextmanager
def flow_run(
    workspace: Workspace,
    store: StateStore,
    item: Selected,
    kind: str,
    systems: Systems | None = None,
    progress: Observer = silent,
) -> Iterator[FlowRun]:
    """A run of one flow under its lock, recorded in runs, with an interrupted run's writes settled
    first. The caller finishes the run; a run that raises is recorded as failed. `systems` are the
    clients to use (the benchmarks pass clients on a virtual clock); by default they are opened."""
    setup = FlowSetup.of(item.deployment, item.flow)
    name = item.deployment.name
    opened = nullcontext(systems) if systems is not None else open_systems(workspace, item.deployment, store.budgets)
    with opened as systems, store.lock(name, item.flow):
        run_id = store.runs.start(name, item.flow, kind, item.deployment.digest)
        run = FlowRun(workspace, setup, systems, store, run_id, kind, calls_before=systems.calls(), progress=progress)
        try:
            run.recovered = recover(setup, systems, store, run_id)
            yield run
        except BaseException as exc:
            store.runs.finish(run_id, "failed", {"error": str(exc)})
            if isinstance(exc, Exception):
                watch.failed(workspace, store, item.deployment, item.flow, exc, systems.in_use)
            raise


def sync_flow(
    workspace: Workspace,
    store: StateStore,
    item: Selected,
    *,
    kind: str = "apply",
    gated: bool = False,
    only: set[Key] | None = None,
    source_keys: Sequence[Key] | None = None,
    systems: Systems | None = None,
    progress: Observer = silent,
    full: bool = False,
) -> FlowOutcome:
    """Plan → gate → apply one flow. `gated` stops a plan beyond the flow's `gate` before anything is
    written (unattended runs); `only` narrows the run to some keys (a retry of dead letters);
    `source_keys` to the source records with these keys (those webhook events name); `full` reads
    the whole target, reconciliation due or not."""
    with flow_run(workspace, store, item, kind, systems, progress) as run:
        flow_plan = plan_flow(workspace, run.setup, run.systems, store, only, source_keys, progress, full)
        held = store.applied.count(item.deployment.name, item.flow) if gated and flow_plan.partial else 0
        problems = gate_problems(flow_plan, item.deployment.flow(item.flow).gate, held) if gated else []
        if problems:
            store.runs.finish(run.run_id, "stopped", {"gate": problems})
            watch.gated(workspace, store, item.deployment, item.flow, problems)
            return FlowOutcome(item.label, flow_plan, tuple(problems))
        result = apply_plan(run, flow_plan)
        if only is not None:  # dead letters of records no longer in the source have nothing to retry
            store.dead_letters.resolve(item.deployment.name, item.flow, list(only - {c.key for c in flow_plan.changes}))
        _finish(run, result)
    return FlowOutcome(item.label, flow_plan, result=result)


def _finish(run: FlowRun, result: ApplyResult) -> None:
    """Record how the run ended, and tell the on-call engineer what it found (`engine.run.watch`)."""
    status = "failed" if result.stopped or result.failures else "succeeded"
    run.store.runs.finish(result.run_id, status, result.summary())
    watch.finished(run.workspace, run.store, run.setup.deployment, result)


def sync(
    workspace: Workspace,
    store: StateStore,
    flows: Sequence[Selected],
    *,
    kind: str = "apply",
    gated: bool = False,
    progress: Observer = silent,
) -> list[FlowOutcome]:
    """`sync_flow` for each flow in order: each is planned after the ones before it were applied. A
    flow that cannot run (its system unreachable, its credentials refused, another process applying
    it) is reported and the others go on; a state store that cannot be used stops them all."""
    outcomes = []
    for item in flows:
        try:
            outcomes.append(sync_flow(workspace, store, item, kind=kind, gated=gated, progress=progress))
        except (ConnectorError, FlowLockedError) as exc:
            outcomes.append(FlowOutcome(item.label, failed=str(exc)))
    return outcomes


def retry(
    workspace: Workspace, store: StateStore, flows: Sequence[Selected], progress: Observer = silent
) -> list[FlowOutcome]:
    """Replay only the records in dead letters, each through a fresh plan of its key."""
    outcomes = []
    for item in flows:
        letters = store.dead_letters.open(item.deployment.name, item.flow)
        keys = {letter.key for letter in letters} | store.journal.held(item.deployment.name, item.flow)
        if keys:
            # a retry is the person's word that the target is right for a held record: it may go out again
            store.journal.release(item.deployment.name, item.flow, sorted(keys))
            try:
                outcomes.append(sync_flow(workspace, store, item, kind="retry", only=keys, progress=progress))
            except (ConnectorError, FlowLockedError) as exc:
                outcomes.append(FlowOutcome(item.label, failed=str(exc)))
    return outcomes


def apply_saved(
    workspace: Workspace, store: StateStore, saved: Plan, flows: Sequence[Selected], progress: Observer = silent
) -> list[FlowOutcome]:
    """Apply a plan made earlier (saved, or just shown) to these of its flows, in the plan's order. A
    flow whose spec changed since refuses the whole plan before anything is written; each flow is
    then planned again just before it is applied, and its planned changes must still hold
    (`engine.plan.staleness`). What each flow did is counted in the words of the plan. A flow that
    cannot run (its system unreachable, another process applying it) is reported and the others go on."""
    if saved.environment != workspace.environment.name:
        raise StalePlanError(f"the plan was made for environment {saved.environment}, not {workspace.environment.name}")
    enabled = {item.label for item in select(workspace)}
    gone = [flow_plan.label for flow_plan in saved.flows if flow_plan.label not in enabled]
    if gone:
        raise StalePlanError(f"the plan holds {', '.join(gone)}, not an enabled flow here any more; plan again")
    chosen = {item.label: item for item in flows}
    steps = [(flow_plan, chosen[flow_plan.label]) for flow_plan in saved.flows if flow_plan.label in chosen]
    for flow_plan, item in steps:
        if flow_plan.spec_fingerprint != FlowSetup.of(item.deployment, item.flow).spec_fingerprint():
            raise StalePlanError(f"{flow_plan.label}: the spec or its environment changed since the plan was made; "
                                 "plan again")  # fmt: skip
    outcomes = []
    written: set[tuple[str, str]] = set()  # (integration, system) written to by a flow before
    for flow_plan, item in steps:
        try:
            with flow_run(workspace, store, item, "undo" if flow_plan.undoes else "apply", progress=progress) as run:
                if flow_plan.undoes:  # an undo is made again as an undo of the same run
                    fresh = plan_undo(workspace, run.setup, run.systems, store, flow_plan.undoes)
                else:  # as the plan shown read it: a reconciliation shown is made again whole
                    fresh = plan_flow(workspace, run.setup, run.systems, store, progress=progress,
                                      full=flow_plan.reconciled and not flow_plan.partial)  # fmt: skip
                upstream = (item.deployment.name, flow_plan.target) in written
                doing = to_apply(flow_plan, fresh, after_upstream=upstream)
                result = apply_plan(run, doing, shown=flow_plan)
                _finish(run, result)
        except (ConnectorError, FlowLockedError) as exc:
            outcomes.append(FlowOutcome(flow_plan.label, flow_plan, failed=str(exc)))
            continue
        if any(change.action in WRITES for change in doing.changes):
            written.add((item.deployment.name, flow_plan.target))
        outcomes.append(FlowOutcome(flow_plan.label, flow_plan, result=result))
    return outcomes
