"""The connector registry: a plain dict from the name a spec uses to the connector value."""

from __future__ import annotations

from connectors import ccv, easycashier, files, mpluskassa, rackbeat, shopify, visma_net
from engine.connector import Connector

CONNECTORS: dict[str, Connector] = {
    ccv.CONNECTOR.name: ccv.CONNECTOR,
    easycashier.CONNECTOR.name: easycashier.CONNECTOR,
    files.CONNECTOR.name: files.CONNECTOR,
    mpluskassa.CONNECTOR.name: mpluskassa.CONNECTOR,
    rackbeat.CONNECTOR.name: rackbeat.CONNECTOR,
    shopify.CONNECTOR.name: shopify.CONNECTOR,
    visma_net.CONNECTOR.name: visma_net.CONNECTOR,
}
