"""The `easycashier` connector: EasyCashier's Back Office JSON API (a Swedish till system).

Articles (products with one variant each: EasyCashier has no variants), stock per store, and web
orders booked as stock changes at their store. Every assumption about the API, with its evidence,
is in `protocol`; the till's sales report is read incrementally in `sales`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from connectors.easycashier.settings import EasyCashierSettings
from engine.catalogue import entity_catalogue
from engine.connector import Client, Connector, EntitySupport, Sandbox, SandboxSeed, SandboxSupport
from engine.records import Entity

PRODUCT_FIELDS = ("sku", "title", "variants", "prices_include_tax")
STOCK_FIELDS = ("sku", "location", "on_hand", "available")
ORDER_FIELDS = ("number", "status", "currency", "lines", "branch")
ORDER_DEFAULTS: dict[str, str | None] = {
    # a cancelled order brings no lines of its own: one counted before is put back by the lines the
    # last apply recorded; one never counted has none, and changes nothing
    "lines": "status != 'cancelled' && lines || `null`",
}


def _open(settings: BaseModel, credentials: Mapping[str, str]) -> Client:
    from connectors.easycashier.client import EasyCashierClient  # the HTTP client is imported only when a client opens

    assert isinstance(settings, EasyCashierSettings)
    return EasyCashierClient(settings, credentials)


def _sandbox(seed: SandboxSeed) -> Sandbox:
    from connectors.easycashier import sandbox

    return sandbox.start(seed.catalogue)


CONNECTOR = Connector(
    name="easycashier",
    description="EasyCashier tills through their Back Office's JSON API",
    settings=EasyCashierSettings,
    entities={
        Entity.product: EntitySupport(True, True, entity_catalogue(Entity.product, PRODUCT_FIELDS)),
        Entity.stock: EntitySupport(True, True, entity_catalogue(Entity.stock, STOCK_FIELDS)),
        Entity.order: EntitySupport(
            False, True, entity_catalogue(Entity.order, ORDER_FIELDS), defaults=ORDER_DEFAULTS, batch=1
        ),
    },
    open=_open,
    credentials=("username", "password"),
    sandbox=SandboxSupport(8705, _sandbox),
)

__all__ = ["CONNECTOR", "EasyCashierSettings"]
