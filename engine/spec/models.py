"""The spec language: pydantic models that are the source of truth for integration YAML files.

`schemas/integration.schema.json` is generated from `Integration`; unknown keys are forbidden
everywhere. Cross-references (systems named by flows, fields in connector catalogues, JMESPath
expressions) are checked by `engine.semantics`, which reports every problem at once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from engine.records import Entity

NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
RECONCILE_PATTERN = r"^[1-9][0-9]{0,4}[mhd]$"
RECONCILE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
SECRET_REF_PATTERN = r"^env:[A-Za-z_][A-Za-z0-9_]*$"
_SECRET_REF = re.compile(SECRET_REF_PATTERN)


def _secret_reference(value: Any) -> Any:
    """Credentials are references to environment variables; a literal secret never enters git."""
    if not isinstance(value, str):
        raise PydanticCustomError("secret_reference", "must be a reference such as env:SHOP_TOKEN")
    if value.startswith("env:") and not _SECRET_REF.match(value):
        raise PydanticCustomError(
            "secret_reference",
            "malformed reference; write env:NAME with NAME made of letters, digits and _",
        )
    if not value.startswith("env:"):
        raise PydanticCustomError(
            "literal_secret",
            "a literal secret is not allowed here; write env:NAME and set NAME in the environment",
        )
    return value


SecretRef = Annotated[
    str,
    BeforeValidator(_secret_reference),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SECRET_REF_PATTERN,
            "description": "a reference to an environment variable: env:NAME",
        }
    ),
]
Name = Annotated[str, Field(pattern=NAME_PATTERN, min_length=1, max_length=64)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class System(Model):
    """One external system: which connector talks to it, its settings and credential references."""

    connector: str = Field(description="connector name, e.g. files, shopify, mpluskassa")
    description: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict, description="connector settings")
    credentials: dict[str, SecretRef] = Field(default_factory=dict, description="credential name → env:NAME")


class Direction(StrEnum):
    one_way = "one-way"
    two_way = "two-way"


class DeletePolicy(StrEnum):
    never = "never"  # records missing from the source are left alone in the target
    archive = "archive"  # ... are archived (hidden, kept) where the target supports it
    delete = "delete"  # ... are deleted


class Trigger(Model):
    """When a flow runs: on a cron schedule, on webhooks from its source, or both."""

    schedule: str | None = Field(default=None, description="cron expression, e.g. */15 * * * *")
    webhook: bool = Field(default=False, description="run for the affected keys on a webhook")


class Gate(Model):
    """When a scheduled or webhook run must stop before it writes, for a person to look first."""

    max_change_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="refuse a run that would change more than this share of the target's records",
    )
    min_changes: int = Field(default=20, ge=0, description="the share applies only from this many changes up")
    max_deletes: int = Field(default=0, ge=0, description="refuse a run that would delete or archive more records")
    allow_empty_source: bool = Field(default=False, description="allow a run whose source returned no records at all")


class FlowSettings(Model):
    """Business rules of one flow; which ones apply depends on its entity and systems."""

    default_debtor: str | None = Field(
        default=None, description="customer number used when an order's customer is not synced"
    )
    employee_number: int | None = Field(
        default=None, ge=0, description="employee on orders created in the POS (MplusKASSA: 999999)"
    )
    branch: str | None = Field(default=None, description="branch or store orders are booked on")
    order_type: Literal["order", "invoice"] | None = Field(
        default=None, description="create orders as orders or as invoices"
    )
    stock_formula: str | None = Field(
        default=None,
        description="quantity sent, from on_hand, reserved and available: e.g. available - reserved",
    )
    location_map: dict[str, str] = Field(default_factory=dict, description="source location → target location")
    price_group_map: dict[str, str] = Field(default_factory=dict, description="source price group → target price list")
    tracked: bool | None = Field(default=None, description="stock managed (true) or not (false)")
    prices_include_tax: bool | None = Field(default=None, description="target prices include tax")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    compare_quantities: bool = Field(
        default=False,
        description="refuse to overwrite stock that changed in the target since it was read",
    )
    variants_as_products: bool = Field(
        default=False,
        description="each variant of a source product is a product of its own in the target, matched on its SKU "
        "(for a target that keeps items, not variants: Rackbeat)",
    )
    batch_size: int | None = Field(
        default=None, ge=1, le=1000, description="records per write; by default as many as the target takes in one call"
    )


class Flow(Model):
    """One entity copied from one system to another."""

    entity: Entity
    source: Name = Field(alias="from", description="system records are read from")
    target: Name = Field(alias="to", description="system records are written to")
    description: str | None = None
    enabled: bool = True
    direction: Direction = Direction.one_way
    master: Name | None = Field(default=None, description="system that wins a conflict; required for two-way flows")
    match: list[str] | None = Field(
        default=None,
        min_length=1,
        description="fields that identify a record in both systems; the entity's key by default",
    )
    when: str | None = Field(
        default=None, description="JMESPath filter on source records, e.g. financial_status == 'paid'"
    )
    status: list[str] | None = Field(
        default=None, min_length=1, description="source statuses to sync, from the connector's list"
    )
    mapping: dict[str, str | None] = Field(
        default_factory=dict,
        description="target field → JMESPath over the source record; null drops a default mapping",
    )
    create_only: list[str] = Field(
        default_factory=list, description="fields set when a record is created, never on update"
    )
    delete: DeletePolicy = DeletePolicy.never
    trigger: Trigger | None = None
    gate: Gate = Field(default_factory=Gate, description="blast-radius limits for unattended runs")
    drift: dict[str, Literal["adopt", "overwrite"]] = Field(
        default_factory=dict,
        description="per target field: adopt a change made in the target outside Tillsync, or overwrite it "
        "(the default)",
    )
    reconcile: str | None = Field(
        default=None,
        pattern=RECONCILE_PATTERN,
        description="read the whole target at most this long apart (30m, 6h, 1d); in between, a plan reads the "
        "target only for records whose source changed since the last apply, or that its webhooks name. Unset: "
        "every plan reads the whole target",
    )
    settings: FlowSettings = Field(default_factory=FlowSettings)

    @property
    def reconcile_every(self) -> timedelta | None:
        """How long a full read of the target holds, as `reconcile` says; None: not at all."""
        if self.reconcile is None:
            return None
        return timedelta(**{RECONCILE_UNITS[self.reconcile[-1]]: int(self.reconcile[:-1])})


ValueMap = dict[str, str | int]


class Integration(Model):
    """An integration between systems: the whole content of one spec file."""

    version: Literal[1] = Field(description="version of the spec language")
    name: Name
    description: str | None = None
    systems: dict[Name, System] = Field(min_length=1)
    value_maps: dict[Name, ValueMap] = Field(
        default_factory=dict,
        description="named lookup tables for value_map() in mappings: payment methods, statuses…",
    )
    flows: dict[Name, Flow] = Field(min_length=1)
