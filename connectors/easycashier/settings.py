"""Settings of an `easycashier` system. The username and password are credentials, given by
reference; the short-lived token they buy lives only inside the client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connectors.easycashier.protocol import BASE_URL


class EasyCashierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(default=BASE_URL, pattern=r"^https?://[^/\s?]+/?$", description="the Back Office")
    company: str = Field(pattern=r"^\d{6}-?\d{4}$", description="the company's organisation number, e.g. 556677-8899")
    stores: list[int] = Field(
        default=[1], min_length=1, description="store numbers whose stock is read and changed (map them to "
        "locations with the flow's location_map)",
    )  # fmt: skip
    order_store: int | None = Field(
        default=None, ge=1, description="store an order without a store lowers; the first of `stores` by default"
    )
    webshop_only: bool = Field(default=True, description="read only articles flagged for the webshop")
    comment: str = Field(default="Tillsync", max_length=100, description="comment on every stock change made")
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds to wait for an answer")

    @property
    def default_store(self) -> int:
        return self.order_store or self.stores[0]
