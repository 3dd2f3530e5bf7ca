"""Settings of a `files` system."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.records import Entity

DEFAULT_NAMES: dict[Entity, str] = {
    Entity.product: "products",
    Entity.stock: "stock",
    Entity.price: "prices",
    Entity.category: "categories",
    Entity.image: "images",
    Entity.customer: "customers",
    Entity.order: "orders",
    Entity.shipment: "shipments",
}


class FilesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="the folder, relative to where tillsync runs or absolute")
    format: Literal["csv", "json", "jsonl"] = Field(default="csv", description="file format")
    files: dict[Entity, str] = Field(
        default_factory=dict,
        description="file name per entity, overriding the default (products.csv, stock.csv, …)",
    )
    create_folder: bool = Field(
        default=False, description="create the folder when it is missing instead of reporting it"
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="CSV delimiter")

    def file_name(self, entity: Entity) -> str:
        return self.files.get(entity) or f"{DEFAULT_NAMES[entity]}.{self.format}"
