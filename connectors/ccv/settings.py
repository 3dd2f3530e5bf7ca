"""Settings of a `ccv` system: the account's host and public key; the secret is a credential,
given by reference and never logged."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CcvSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://[^/\s?]+/?$", description="the account's host, e.g. https://demo.ccvshop.nl")
    public_key: str = Field(min_length=1, description="the API key (x-public) from the API settings screen")
    store_id: str = Field(default="1", min_length=1, description="the store this SalesPOS account is; orders name it")
    package_id: int = Field(default=1, ge=1, description="shipping-cost package of products created here")
    page_size: int = Field(default=100, ge=1, le=1000, description="records asked per page")
    rate_limit_wait: float = Field(default=60.0, gt=0, le=120, description="seconds to wait on a 429")
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds to wait for an answer")
