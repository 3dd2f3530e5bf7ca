"""The mapping-test skeleton `tillsync init` writes beside a new spec (`specs/tests/<name>.yaml`).

One case per flow: a sample source record of the flow's entity, the target record the spec maps it
to today, and the plan it makes against an empty target. The expected record is what the spec gives
when the skeleton is written, so the suite passes then and fails when a mapping changes what it
gives; replace the samples with real records of the systems.
"""

from __future__ import annotations

from typing import Any

from engine.mapping.desired import desired_records
from engine.plan.diff import diff, project
from engine.records import MODELS, Entity
from engine.run.flow import FlowSetup
from engine.run.workspace import Deployment

SKU, EMAIL, ORDER = "1001", "anna@example.com", "#1001"


def sample(entity: Entity, currency: str, location: str, status: tuple[str | None, str | None]) -> dict[str, Any]:
    """A source record of `entity`; `status` is the field statuses are read from and one the flow sends."""
    price = f"29.95 {currency}"
    samples: dict[Entity, dict[str, Any]] = {
        Entity.category: {"key": "10", "name": "Shirts"},
        Entity.product: {"sku": SKU, "title": "Organic shirt", "description": "Soft organic cotton.",
                         "variants": [{"sku": SKU, "barcode": "8712345000011", "price": price}]},
        Entity.stock: {"sku": SKU, "location": location, "on_hand": "12", "reserved": "2", "available": "10"},
        Entity.customer: {"email": EMAIL, "first_name": "Anna", "last_name": "de Vries"},
        Entity.price: {"sku": SKU, "price_group": "default", "price": price},
        Entity.image: {"url": "https://cdn.example.com/1001.jpg", "product_sku": SKU, "position": 1},
        Entity.order: {"number": ORDER, "currency": currency, "customer": {"email": EMAIL},
                       "lines": [{"sku": SKU, "quantity": "1", "price": price}]},
        Entity.shipment: {"key": "S1", "order_number": ORDER, "tracking_number": "3SABC123",
                          "lines": [{"sku": SKU, "quantity": "1"}]},
    }  # fmt: skip
    record = samples[entity]
    field, value = status
    if field is not None and value is not None:
        record[field] = value
    if entity is Entity.order:
        record.setdefault("financial_status", "paid")
    return record


def suite(deployment: Deployment, currency: str) -> dict[str, Any]:
    """The skeleton's suite: a case per flow, its expectations what the spec gives now."""
    cases = []
    for name, flow in deployment.integration.flows.items():
        setup = FlowSetup.of(deployment, name)
        source = deployment.systems[flow.source].connector.entities[flow.entity]
        location = next(iter(flow.settings.location_map), "1")
        status = (source.status_field, flow.status[0] if flow.status else None)
        record = sample(flow.entity, currency, location, status)
        cases.append(_case(setup, name, record))
    return {"integration": deployment.name, "cases": cases}


def _case(setup: FlowSetup, name: str, record: dict[str, Any]) -> dict[str, Any]:
    model = MODELS[setup.policy.entity]
    desired, filtered, _ = desired_records(setup.matching, setup.as_read([model.model_validate(record)]))
    case: dict[str, Any] = {"name": f"{name}: a sample {setup.policy.entity.value} (replace with one of yours)",
                            "flow": name, "source": [record]}  # fmt: skip
    mapped = [item.record for item in desired if item.record is not None]
    if mapped:
        case["expect"] = [{key: value for key, value in project(r, setup.policy.fields).items() if value is not None}
                          for r in mapped]  # fmt: skip
    planned: dict[str, list[str]] = {}
    for change in diff(setup.policy, desired, filtered, {}, {}):
        planned.setdefault(change.action.value, []).append("/".join(change.key))
    case["plan"] = planned
    return case
