"""The Dagster code location: specs plus an environment as assets, checks, schedules and a sensor.

A thin adapter: Dagster imports the engine, the engine never imports Dagster. For the environment
in `TILLSYNC_ENV` (default `sandbox`) every enabled flow becomes one asset keyed by its target
system and entity (`shopify/products`, `mpluskassa/orders`), grouped by integration, downstream of
its source's entity. Materializing an asset plans the flow, stops at the blast-radius gate when
the plan exceeds the spec's limits, and applies it through the engine. Each flow's cron becomes a
schedule; one sensor turns stored webhook events into runs of the flows they affect.
"""

# No `from __future__ import annotations` here: Dagster reads the context annotations at runtime.

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext, SensorEvaluationContext

from connectors import CONNECTORS
from engine.plan.gate import gate_problems
from engine.plan.model import Action, FlowPlan
from engine.plan.render import markdown
from engine.run import runner
from engine.run.apply import apply_flow
from engine.run.flow import FlowSetup
from engine.run.planner import plan_flow
from engine.run.runner import Selected
from engine.run.systems import open_systems
from engine.run.workspace import Workspace, load_workspace

PLURAL = {"category": "categories", "stock": "stock"}
CHECKS = ("parity", "no_dead_letters")


def _plural(entity: str) -> str:
    return PLURAL.get(entity, f"{entity}s")


@dataclass(frozen=True)
class FlowAsset:
    selected: Selected
    key: dg.AssetKey
    source_key: dg.AssetKey

    @property
    def flow(self) -> Any:
        return self.selected.deployment.flow(self.selected.flow)


def flow_assets(workspace: Workspace) -> list[FlowAsset]:
    """One asset per enabled flow, keyed `<target connector>/<entity>`; the integration's name goes
    in front when two integrations of the environment would otherwise share a key."""
    chosen = runner.select(workspace)

    def key(item: Selected, role: str) -> list[str]:
        flow = item.deployment.flow(item.flow)
        system = item.deployment.systems[flow.target if role == "target" else flow.source]
        return [system.connector.name, _plural(flow.entity.value)]

    targets = [tuple(key(item, "target")) for item in chosen]
    assets = []
    for item in chosen:
        target = key(item, "target")
        if targets.count(tuple(target)) > 1:
            target = [item.deployment.name, *target]
        assets.append(FlowAsset(item, dg.AssetKey(target), dg.AssetKey(key(item, "source"))))
    return assets


def _without_cycles(assets: list[FlowAsset]) -> dict[dg.AssetKey, list[dg.AssetKey]]:
    """Each asset's upstream: its source entity, unless that would close a loop (orders both ways)."""
    deps: dict[dg.AssetKey, list[dg.AssetKey]] = {a.key: [] for a in assets}
    for asset in assets:
        if asset.source_key == asset.key or _reaches(deps, asset.source_key, asset.key):
            continue
        deps[asset.key].append(asset.source_key)
    return deps


def _reaches(deps: dict[dg.AssetKey, list[dg.AssetKey]], start: dg.AssetKey, goal: dg.AssetKey) -> bool:
    seen, pending = set(), [start]
    while pending:
        node = pending.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            pending.extend(deps.get(node, []))
    return False


def _workspace() -> Workspace:
    root = Path(os.environ.get("TILLSYNC_ROOT") or Path.cwd())
    return load_workspace(root, os.environ.get("TILLSYNC_ENV", "sandbox"), connectors=CONNECTORS)


