"""The connector registry: a plain dict from the name a spec uses to the connector value."""

from __future__ import annotations

from connectors import files, mpluskassa, rackbeat, shopify
from engine.connector import Connector

CONNECTORS: dict[str, Connector] = {
    files.CONNECTOR.name: files.CONNECTOR,
    mpluskassa.CONNECTOR.name: mpluskassa.CONNECTOR,
    rackbeat.CONNECTOR.name: rackbeat.CONNECTOR,
    shopify.CONNECTOR.name: shopify.CONNECTOR,
}
