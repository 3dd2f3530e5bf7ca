"""The Dagster code location: specs plus an environment as assets, checks, schedules and a sensor.

A thin adapter: Dagster imports the engine, the engine never imports Dagster. For the environment
in `TILLSYNC_ENV` (default `sandbox`) every enabled flow becomes two assets keyed
`[integration, system, flow]` and grouped by integration: what it keeps in its target
(`erp-webshop/shop/products`), downstream of what it reads in its source (`erp-webshop/erp/products`).
Dagster's asset graph labels a node with the key's last part: the flow's name.
Materializing an asset plans the flow, stops at the blast-radius gate when
the plan exceeds the spec's limits, and applies it through the engine. Each flow's cron becomes a
schedule; one sensor turns stored webhook events into runs of the flows they affect, and a
run-failure sensor alerts the flows of a failed run through the same code as every other face.
"""

# No `from __future__ import annotations` here: Dagster reads the context annotations at runtime.

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster import AssetCheckExecutionContext, AssetExecutionContext, SensorEvaluationContext

from connectors import CONNECTORS
from engine.dagster_partitions import FlowGroup, Member, flow_groups
from engine.run.workspace import Workspace, load_workspace

if TYPE_CHECKING:
    from engine.plan.model import FlowPlan
    from engine.run.apply import ApplyResult
    from engine.run.runner import FlowOutcome

# The runner, the state store and the plan renders are imported where a run or a check needs them:
# loading the code location (at every start of the UI, and on every reload) only builds definitions.

EVENTS_TAG = "tillsync/events"  # on runs the sensor starts: the newest event they were started for


@dataclass(frozen=True)
class FlowAsset:
    """A flow (or one flow per shop: `engine.dagster_partitions`) as two assets: what it reads in its
    source system (`source_key`, observed, never materialized here) and what it keeps in step in its
    target (`key`, materialized by a sync), with a static partition per shop when there are several."""

    group: FlowGroup
    key: dg.AssetKey
    source_key: dg.AssetKey

    @property
    def first(self) -> Member:
        return self.group.first

    @property
    def integration(self) -> str:
        return self.first.integration

    @property
    def flow_name(self) -> str:
        return self.first.flow_name

    @property
    def label(self) -> str:
        return f"{self.integration}/{self.flow_name}"

    @property
    def flow(self) -> Any:
        return self.first.flow

    @property
    def group_name(self) -> str:
        return self.key.path[0].replace("-", "_")  # group names are identifiers

    @property
    def partitions(self) -> dg.StaticPartitionsDefinition | None:
        if not self.group.partitioned:
            return None
        return dg.StaticPartitionsDefinition(list(self.group.partition_keys()))

    def members(self) -> dict[str | None, Member]:
        """What each partition syncs; the one flow under None when the asset is not partitioned."""
        if not self.group.partitioned:
            return {None: self.first}
        return {key: member for key, member in self.group.partition_keys().items()}

    def member(self, partition_key: str | None) -> Member:
        """What a run of this asset (of this partition) syncs."""
        if partition_key is None:
            return self.first
        return self.group.partition_keys()[partition_key]


def flow_assets(workspace: Workspace) -> list[FlowAsset]:
    """Two asset keys per enabled flow, `[integration, system, flow]`: its target system's side
    (`erp-webshop/shop/products`) downstream of its source system's (`erp-webshop/erp/products`).
    Each flow is found by its own name, and two flows between the same systems never share a key.
    Flows that are one sync per shop are one asset, named on the side that differs between shops by
    its connector (`rackbeat-shopify/shopify/stock`), partitioned per shop."""
    assets = []
    for group in flow_groups(workspace.deployments.values()):
        first = group.first
        name = (
            first.deployment.integration.name if len({m.integration for m in group.members}) > 1 else first.integration
        )
        connector = {side: first.deployment.systems[system].connector.name
                     for side, system in (("source", first.flow.source), ("target", first.flow.target))}  # fmt: skip
        target = connector["target"] if group.varies == "target" else first.flow.target
        source = connector["source"] if group.varies == "source" else first.flow.source
        keys = dg.AssetKey([name, target, first.flow_name]), dg.AssetKey([name, source, first.flow_name])
        assets.append(FlowAsset(group, *keys))
    return assets


def _workspace() -> Workspace:
    root = Path(os.environ.get("TILLSYNC_ROOT") or Path.cwd())
    return load_workspace(root, os.environ.get("TILLSYNC_ENV", "sandbox"), connectors=CONNECTORS)


