"""The `files` connector: a system that is a folder of CSV, JSON or JSON Lines files.

Many POS and ERP systems exchange catalogues, stock and orders as file exports; this connector
reads and writes them. It is also the embedded system for the demo and the engine's tests.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.files.client import FilesClient
from connectors.files.settings import FilesSettings
from engine.catalogue import entity_catalogue
from engine.connector import Connector, EntitySupport
from engine.records import Entity

ORDER_STATUSES = ("pending", "authorized", "paid", "partially_paid", "refunded", "voided")


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> FilesClient:
    assert isinstance(settings, FilesSettings)
    return FilesClient(settings)


def _support(entity: Entity) -> EntitySupport:
    if entity is Entity.order:
        return EntitySupport(True, True, entity_catalogue(entity), ORDER_STATUSES, "financial_status")
    return EntitySupport(True, True, entity_catalogue(entity))


CONNECTOR = Connector(
    name="files",
    description="a folder of CSV, JSON or JSON Lines files, one file per entity",
    settings=FilesSettings,
    entities={entity: _support(entity) for entity in Entity},
    open=_open,
)

__all__ = ["CONNECTOR", "FilesClient", "FilesSettings"]