def _flow_asset(asset: FlowAsset, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    name, flow_name = asset.selected.deployment.name, asset.selected.flow

    @dg.asset(
        key=asset.key,
        deps=deps,
        group_name=name.replace("-", "_"),
        description=asset.flow.description or f"{name}/{flow_name}: {asset.flow.source} → {asset.flow.target}",
        check_specs=[
            dg.AssetCheckSpec(
                "blast_radius", asset=asset.key, blocking=True, description="the plan is within the gate the spec sets"
            )
        ],
        metadata={"integration": name, "flow": flow_name, "entity": asset.flow.entity.value},
    )
    def sync(context: AssetExecutionContext) -> Iterator[Any]:
        # A webhook run syncs the whole flow too: incremental reads keep that cheap, and an event's
        # ids (an inventory item, a location) are not always the flow's match keys.
        result, plan, problems = sync_flow(name, flow_name)
        yield dg.AssetCheckResult(
            check_name="blast_radius", passed=not problems, asset_key=asset.key,
            metadata={"problems": "; ".join(problems) or "none"},
        )  # fmt: skip
        if problems:
            raise dg.Failure(f"{name}/{flow_name} stopped at the gate: {'; '.join(problems)}", allow_retries=False)
        assert result is not None
        yield dg.MaterializeResult(asset_key=asset.key, metadata=_metadata(result, plan))

    return sync


def sync_flow(
    integration: str, flow: str, only: set[tuple[str, ...]] | None = None, force: bool = False
) -> tuple[Any, FlowPlan, list[str]]:
    """Plan a flow, check the gate, apply it when the gate allows (or `force`): what an asset does."""
    workspace = _workspace()
    deployment = workspace.deployments[integration]
    setup = FlowSetup.of(deployment, flow)
    with runner.state_store(workspace) as store, open_systems(workspace, deployment) as systems:
        plan = plan_flow(workspace, setup, systems, store, only)
        problems = [] if force else gate_problems(plan, deployment.flow(flow).gate)
        if problems:
            return None, plan, problems
        result = apply_flow(workspace, setup, systems, store, saved=plan, only=only)
        return result, plan, []


def _metadata(result: Any, plan: FlowPlan) -> dict[str, Any]:
    counts = result.counts
    return {
        "created": counts.get("create", 0),
        "updated": counts.get("update", 0),
        "skipped": counts.get("skip", 0),
        "archived_or_deleted": counts.get("archive", 0) + counts.get("delete", 0),
        "conflicts": counts.get("conflict", 0),
        "failed": len(result.failures),
        "api_calls": result.api_calls,
        "duration_s": round(result.duration_s, 3),
        "plan": dg.MetadataValue.md(markdown([plan])),
        "dead_letters": dg.MetadataValue.json([{"key": list(k), "reason": r} for k, r in result.failures]),
    }


def _checks(asset: FlowAsset) -> list[dg.AssetChecksDefinition]:
    name, flow_name = asset.selected.deployment.name, asset.selected.flow

    @dg.asset_check(asset=asset.key, name="parity", description="a fresh plan finds nothing to change")
    def parity() -> dg.AssetCheckResult:
        workspace = _workspace()
        deployment = workspace.deployments[name]
        setup = FlowSetup.of(deployment, flow_name)
        with runner.state_store(workspace) as store, open_systems(workspace, deployment) as systems:
            plan = plan_flow(workspace, setup, systems, store)
            pending = [c for c in plan.changes if c.action not in (Action.skip, Action.error)]
            run = store.start_run(name, flow_name, "check", deployment.digest)  # what promotion relies on
            store.finish_run(run, "failed" if pending else "succeeded", {"pending": len(pending)})
        return dg.AssetCheckResult(
            passed=not pending,
            metadata={
                "out_of_step": len(pending),
                "keys": dg.MetadataValue.json(["/".join(c.key) for c in pending[:50]]),
            },
        )

    @dg.asset_check(asset=asset.key, name="no_dead_letters", description="no record of this flow waits in dead letters")
    def no_dead_letters() -> dg.AssetCheckResult:
        workspace = _workspace()
        with runner.state_store(workspace) as store:
            letters = store.dead_letters(name, flow_name)
        return dg.AssetCheckResult(
            passed=not letters,
            metadata={
                "dead_letters": dg.MetadataValue.json([{"key": list(d.key), "reason": d.reason} for d in letters])
            },
        )

    return [parity, no_dead_letters]


def _schedules(assets: list[FlowAsset]) -> list[dg.ScheduleDefinition]:
    schedules = []
    for asset in assets:
        trigger = asset.flow.trigger
        if trigger is None or not trigger.schedule:
            continue
        job_name = f"{asset.selected.deployment.name}__{asset.selected.flow}".replace("-", "_")
        job = dg.define_asset_job(job_name, selection=dg.AssetSelection.assets(asset.key))
        schedules.append(dg.ScheduleDefinition(name=f"{job_name}_schedule", job=job, cron_schedule=trigger.schedule))
    return schedules


def _sensor(assets: list[FlowAsset]) -> dg.SensorDefinition:
    by_flow = {(a.selected.deployment.name, a.selected.flow): a.key for a in assets}
    job = dg.define_asset_job("webhook_runs", selection=dg.AssetSelection.assets(*by_flow.values()))

    @dg.sensor(name="webhook_events", job=job, minimum_interval_seconds=5,
               description="runs the flows stored webhook events affect")  # fmt: skip
    def webhook_events(context: SensorEvaluationContext) -> Iterator[dg.RunRequest | dg.SkipReason]:
        workspace = _workspace()
        with runner.state_store(workspace) as store:
            events = store.pending_events()
            wanted: dict[dg.AssetKey, list[int]] = {}
            for event in events:
                for flow in event.flows:
                    key = by_flow.get((event.integration, flow))
                    if key is not None:
                        wanted.setdefault(key, []).append(event.id)
            if not wanted:
                yield dg.SkipReason("no webhook events waiting")
                return
            for key, ids in wanted.items():
                yield dg.RunRequest(run_key=f"events-{min(ids)}-{max(ids)}", asset_selection=[key],
                                    tags={"tillsync/events": ",".join(map(str, ids))})  # fmt: skip
            store.finish_events([event.id for event in events])

    return webhook_events


def build_definitions() -> dg.Definitions:
    workspace = _workspace()
    assets = flow_assets(workspace)
    deps = _without_cycles(assets)
    produced = {asset.key for asset in assets}
    sources = {
        asset.source_key: dg.AssetSpec(
            asset.source_key, group_name=asset.selected.deployment.name.replace("-", "_"),
            description=f"{asset.flow.entity.value} records in {asset.flow.source}, read by {asset.selected.label}",
        )
        for asset in assets
        if asset.source_key not in produced
    }  # fmt: skip
    return dg.Definitions(
        assets=[*sources.values(), *(_flow_asset(asset, deps[asset.key]) for asset in assets)],
        asset_checks=[check for asset in assets for check in _checks(asset)],
        schedules=_schedules(assets),
        sensors=[_sensor(assets)] if assets else [],
    )


defs = build_definitions()
