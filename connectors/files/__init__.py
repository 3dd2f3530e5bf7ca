"""The `files` connector: a system that is a folder of CSV, JSON or JSON Lines files.

Many POS and ERP systems exchange catalogues, stock and orders as file exports; this connector
reads and writes them, in Tillsync's canonical layout or in the ERP's own (its headers, `;`,
decimal commas, Windows-1252: see `settings.py` and docs/files.md). It is also the
embedded system for the demo and the engine's tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from connectors.files.formats import EXTRA, EXTRA_FIELD
from connectors.files.settings import FilesSettings
from engine.catalogue import Catalogue, entity_catalogue
from engine.connector import Client, Connector, EntitySupport
from engine.records import Entity

ORDER_STATUSES = ("pending", "authorized", "paid", "partially_paid", "refunded", "voided")


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.files.client import FilesClient  # the file reader is imported only when a client opens

    assert isinstance(settings, FilesSettings)
    return FilesClient(settings)


def _support(entity: Entity) -> EntitySupport:
    if entity is Entity.order:
        return EntitySupport(True, True, entity_catalogue(entity), ORDER_STATUSES, "financial_status")
    return EntitySupport(True, True, entity_catalogue(entity))


def _fields_read(entity: Entity, settings: Mapping[str, Any]) -> Catalogue:
    """Kept extra columns are read as `extra.HEADER`; which headers a file has is known only when it is read."""
    catalogue = entity_catalogue(entity)
    return {**catalogue, EXTRA: EXTRA_FIELD} if settings.get("extra_columns") == "keep" else catalogue


def _unknown_field_hint(system: str, entity: Entity, name: str) -> str:
    """A field the records lack may be a column of the file under the export's own name."""
    if name == EXTRA:
        return f"to read the file's other columns as {EXTRA}.HEADER, set extra_columns: keep on systems.{system}"
    return (f"if '{name}' is a column of the file, name it in systems.{system}.settings.columns.{entity.value} "
            f"(e.g. {{sku: {name}}}), or keep it with extra_columns: keep and read extra.{name}")  # fmt: skip


CONNECTOR = Connector(
    name="files",
    description="a folder of CSV, JSON or JSON Lines files, one file per entity",
    settings=FilesSettings,
    entities={entity: _support(entity) for entity in Entity},
    open=_open,
    fields_read=_fields_read,
    unknown_field_hint=_unknown_field_hint,
)

__all__ = ["CONNECTOR", "FilesSettings"]
