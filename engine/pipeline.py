"""One flow, from its systems to a plan: read, filter, map, read the target, diff against state.

Records remembered in step whose fingerprints still hold are neither built nor mapped
(`engine.in_step`). Reads only; nothing here writes to a system or to the state store.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Changes, Client, read_raw
from engine.desired import Desires
from engine.in_step import SourceRead, found_in_step, read_target, seal_of
from engine.mapping import Mapper
from engine.plan import FlowPlan, Rules, diff, project
from engine.records import KEYS, Record
from engine.spec import DeletePolicy
from engine.state import StateStore, encode_key, fingerprint
from engine.workspace import Deployment, Workspace

Key = tuple[str, ...]


@dataclass
class Systems:
    """The clients of one run, opened on first use and closed together."""

    workspace: Workspace
    deployment: Deployment
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, name: str) -> Client:
        if name not in self.clients:
            self.clients[name] = self.deployment.systems[name].open(self.workspace.environ)
        return self.clients[name]

    def calls(self) -> int:
        return sum(int(getattr(client, "calls", 0)) for client in self.clients.values())

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()


@contextmanager
def open_systems(workspace: Workspace, deployment: Deployment) -> Iterator[Systems]:
    systems = Systems(workspace, deployment)
    try:
        yield systems
    finally:
        systems.close()


@dataclass(frozen=True)
class FlowSetup:
    """A flow's mapper and diff rules, built once per run."""

    deployment: Deployment
    name: str
    mapper: Mapper
    rules: Rules
    status_field: str | None
    batch: int | None = None  # records the target takes in one call

    @classmethod
    def of(cls, deployment: Deployment, name: str) -> FlowSetup:
        flow = deployment.flow(name)
        source = deployment.systems[flow.source].connector.entities[flow.entity]
        target = deployment.systems[flow.target].connector.entities[flow.entity]
        mapper = Mapper(flow, deployment.integration.value_maps, source.catalogue, target.catalogue, target.defaults)
        match = tuple(flow.match or KEYS[flow.entity])
        rules = Rules(
            entity=flow.entity,
            source=flow.source,
            target=flow.target,
            fields=tuple(mapper.fields()),
            match=match,
            create_only=frozenset(flow.create_only),
            delete=flow.delete,
            direction=flow.direction,
            master=flow.master,
            updates=target.updates,
            adopt=frozenset(name for name, policy in flow.drift.items() if policy == "adopt"),
            objects=frozenset(
                name for name, info in target.catalogue.items() if info.type in ("object", "money") and info.fields
            ),
        )
        return cls(deployment, name, mapper, rules, source.status_field, target.batch)

    @property
    def keyed(self) -> bool:
        """Whether the flow matches records on their own keys, so records can be told apart unbuilt."""
        return self.rules.match == KEYS[self.rules.entity]

    def key_of(self, record: Record) -> Key:
        return tuple("" if getattr(record, f, None) is None else str(getattr(record, f)) for f in self.rules.match)

    def spec_fingerprint(self) -> str:
        flow = self.deployment.flow(self.name)
        systems = {name: dict(self.deployment.systems[name].settings) for name in (flow.source, flow.target)}
        return fingerprint([self.deployment.digest, flow.model_dump(mode="json"), systems])

    def target_fingerprint(self, actual: Mapping[Key, Record], keys: Iterable[Key]) -> str:
        return fingerprint(
            {encode_key(key): project(actual[key], self.rules.fields) if key in actual else None for key in keys}
        )


def read_actual(setup: FlowSetup, target: Client, keys: Iterable[Key]) -> dict[Key, Record]:
    """The target's records for these keys, indexed by the flow's match key."""
    return read_target(setup, target, keys, {}, seal="").actual


CURSOR_OVERLAP = timedelta(minutes=5)  # re-read a little: a change saved late is not missed


