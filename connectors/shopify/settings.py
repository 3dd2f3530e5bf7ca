"""Settings of a `shopify` system."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ShopifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        pattern=r"^https?://[^/\s]+/?$",
        description="the shop's admin URL, e.g. https://my-shop.myshopify.com (a sandbox: http://127.0.0.1:PORT)",
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="the shop's currency")
    key_namespace: str = Field(
        default="tillsync", min_length=3, description="metafield namespace of the product number Tillsync matches on"
    )
    key_name: str = Field(default="product_number", min_length=2, description="metafield key of the product number")
    feature_namespace: str = Field(
        default="features", min_length=3, description="metafield namespace product features are kept in"
    )
    compare_quantities: bool = Field(
        default=False,
        description="refuse to overwrite stock that changed in Shopify since it was read (compare and swap)",
    )
    order_query: str | None = Field(
        default=None, description="a Shopify search every order read adds, e.g. source_name:pos for POS sales only"
    )
    notify_customers: bool = Field(default=False, description="let Shopify email the customer when an order ships")
    bulk_reads_from: int = Field(
        default=250,
        ge=0,
        description="read stock of more SKUs than this as one bulk operation: outside the rate budget, but it "
        "takes seconds to minutes (below it, about 10 points a SKU at two locations)",
    )
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds to wait for an answer")
