"""What `tillsync init` writes, made from the answers: a spec, its sandbox overlay and a mapping-test
skeleton, as data. Everything it offers comes from the connectors (which entities each reads and
writes, their statuses, settings models and credentials); the flows follow the bundled specs'
patterns: the till or ERP (`--from`) master of the catalogue, stock and customers, orders from the
shop, one schedule per entity as the bundled specs have it, stock sent as what can be sold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connector import Connector, SandboxSeed
from engine.records import Entity

# flow name → entity, in the order the integration guides ask them
FLOWS: dict[str, Entity] = {
    "orders": Entity.order, "products": Entity.product, "stock": Entity.stock, "customers": Entity.customer,
    "prices": Entity.price, "categories": Entity.category, "images": Entity.image, "shipments": Entity.shipment,
}  # fmt: skip
SCHEDULES = {  # as the bundled specs run them
    Entity.category: "0 * * * *", Entity.product: "*/15 * * * *", Entity.stock: "*/5 * * * *",
    Entity.customer: "0 * * * *", Entity.price: "0 * * * *", Entity.image: "0 * * * *",
    Entity.order: "*/10 * * * *", Entity.shipment: "*/10 * * * *",
}  # fmt: skip
# what a system of each connector is called in the bundled specs; any other connector: its own name
ROLES = {
    "mpluskassa": "pos",
    "ccv": "pos",
    "easycashier": "till",
    "visma_net": "erp",
    "shopify": "shop",
    "files": "erp",
}
# flow settings an order flow asks for where its target writes the field they fill
ORDER_SETTINGS = {"default_debtor": "customer_number", "employee_number": "employee", "branch": "branch",
                  "order_type": "type"}  # fmt: skip
# system settings the integration guides ask for, beside the required ones, where a connector has them
GUIDE_SETTINGS = ("branch", "employee_number", "store_id", "stores", "order_store", "stock_location", "currency")
PAID = "paid"


@dataclass
class SystemDraft:
    name: str
    connector: Connector
    settings: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)  # credential → env:NAME


@dataclass
class FlowDraft:
    name: str
    entity: Entity
    source: str  # system names
    target: str
    two_way: bool = False
    master: str | None = None
    statuses: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Draft:
    name: str
    systems: dict[str, SystemDraft]
    flows: list[FlowDraft] = field(default_factory=list)


def system_names(first: str, second: str) -> tuple[str, str]:
    """The names of the two systems, by their connectors' roles; two of one kind are told apart."""
    one, two = ROLES.get(first, first.replace("_", "-")), ROLES.get(second, second.replace("_", "-"))
    return (one, two) if one != two else (f"{one}-1", f"{two}-2")


def directions(draft: Draft, entity: Entity) -> list[tuple[str, str]]:
    """The (source, target) system pairs an `entity` flow can run between: read on one side, written on the other."""
    a, b = draft.systems.values()
    return [
        (s.name, t.name)
        for s, t in ((a, b), (b, a))
        if s.connector.supports(entity, read=True) and t.connector.supports(entity, write=True)
    ]


def offered(draft: Draft) -> list[str]:
    """The flows the two systems can run in some direction, in the guides' order."""
    return [name for name, entity in FLOWS.items() if directions(draft, entity)]


def default_direction(draft: Draft, entity: Entity) -> tuple[str, str]:
    """Orders from the shop (`--to`) to the till or ERP; everything else from the till or ERP (`--from`)."""
    pairs = directions(draft, entity)
    first = next(iter(draft.systems))
    preferred = [pair for pair in pairs if (pair[0] == first) != (entity is Entity.order)]
    return (preferred or pairs)[0]


def two_way_possible(draft: Draft, entity: Entity) -> bool:
    return len(directions(draft, entity)) == 2 and entity not in (Entity.order, Entity.stock, Entity.shipment)


def asked_system_settings(connector: Connector) -> list[str]:
    """The settings of a system the wizard asks: those its connector requires, and those the guides ask."""
    fields = connector.settings.model_fields
    required = [name for name, info in fields.items() if info.is_required()]
    return required + [name for name in GUIDE_SETTINGS if name in fields and name not in required]