def _flow_asset(asset: FlowAsset) -> dg.AssetsDefinition:
    flow = asset.flow
    label = asset.key.to_user_string() if asset.group.partitioned else asset.label

    @dg.asset(
        key=asset.key,
        deps=[asset.source_key],
        group_name=asset.group_name,
        partitions_def=asset.partitions,
        description=flow.description or f"{label}: {flow.source} → {flow.target}",
        check_specs=[
            dg.AssetCheckSpec(
                "blast_radius", asset=asset.key, blocking=True, description="the plan is within the gate the spec sets"
            )
        ],
        metadata={
            "integration": asset.integration,
            "flow": asset.flow_name,
            "entity": flow.entity.value,
            "system": asset.key.path[1],
        },
    )
    def sync(context: AssetExecutionContext) -> Iterator[Any]:
        member = asset.member(context.partition_key if context.has_partition_key else None)
        name, flow_name = member.integration, member.flow_name
        outcome = sync_asset(name, flow_name, from_events=EVENTS_TAG in context.run.tags)
        where = {"integration": name, "flow": flow_name, "worker": f"{socket.gethostname()}:{os.getpid()}"}
        if outcome is None:  # the events were taken by an earlier run; nothing left to do
            yield dg.AssetCheckResult(check_name="blast_radius", passed=True, asset_key=asset.key)
            yield dg.MaterializeResult(asset_key=asset.key, metadata={"events": "none pending", **where})
            return
        yield dg.AssetCheckResult(
            check_name="blast_radius", passed=not outcome.gated, asset_key=asset.key,
            metadata={"problems": "; ".join(outcome.gated) or "none", **where},
        )  # fmt: skip
        if outcome.gated:
            problems = "; ".join(outcome.gated)
            raise dg.Failure(f"{name}/{flow_name} stopped at the gate: {problems}", allow_retries=False)
        assert outcome.result is not None and outcome.plan is not None
        metadata = {**_metadata(outcome.result, outcome.plan), **where}
        if outcome.result.stopped:  # what it did is recorded; the rest stays planned for the next run
            raise dg.Failure(f"{name}/{flow_name} stopped: {outcome.result.stopped}", metadata=metadata)
        yield dg.MaterializeResult(asset_key=asset.key, metadata=metadata)

    return sync


def sync_asset(integration: str, flow: str, from_events: bool = False) -> "FlowOutcome | None":
    """What materializing a flow's asset does: plan → gate → apply through the runner, like every
    face; for a run the sensor started, the flow's pending webhook events (None when none are left)."""
    from engine.run import runner
    from engine.run.runner import Selected
    from engine.webhooks.events import run_events

    workspace = _workspace()
    with runner.state_store(workspace) as store:
        if from_events:
            return run_events(workspace, store, {(integration, flow)}).get((integration, flow))
        return runner.sync_flow(workspace, store, Selected(workspace.deployments[integration], flow), gated=True)


def _metadata(result: "ApplyResult", plan: "FlowPlan") -> dict[str, Any]:
    from engine.plan.model import Plan
    from engine.plan.render import QUIET, markdown

    counts = result.counts
    return {
        "created": counts.get("create", 0),
        "updated": counts.get("update", 0),
        "skipped": sum(counts.get(action.value, 0) for action in QUIET),
        "adopted": counts.get("adopt", 0),
        "archived_or_deleted": counts.get("archive", 0) + counts.get("delete", 0),
        "conflicts": counts.get("conflict", 0),
        "failed": len(result.failures),
        "api_calls": result.api_calls,
        "duration_s": round(result.duration_s, 3),
        "plan": dg.MetadataValue.md(markdown(Plan(plan.environment, (plan,)))),
        "dead_letters": dg.MetadataValue.json([{"key": list(k), "reason": r} for k, r in result.failures]),
    }


