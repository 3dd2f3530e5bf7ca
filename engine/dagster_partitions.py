"""Which flows are one Dagster asset, partitioned per shop or store, and what each partition runs.

No Dagster here: the code location (`engine.dagster_definitions`) turns these values into assets.

A merchant with several shops writes one flow per shop (`stock` to the main shop, `outlet-stock`
to the outlet). It is one sync, done per shop: one asset with a static partition per shop, so each
shop materialises, fails, retries and shows its metadata on its own. The rule: within an
integration, flows of the same entity are one asset when one side is the same system and the other
side is a different system of the same connector in each (`stock`: rackbeat → shop, `outlet-stock`:
rackbeat → outlet; `orders` and `outlet-orders` the other way round), and the partition key is
that system's name. Two flows between the same systems stay apart (EasyCashier's `stock` and
`sync-all` do different things).

An environment runs each spec once, under the spec's own name, so integrations are not merged into
one asset: each merchant's integration keeps assets of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.run.workspace import Deployment
from engine.spec.models import Flow


@dataclass(frozen=True)
class Member:
    """One flow of one integration: what one partition of an asset runs."""

    deployment: Deployment
    flow_name: str
    shop: str  # the system this flow's partition is about: the side that varies, else its target

    @property
    def integration(self) -> str:
        return self.deployment.name

    @property
    def flow(self) -> Flow:
        return self.deployment.flow(self.flow_name)


@dataclass(frozen=True)
class FlowGroup:
    """Flows that are one asset: a single one, or one per shop. `varies` is the side whose system
    differs between its flows within an integration (`source`, `target`), or None."""

    members: tuple[Member, ...]
    varies: str | None

    @property
    def first(self) -> Member:
        return self.members[0]

    @property
    def partitioned(self) -> bool:
        return len(self.members) > 1

    def partition_keys(self) -> dict[str, Member]:
        """Each member by its partition key, the system that differs between them, in spec order."""
        return {member.shop: member for member in self.members}


def flow_groups(deployments: Iterable[Deployment]) -> list[FlowGroup]:
    """Every enabled flow of the environment in exactly one group, in environment and spec order."""
    return [FlowGroup(tuple(members), side) for d in deployments for side, members in _local_groups(d)]


def _local_groups(deployment: Deployment) -> list[tuple[str | None, list[Member]]]:
    """An integration's flows grouped by the rule above: (the side that varies, the flows)."""
    groups: list[tuple[str | None, list[Member]]] = []
    open_groups: dict[tuple[str, ...], int] = {}  # a flow's signature on one side → its group's index
    for name in deployment.enabled_flows():
        flow = deployment.flow(name)
        signatures = _signatures(deployment, flow)
        joined = None
        for side, signature in signatures.items():
            index = open_groups.get(signature)
            if index is None:
                continue
            group_side, members = groups[index]
            taken = {_system(m.flow, side) for m in members}
            if group_side in (None, side) and _system(flow, side) not in taken:
                groups[index] = (side, [*members, Member(deployment, name, _system(flow, side))])
                joined = index
                break
        if joined is None:
            groups.append((None, [Member(deployment, name, flow.target)]))
            for signature in signatures.values():
                open_groups.setdefault(signature, len(groups) - 1)
    return [(side, _with_shops(side, members)) for side, members in groups]


def _with_shops(side: str | None, members: list[Member]) -> list[Member]:
    """Once a group's varying side is known, its first member's shop is that side's system too."""
    if side is None:
        return members
    first = members[0]
    return [Member(first.deployment, first.flow_name, _system(first.flow, side)), *members[1:]]


def _signatures(deployment: Deployment, flow: Flow) -> Mapping[str, tuple[str, ...]]:
    """What a flow shares with its sibling flows to other shops: varying its target, or its source."""
    connector = {name: system.connector.name for name, system in deployment.systems.items()}
    return {
        "target": (flow.entity.value, "to", flow.source, connector[flow.target]),
        "source": (flow.entity.value, "from", flow.target, connector[flow.source]),
    }


def _system(flow: Flow, side: str) -> str:
    return flow.target if side == "target" else flow.source
