"""The connector registry: a plain dict from the name a spec uses to the connector value."""

from __future__ import annotations

from connectors import ccv, files, mpluskassa, shopify
from engine.connector import Connector

CONNECTORS: dict[str, Connector] = {
    ccv.CONNECTOR.name: ccv.CONNECTOR,
    files.CONNECTOR.name: files.CONNECTOR,
    mpluskassa.CONNECTOR.name: mpluskassa.CONNECTOR,
    shopify.CONNECTOR.name: shopify.CONNECTOR,
}