def _checks(asset: FlowAsset) -> list[dg.AssetChecksDefinition]:
    """Parity and dead letters over the shops of the asset, each shop's findings in the metadata: in a
    run of one shop's partition, that shop's alone (a run per shop must not plan every shop)."""
    members = {shop or asset.label: member for shop, member in asset.members().items()}

    def checked(context: AssetCheckExecutionContext) -> dict[str, Member]:
        op = context.op_execution_context
        return {op.partition_key: members[op.partition_key]} if op.has_partition_key else members

    @dg.asset_check(asset=asset.key, name="parity", description="a fresh plan finds nothing to change")
    def parity(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from engine.run import runner
        from engine.run.gitops import record_check
        from engine.run.runner import Selected

        workspace = _workspace()
        out_of_step: dict[str, list[str]] = {}
        with runner.state_store(workspace) as store:
            for shop, member in checked(context).items():
                deployment = workspace.deployments[member.integration]
                [plan] = runner.plan(workspace, store, [Selected(deployment, member.flow_name)]).flows
                pending, _ = record_check(workspace, store, deployment, plan)  # what promotion relies on
                if pending:
                    out_of_step[shop] = ["/".join(c.key) for c in pending[:50]]
        return dg.AssetCheckResult(
            passed=not out_of_step,
            metadata={
                "out_of_step": sum(len(keys) for keys in out_of_step.values()),
                "keys": dg.MetadataValue.json(
                    out_of_step if asset.group.partitioned else next(iter(out_of_step.values()), [])
                ),
            },
        )

    @dg.asset_check(asset=asset.key, name="no_dead_letters", description="no record of this flow waits in dead letters")
    def no_dead_letters(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        from engine.run import runner

        workspace = _workspace()
        with runner.state_store(workspace) as store:
            letters = [
                (shop, d)
                for shop, m in checked(context).items()
                for d in store.dead_letters.open(m.integration, m.flow_name)
            ]
        found = [{"key": list(d.key), "reason": d.reason, **({"partition": shop} if asset.group.partitioned else {})}
                 for shop, d in letters]  # fmt: skip
        return dg.AssetCheckResult(passed=not letters, metadata={"dead_letters": dg.MetadataValue.json(found)})

    return [parity, no_dead_letters]


def _schedules(assets: list[FlowAsset]) -> list[dg.ScheduleDefinition]:
    """A schedule per flow with a cron; for a partitioned asset, one per shop, asking for its partition."""
    schedules = []
    for asset in assets:
        job = None
        for partition, member in (
            asset.group.partition_keys() if asset.group.partitioned else {None: asset.first}
        ).items():
            trigger = member.flow.trigger
            if trigger is None or not trigger.schedule:
                continue
            if job is None:
                job = dg.define_asset_job(_job_name(asset), selection=dg.AssetSelection.assets(asset.key))
            name = f"{member.integration}__{member.flow_name}".replace("-", "_") + "_schedule"
            schedules.append(_schedule(name, job, trigger.schedule, partition))
    return schedules


def _job_name(asset: FlowAsset) -> str:
    """The name of the job a schedule runs an asset with: `integration__flow`, as an identifier."""
    return "__".join(asset.key.path[::2]).replace("-", "_")


def _schedule(name: str, job: Any, cron: str, partition: str | None) -> dg.ScheduleDefinition:
    if partition is None:
        return dg.ScheduleDefinition(name=name, job=job, cron_schedule=cron)

    @dg.schedule(name=name, job=job, cron_schedule=cron)
    def shop_schedule() -> dg.RunRequest:
        return dg.RunRequest(partition_key=partition)

    return shop_schedule


def _sensor(assets: list[FlowAsset]) -> dg.SensorDefinition:
    by_flow = {(m.integration, m.flow_name): (a, key) for a in assets for key, m in a.members().items()}
    selection = dg.AssetSelection.assets(*(a.key for a in assets))

    @dg.sensor(name="webhook_events", target=selection, minimum_interval_seconds=5,
               description="runs the flows stored webhook events affect, for the records they name")  # fmt: skip
    def webhook_events(context: SensorEvaluationContext) -> Iterator[dg.RunRequest | dg.SkipReason]:
        # Events stay pending until their run succeeded (engine.webhooks.events); a request per flow
        # and newest event keeps one run per burst, and a new event after a failed run tries again.
        from engine.run import runner

        workspace = _workspace()
        with runner.state_store(workspace) as store:
            events = store.events.pending()
        newest: dict[tuple[str, str], int] = {}
        for event in events:
            for flow in event.flows:
                if (event.integration, flow) in by_flow:
                    newest[(event.integration, flow)] = max(newest.get((event.integration, flow), 0), event.id)
        if not newest:
            yield dg.SkipReason("no webhook events waiting")
            return
        for selected, event_id in newest.items():
            asset, partition = by_flow[selected]
            where = asset.key.to_user_string() + (f"[{partition}]" if partition else "")
            yield dg.RunRequest(run_key=f"events-{where}-{event_id}", asset_selection=[asset.key],
                                partition_key=partition, tags={EVENTS_TAG: str(event_id)})  # fmt: skip

    return webhook_events


def _failure_sensor(assets: list[FlowAsset]) -> dg.SensorDefinition:
    by_key = {asset.key: asset for asset in assets}
    by_job = {_job_name(asset): asset for asset in assets}

    @dg.run_failure_sensor(
        name="tillsync_alerts",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="alerts a failed run's flows, as every other face does (engine.run.watch)",
    )
    def tillsync_alerts(context: dg.RunFailureSensorContext) -> None:
        run = context.dagster_run
        chosen = [by_key[key] for key in run.asset_selection or () if key in by_key]
        if not chosen and run.job_name in by_job:
            chosen = [by_job[run.job_name]]
        partition = run.tags.get("dagster/partition")
        members = [asset.member(partition if asset.partitions is not None else None) for asset in chosen]
        said = "; ".join(dict.fromkeys(_step_error(event) for event in context.get_step_failure_events()))
        said = said or context.failure_event.message or "it failed"
        alert_failed_run([(m.integration, m.flow_name) for m in members], f"Dagster run {run.run_id[:8]}: {said}")

    return tillsync_alerts


def _step_error(event: dg.DagsterEvent) -> str:
    """What made a step fail, in Tillsync's words: the message of an error Tillsync raised on purpose
    (or a `Failure` the asset raised); for any other exception only its kind, as the command line
    says an internal error (its message may carry what must not be sent)."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None:  # Dagster wraps the asset's exception
        error = error.cause
    if error is None:
        return event.message or "a step failed"
    if error.message.startswith("engine.errors.") or error.cls_name == "Failure":
        return error.message.split(": ", 1)[-1].strip()
    return f"internal error ({error.cls_name})"


def alert_failed_run(flows: list[tuple[str, str]], message: str) -> None:
    """What the run-failure sensor does: alert each flow of a failed run unless its own alert was sent."""
    from engine.run import runner, watch

    workspace = _workspace()
    with runner.state_store(workspace) as store:
        for integration, flow in flows:
            watch.failed_elsewhere(workspace, store, integration, flow, message)


def _source(asset: FlowAsset) -> dg.AssetSpec:
    flow = asset.flow
    system = asset.first.deployment.systems[flow.source]
    readers = ", ".join(sorted({f"{m.integration}/{m.flow_name}" for m in asset.group.members}))
    return dg.AssetSpec(
        asset.source_key, group_name=asset.group_name,
        description=f"{flow.entity.value} records in {asset.source_key.path[1]} ({system.connector.name}), "
                    f"read by {readers}",
        metadata={"integration": asset.key.path[0], "flow": asset.flow_name, "system": asset.source_key.path[1]},
    )  # fmt: skip


def _executor() -> dg.ExecutorDefinition | None:
    """Where a run's steps execute: Dagster's default (processes on the run's machine), or with
    `TILLSYNC_EXECUTOR=celery` on Celery workers, any number on any machine, taking steps from the
    broker's queue (`deploy/`). A worker lost whole has its step delivered to another (acks late);
    a step whose process was killed fails its run, and Dagster's run retry runs it again. Either
    way the flow's journal settles what the killed one left in doubt before anything is written."""
    kind = os.environ.get("TILLSYNC_EXECUTOR", "default")
    if kind == "default":
        return None
    if kind != "celery":
        raise ValueError(f"TILLSYNC_EXECUTOR={kind!r}: known executors are default and celery")
    from dagster_celery import celery_executor

    return celery_executor.configured(
        {
            "broker": os.environ.get("TILLSYNC_CELERY_BROKER", "pyamqp://guest@localhost//"),
            "backend": "rpc://",
            "config_source": celery_settings(os.environ.get("TILLSYNC_CELERY_QUEUE", "tillsync")),
        },
        name="celery",
    )


def celery_settings(queue: str) -> dict[str, Any]:
    """The Celery settings runs and workers share (`deploy/celery.yaml` writes the same)."""
    return {
        "task_default_queue": queue,
        "task_acks_late": True,  # a step is taken off the queue only once done: a lost worker's goes to another
        "task_reject_on_worker_lost": False,  # a step whose process died fails its run; Dagster's run retry reruns it
        "worker_prefetch_multiplier": 1,  # a worker holds no step it is not running
    }


def build_definitions() -> dg.Definitions:
    workspace = _workspace()
    assets = flow_assets(workspace)
    schedules = _schedules(assets)
    return dg.Definitions(
        executor=_executor(),
        assets=[*(_source(asset) for asset in assets), *(_flow_asset(asset) for asset in assets)],
        asset_checks=[check for asset in assets for check in _checks(asset)],
        schedules=schedules,
        sensors=[_sensor(assets), _failure_sensor(assets)] if assets else [],
    )


defs = build_definitions()