def asked_flow_settings(draft: Draft, flow: FlowDraft) -> list[str]:
    """The flow settings asked of a flow: an order flow's where its target writes what they fill; a stock flow's
    location map."""
    target = draft.systems[flow.target].connector.entities[flow.entity].catalogue
    if flow.entity is Entity.order:
        return [name for name, filled in ORDER_SETTINGS.items() if filled in target]
    if flow.entity is Entity.stock:
        return ["location_map"]
    return []


def stock_formula(source: Connector, settings: Mapping[str, Any]) -> str:
    """What can be sold, from what the source reads: on hand less reserved where it gives both."""
    fields = source.read_catalogue(Entity.stock, settings)
    if "on_hand" in fields and "reserved" in fields:
        return "max(on_hand - reserved, 0)"
    if "available" in fields:
        return "max(available, 0)"
    return "max(on_hand, 0)"


def spec_document(draft: Draft) -> dict[str, Any]:
    """The spec, as the data its YAML holds."""
    systems = {
        s.name: {"connector": s.connector.name, "description": f"the {s.connector.name} system",
                 **({"settings": s.settings} if s.settings else {}), "credentials": s.credentials}
        for s in draft.systems.values()
    }  # fmt: skip
    return {
        "version": 1,
        "name": draft.name,
        "description": " ⇄ ".join(s.connector.name for s in draft.systems.values()) + " - set up with tillsync init",
        "systems": systems,
        "flows": {flow.name: _flow_document(draft, flow) for flow in draft.flows},
    }


def _flow_document(draft: Draft, flow: FlowDraft) -> dict[str, Any]:
    data: dict[str, Any] = {"entity": flow.entity.value, "from": flow.source, "to": flow.target}
    if flow.two_way:
        data["direction"] = "two-way"
    if flow.master:
        data["master"] = flow.master
    if flow.statuses:
        data["status"] = list(flow.statuses)
    mapping = _mapping(draft, flow)
    if mapping:
        data["mapping"] = mapping
    source = draft.systems[flow.source]
    read = source.connector.read_catalogue(flow.entity, source.settings)
    if flow.entity is Entity.product and "description" in _written(draft, flow) and "description" in read:
        data["create_only"] = ["description"]  # as every bundled spec: a description is the shop's once made
    settings = dict(flow.settings)
    if flow.entity is Entity.stock:
        settings = {"stock_formula": stock_formula(source.connector, source.settings), **settings}
    if settings:
        data["settings"] = settings
    data["trigger"] = {"schedule": SCHEDULES[flow.entity]}
    return data


def _written(draft: Draft, flow: FlowDraft) -> set[str]:
    return set(draft.systems[flow.target].connector.entities[flow.entity].catalogue)


def _mapping(draft: Draft, flow: FlowDraft) -> dict[str, str | None]:
    """The mappings the bundled specs give such a flow: orders' change time is the source's own, not the
    target's to keep."""
    if flow.entity is Entity.order and "updated_at" in _written(draft, flow):
        return {"updated_at": None}
    return {}


def sandbox_overlay(draft: Draft, ports: Mapping[str, int], folder: str) -> dict[str, Any]:
    """The environment entry that runs the integration on sandboxes: each system on its port (`ports`, by
    system), a files system in a folder of its own under `folder`; credentials under sandbox names."""
    systems: dict[str, Any] = {}
    for system in draft.systems.values():
        support = system.connector.sandbox
        if support is None:
            settings: dict[str, Any] = {"path": f"{folder}/{draft.name}-{system.name}", "create_folder": True}
        else:
            settings = dict(support.start(SandboxSeed()).settings(f"http://127.0.0.1:{ports[system.name]}"))
        credentials = {name: f"env:{sandbox_variable(system, name)}" for name in system.credentials}
        systems[system.name] = {"settings": settings, **({"credentials": credentials} if credentials else {})}
    return {"spec": f"specs/{draft.name}.yaml", "systems": systems}


def credential_variable(draft: Draft, system: SystemDraft, name: str) -> str:
    """The variable a credential is read from unless the answer says otherwise: SHOPIFY_ACCESS_TOKEN."""
    prefix = system.connector.name if _one_of_a_kind(draft, system) else system.name
    return f"{prefix}_{name}".upper().replace("-", "_")


def sandbox_variable(system: SystemDraft, name: str) -> str:
    return f"SANDBOX_{system.connector.name}_{name}".upper()


def _one_of_a_kind(draft: Draft, system: SystemDraft) -> bool:
    return sum(1 for s in draft.systems.values() if s.connector.name == system.connector.name) == 1
