"""Settings of a `files` system.

A folder Tillsync writes holds its canonical layout. A folder an ERP writes has the ERP's own:
its headers (`columns` maps them onto canonical fields), its separator (`delimiter`), its decimal
comma (`decimal`), amounts without a currency (`currency`), its encoding, and columns Tillsync has
no field for (`extra_columns`). All of these apply both ways: what is read that way is written so.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from connectors.files.formats import CsvLayout, CsvOptions
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
# ASCII-compatible encodings only: lines are found in the bytes, before they are decoded.
Encoding = Literal["utf-8", "utf-8-sig", "cp1252", "iso-8859-1", "iso-8859-15"]
Header = Annotated[str, Field(min_length=1)]
CSV_ONLY = ("columns", "decimal", "currency", "extra_columns")


def _canonical_column(entity: Entity, column: str) -> str:
    problem = CsvLayout.of(entity).column_problem(column)
    if problem:
        raise PydanticCustomError("unknown_column", "{problem}", {"problem": f"no {entity.value} column: {problem}"})
    return column


def _column_maps() -> type[BaseModel]:
    """`columns:` per entity: canonical column (as in the canonical layout) → the file's header."""
    fields: dict[str, Any] = {
        entity.value: (
            dict[Annotated[str, AfterValidator(partial(_canonical_column, entity))], Header],
            Field(default_factory=dict, description=f"{entity.value} field → the header of its column in the file"),
        )
        for entity in Entity
    }
    return create_model(
        "FilesColumns",
        __config__=ConfigDict(extra="forbid", frozen=True),
        __doc__="The file's own column headers per entity, e.g. product: {sku: artnr, title: omschrijving}",
        **fields,
    )


FilesColumns = _column_maps()


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
    encoding: Encoding = Field(
        default="utf-8",
        description="text encoding; a UTF-8 byte order mark is read in any, and written with utf-8-sig "
        "(what Excel looks for); cp1252 is what Windows programs call ANSI",
    )
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, pattern=r'^[^"\r\n]$', description='CSV delimiter: ",", ";" or "\\t"'
    )
    decimal: Literal[".", ","] = Field(
        default=".",
        description="CSV decimal separator of numbers and amounts; with ',' a '.' may group thousands (1.234,50)",
    )
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="currency of CSV amounts that name none (29,95); amounts in it are written without it",
    )
    columns: FilesColumns = Field(  # type: ignore[valid-type]
        default_factory=FilesColumns,
        description="CSV headers per entity for the fields whose column is named otherwise than in the "
        "canonical layout, e.g. product: {sku: artnr, title: omschrijving, variants.price: verkoopprijs}",
    )
    extra_columns: Literal["ignore", "keep", "error"] = Field(
        default="ignore",
        description="CSV columns that are neither canonical nor in columns: ignored, kept (readable in "
        "mappings as extra.HEADER and written back), or an error",
    )

    @model_validator(mode="after")
    def _csv_settings_need_csv(self) -> FilesSettings:
        given = [name for name in CSV_ONLY if name in self.model_fields_set]
        if self.format != "csv" and given:
            raise PydanticCustomError("csv_only", "{names} applies to format: csv only", {"names": ", ".join(given)})
        return self

    def file_name(self, entity: Entity) -> str:
        return self.files.get(entity) or f"{DEFAULT_NAMES[entity]}.{self.format}"

    def csv(self, entity: Entity) -> CsvOptions:
        """How this system's CSV files lay out `entity`."""
        columns: dict[str, str] = getattr(self.columns, entity.value)
        return CsvOptions(self.delimiter, self.decimal, self.currency, columns, self.extra_columns)
