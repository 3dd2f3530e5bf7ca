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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster import AssetExecutionContext, SensorEvaluationContext

from connectors import CONNECTORS
from engine.run.workspace import Deployment, Workspace, load_workspace

if TYPE_CHECKING:
    from engine.plan.model import FlowPlan
    from engine.run.apply import ApplyResult
    from engine.run.runner import FlowOutcome

# The runner, the state store and the plan renders are imported where a run or a check needs them:
# loading the code location (at every start of the UI, and on every reload) only builds definitions.

EVENTS_TAG = "tillsync/events"  # on runs the sensor starts: the newest event they were started for


@dataclass(frozen=True)
class FlowAsset:
    """A flow as two assets: what it reads in its source system (`source_key`, observed, never
    materialized here) and what it keeps in step in its target (`key`, materialized by a sync)."""

    deployment: Deployment
    flow_name: str
    key: dg.AssetKey
    source_key: dg.AssetKey

    @property
    def integration(self) -> str:
        return self.deployment.name

    @property
    def label(self) -> str:
        return f"{self.integration}/{self.flow_name}"

    @property
    def flow(self) -> Any:
        return self.deployment.flow(self.flow_name)

    @property
    def group(self) -> str:
        return self.integration.replace("-", "_")  # group names are identifiers


def flow_assets(workspace: Workspace) -> list[FlowAsset]:
    """Two asset keys per enabled flow, `[integration, system, flow]`: its target system's side
    (`erp-webshop/shop/products`) downstream of its source system's (`erp-webshop/erp/products`).
    Each flow is found by its own name, and two flows between the same systems never share a key."""
    assets = []
    for deployment in workspace.deployments.values():
        for name in deployment.enabled_flows():
            flow = deployment.flow(name)
            keys = dg.AssetKey([deployment.name, flow.target, name]), dg.AssetKey([deployment.name, flow.source, name])
            assets.append(FlowAsset(deployment, name, *keys))
    return assets


def _workspace() -> Workspace:
    root = Path(os.environ.get("TILLSYNC_ROOT") or Path.cwd())
    return load_workspace(root, os.environ.get("TILLSYNC_ENV", "sandbox"), connectors=CONNECTORS)


def _flow_asset(asset: FlowAsset) -> dg.AssetsDefinition:
    name, flow_name = asset.integration, asset.flow_name

    @dg.asset(
        key=asset.key,
        deps=[asset.source_key],
        group_name=asset.group,
        description=asset.flow.description or f"{name}/{flow_name}: {asset.flow.source} → {asset.flow.target}",
        check_specs=[
            dg.AssetCheckSpec(
                "blast_radius", asset=asset.key, blocking=True, description="the plan is within the gate the spec sets"
            )
        ],
        metadata={
            "integration": name,
            "flow": flow_name,
            "entity": asset.flow.entity.value,
            "system": asset.flow.target,
        },
    )
    def sync(context: AssetExecutionContext) -> Iterator[Any]:
        outcome = sync_asset(name, flow_name, from_events=EVENTS_TAG in context.run.tags)
        if outcome is None:  # the events were taken by an earlier run; nothing left to do
            yield dg.AssetCheckResult(check_name="blast_radius", passed=True, asset_key=asset.key)
            yield dg.MaterializeResult(asset_key=asset.key, metadata={"events": "none pending"})
            return
        yield dg.AssetCheckResult(
            check_name="blast_radius", passed=not outcome.gated, asset_key=asset.key,
            metadata={"problems": "; ".join(outcome.gated) or "none"},
        )  # fmt: skip
        if outcome.gated:
            problems = "; ".join(outcome.gated)
            raise dg.Failure(f"{name}/{flow_name} stopped at the gate: {problems}", allow_retries=False)
        assert outcome.result is not None and outcome.plan is not None
        metadata = _metadata(outcome.result, outcome.plan)
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
    name, flow_name = asset.integration, asset.flow_name

    @dg.asset_check(asset=asset.key, name="parity", description="a fresh plan finds nothing to change")
    def parity() -> dg.AssetCheckResult:
        from engine.run import runner
        from engine.run.gitops import record_check
        from engine.run.runner import Selected

        workspace = _workspace()
        deployment = workspace.deployments[name]
        with runner.state_store(workspace) as store:
            [plan] = runner.plan(workspace, store, [Selected(deployment, flow_name)]).flows
            pending, _ = record_check(workspace, store, deployment, plan)  # what promotion relies on
        return dg.AssetCheckResult(
            passed=not pending,
            metadata={
                "out_of_step": len(pending),
                "keys": dg.MetadataValue.json(["/".join(c.key) for c in pending[:50]]),
            },
        )

    @dg.asset_check(asset=asset.key, name="no_dead_letters", description="no record of this flow waits in dead letters")
    def no_dead_letters() -> dg.AssetCheckResult:
        from engine.run import runner

        workspace = _workspace()
        with runner.state_store(workspace) as store:
            letters = store.dead_letters.open(name, flow_name)
        return dg.AssetCheckResult(
            passed=not letters,
            metadata={
                "dead_letters": dg.MetadataValue.json([{"key": list(d.key), "reason": d.reason} for d in letters])
            },
        )

    return [parity, no_dead_letters]


