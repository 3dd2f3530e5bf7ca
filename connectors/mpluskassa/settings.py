"""Settings of an `mpluskassa` system. The API port's URL is a setting; its `ident` and `secret`
are credentials, joined to the URL only inside the client and never logged."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MplusSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://[^/\s?]+/?$", description="the API port, e.g. https://api.mpluskassa.nl:34567")
    branch: int = Field(default=1, ge=1, description="branch orders are booked on unless the order names one")
    employee_number: int = Field(default=999999, ge=0, description="employee on orders nobody at the till made")
    relative_stock: bool = Field(
        default=False, description="book stock changes as relative mutations (updateStock) instead of setting it"
    )
    price_places: int = Field(default=2, ge=0, le=4, description="decimal places of prices sent")
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds to wait for an answer")
