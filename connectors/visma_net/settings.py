"""Settings of a `visma_net` system. The client id and secret are credentials; the company tenant
is a setting, since an error must be able to name it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connectors.visma_net.protocol import ERP_URL, SALESORDER_URL, TOKEN_URL

URL = r"^https?://[^\s?#]+$"


class OrderTypes(BaseModel):
    """The Visma.net order type each kind of Tillsync order is created as."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order: str = Field(default="SO", min_length=1, max_length=2, description="order type of sales orders")
    invoice: str = Field(default="IN", min_length=1, max_length=2, description="order type of invoices")
    sales_invoice: str = Field(
        default="CS", min_length=1, max_length=2, description="order type of sales invoices (cash sales)"
    )


class VismaNetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(min_length=1, description="the company's tenant id in Visma Connect (not the customer's)")
    url: str = Field(default=ERP_URL, pattern=URL, description="the ERP API")
    salesorder_url: str = Field(default=SALESORDER_URL, pattern=URL, description="the SalesOrders V3 API")
    connect_url: str = Field(
        default=TOKEN_URL, pattern=URL, description="Visma Connect's token endpoint (client credentials)"
    )
    branch: str | None = Field(default=None, description="branch number orders are booked on unless they name one")
    order_types: OrderTypes = Field(default_factory=OrderTypes, description="order type per kind of order")
    warehouses: dict[str, str] = Field(
        default_factory=dict,
        description="warehouse id → the location name stock is read as; only these warehouses are read (all, "
        "under their own ids, when empty)",
    )
    price_classes: dict[str, str] = Field(
        default_factory=dict,
        description="customer price class id → the price group its prices are read as; only these classes are read "
        "(all, under their own ids, when empty)",
    )
    variant_attribute: str | None = Field(
        default=None, description="attribute whose value is the product number of a variant's product"
    )
    options: dict[str, str] = Field(default_factory=dict, description="attribute id → option name (size, colour)")
    features: dict[str, str] = Field(
        default_factory=dict, description="attribute id → feature name (country_of_origin, delivery_time)"
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="the company's currency")
    page_size: int = Field(default=1000, ge=1, le=5000, description="records asked for per page")
    background_lists: bool = Field(
        default=False, description="read full lists as background operations (erp-api-background), polled to the end"
    )
    timeout: float = Field(default=30.0, gt=0, le=300, description="seconds to wait for an answer")