def _schedules(assets: list[FlowAsset]) -> list[dg.ScheduleDefinition]:
    schedules = []
    for asset in _scheduled(assets):
        trigger = asset.flow.trigger
        job_name = f"{asset.integration}__{asset.flow_name}".replace("-", "_")
        job = dg.define_asset_job(job_name, selection=dg.AssetSelection.assets(asset.key))
        schedules.append(dg.ScheduleDefinition(name=f"{job_name}_schedule", job=job, cron_schedule=trigger.schedule))
    return schedules


def _sensor(assets: list[FlowAsset]) -> dg.SensorDefinition:
    by_flow = {(a.integration, a.flow_name): a.key for a in assets}
    job = dg.define_asset_job("webhook_runs", selection=dg.AssetSelection.assets(*by_flow.values()))

    @dg.sensor(name="webhook_events", job=job, minimum_interval_seconds=5,
               description="runs the flows stored webhook events affect, for the records they name")  # fmt: skip
    def webhook_events(context: SensorEvaluationContext) -> Iterator[dg.RunRequest | dg.SkipReason]:
        # Events stay pending until their run succeeded (engine.webhooks.events); a request per flow
        # and newest event keeps one run per burst, and a new event after a failed run tries again.
        from engine.run import runner

        workspace = _workspace()
        with runner.state_store(workspace) as store:
            events = store.events.pending()
        newest: dict[dg.AssetKey, int] = {}
        for event in events:
            for flow in event.flows:
                key = by_flow.get((event.integration, flow))
                if key is not None:
                    newest[key] = max(newest.get(key, 0), event.id)
        if not newest:
            yield dg.SkipReason("no webhook events waiting")
            return
        for key, event_id in newest.items():
            yield dg.RunRequest(run_key=f"events-{key.to_user_string()}-{event_id}", asset_selection=[key],
                                tags={EVENTS_TAG: str(event_id)})  # fmt: skip

    return webhook_events


def _failure_sensor(assets: list[FlowAsset], schedules: list[dg.ScheduleDefinition]) -> dg.SensorDefinition:
    by_key = {asset.key: asset for asset in assets}
    by_job = {schedule.job_name: asset for schedule, asset in zip(schedules, _scheduled(assets), strict=True)}

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
        said = context.failure_event.message or "it failed"
        alert_failed_run([(a.integration, a.flow_name) for a in chosen], f"Dagster run {run.run_id[:8]}: {said}")

    return tillsync_alerts


def alert_failed_run(flows: list[tuple[str, str]], message: str) -> None:
    """What the run-failure sensor does: alert each flow of a failed run unless its own alert was sent."""
    from engine.run import runner, watch

    workspace = _workspace()
    with runner.state_store(workspace) as store:
        for integration, flow in flows:
            watch.failed_elsewhere(workspace, store, integration, flow, message)


def _scheduled(assets: list[FlowAsset]) -> list[FlowAsset]:
    return [asset for asset in assets if asset.flow.trigger is not None and asset.flow.trigger.schedule]


def _source(asset: FlowAsset) -> dg.AssetSpec:
    flow = asset.flow
    system = asset.deployment.systems[flow.source]
    return dg.AssetSpec(
        asset.source_key, group_name=asset.group,
        description=f"{flow.entity.value} records in {flow.source} ({system.connector.name}), "
                    f"read by {asset.label}",
        metadata={"integration": asset.integration, "flow": asset.flow_name, "system": flow.source},
    )  # fmt: skip


def build_definitions() -> dg.Definitions:
    workspace = _workspace()
    assets = flow_assets(workspace)
    schedules = _schedules(assets)
    return dg.Definitions(
        assets=[*(_source(asset) for asset in assets), *(_flow_asset(asset) for asset in assets)],
        asset_checks=[check for asset in assets for check in _checks(asset)],
        schedules=schedules,
        sensors=[_sensor(assets), _failure_sensor(assets, schedules)] if assets else [],
    )


defs = build_definitions()
