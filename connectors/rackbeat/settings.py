"""Settings of a `rackbeat` system. The API token is a credential; the rest says how this account's
records are read and written."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OrderState = Literal["booked", "ready_to_ship", "shipped", "invoiced", "shipped_and_invoiced"]


class RackbeatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        default="https://app.rackbeat.com",
        pattern=r"^https?://[^/\s?]+/?$",
        description="Rackbeat's address, without /api (a sandbox: http://127.0.0.1:PORT)",
    )
    consumer_name: str = Field(
        default="Tillsync", min_length=1, description="integrator name sent as Consumer-Name, as Rackbeat asks"
    )
    consumer_contact: str = Field(
        default="integrations@example.com",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="integrator email sent as Consumer-Contact",
    )
    currency: str = Field(default="DKK", pattern=r"^[A-Z]{3}$", description="the account's currency")
    timezone: str = Field(default="Europe/Copenhagen", description="the account's time zone (timestamps carry none)")
    prices_include_tax: bool = Field(default=False, description="sales prices in Rackbeat include VAT")
    order_state: OrderState = Field(default="booked", description="the state an order written here is brought to")
    stock_location: str = Field(
        default="all",
        min_length=1,
        description="stock read from all locations together (all, read as location 'all') or one location's number",
    )
    default_group: str | None = Field(
        default=None, description="product group number of products written without a category"
    )
    page_size: int = Field(default=200, ge=1, le=1000, description="records asked for per page")
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds to wait for an answer")