def _with_overlap(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        return cursor
    return (moment - CURSOR_OVERLAP).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_flow(
    workspace: Workspace,
    setup: FlowSetup,
    systems: Systems,
    store: StateStore,
    only: set[Key] | None = None,
    source_keys: Sequence[Key] | None = None,
) -> FlowPlan:
    """The plan of one flow. `only` narrows it to some of its keys (a retry of dead letters);
    `source_keys` to the source records with these keys (those a webhook event names)."""
    with _without_cycle_collection():
        return _plan_flow(workspace, setup, systems, store, only, source_keys)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A plan makes hundreds of thousands of objects that live until it is done; the cyclic collector
    would walk them again and again (half the planning time of 10,000 products). Reference counting
    still frees what is dropped; what cycles there are wait for the collector until the plan is made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan_flow(
    workspace: Workspace,
    setup: FlowSetup,
    systems: Systems,
    store: StateStore,
    only: set[Key] | None,
    source_keys: Sequence[Key] | None,
) -> FlowPlan:
    rules = setup.rules
    name, flow = setup.deployment.name, setup.deployment.flow(setup.name)
    since = None
    partial = only is not None or source_keys is not None
    if not partial and rules.delete is DeletePolicy.never:  # a partial read cannot tell what is gone
        since = _with_overlap(store.cursor(name, setup.name))
    reading = Changes(tuple(flow.status) if flow.status else None, since)
    remembered = store.remembered(name, setup.name)
    seal = seal_of(setup)
    source = SourceRead(Desires(setup), remembered.in_step if setup.keyed else {}, seal)
    for raw in read_raw(systems.client(rules.source), rules.entity, source_keys, reading):
        source.add(raw)
    source.settle()
    desires, unchanged, applied_keys = source.desires, source.unchanged, remembered.applied
    if only is not None:
        desires.items = {key: item for key, item in desires.items.items() if item.key in only}
        unchanged = {key: held for key, held in unchanged.items() if key in only}
        applied_keys = applied_keys & only
    if source_keys is not None:  # what was not read is neither gone nor to be touched
        read = {item.key for item in desires.items.values()} | desires.filtered | set(unchanged)
        applied_keys = applied_keys & read
    wanted = [item.key for item in desires.items.values() if item.record is not None]
    target = read_target(setup, systems.client(rules.target), [*wanted, *unchanged, *applied_keys], unchanged, seal)
    for key, (raw, _) in unchanged.items():
        if key not in target.in_step:  # the target's record is not as remembered: built and diffed after all
            source.build(raw)
    desired = list(desires.items.values())
    applied = store.applied(name, setup.name, sorted(applied_keys - target.in_step))
    changes = diff(rules, desired, desires.filtered, target.actual, applied, target.in_step)
    written_keys = [change.key for change in changes if change.writes]
    return FlowPlan(
        environment=workspace.environment.name,
        integration=name,
        flow=setup.name,
        entity=rules.entity,
        source=rules.source,
        target=rules.target,
        match=rules.match,
        changes=tuple(changes),
        spec_fingerprint=setup.spec_fingerprint(),
        target_fingerprint=setup.target_fingerprint(target.actual, written_keys),
        source_count=source.count,
        cursor=None if partial or not desires.stamps else max(desires.stamps),
        filtered_count=source.count - len(desired) - len(target.in_step) if only is None else 0,
        in_step=found_in_step(changes, desired, target, applied) if setup.keyed else (),
    )


@dataclass(frozen=True)
class Drift:
    """A field changed in the target since Tillsync last applied it."""

    key: Key
    field: str
    applied: Any
    current: Any
    policy: str  # adopt | overwrite


def drift_flow(setup: FlowSetup, systems: Systems, store: StateStore) -> list[Drift]:
    """Changes made in the target outside Tillsync since the last apply; the source is not read."""
    applied = store.applied(setup.deployment.name, setup.name)
    actual = read_actual(setup, systems.client(setup.rules.target), list(applied))
    policies = setup.deployment.flow(setup.name).drift
    found = []
    for key, base in sorted(applied.items()):
        record = actual.get(key)
        if record is None:
            found.append(Drift(key, "*", "present", "gone", "overwrite"))
            continue
        current = project(record, list(base))
        for name, value in base.items():
            now = _restrict_like(current.get(name), value)
            if now != value:
                found.append(Drift(key, name, value, now, policies.get(name, "overwrite")))
    return found


def _restrict_like(current: Any, base: Any) -> Any:
    if isinstance(current, dict) and isinstance(base, dict):
        return {k: v for k, v in current.items() if k in base}
    if isinstance(current, list) and isinstance(base, list) and len(current) == len(base):
        return [_restrict_like(c, b) for c, b in zip(current, base, strict=True)]
    return current
