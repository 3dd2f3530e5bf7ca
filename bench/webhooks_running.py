"""The webhook path as it runs for a merchant, for the real-time scenarios: the receiver served over
loopback HTTP, its event worker started, and the shop subscribed to a topic that reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectors.shopify.client import ShopifyClient
from connectors.testing.server import serving
from engine.run import runner
from engine.run.workspace import Workspace
from engine.webhooks.receiver import receiver
from engine.webhooks.worker import EventWorker


@contextmanager
def webhooks_served(workspace: Workspace, integration: str, topic: str, system: str = "shop") -> Iterator[None]:
    """While in the block, Shopify's `topic` deliveries for `integration`'s `system` reach the
    receiver, and its worker runs the flows they affect."""
    with runner.state_store(workspace) as store:
        worker = EventWorker(workspace, store)
        worker.start()
        try:
            with serving(receiver(workspace, store, worker.wake)) as url:
                client = workspace.deployments[integration].systems[system].open(workspace.environ)
                assert isinstance(client, ShopifyClient)
                client.subscribe(topic, f"{url}/webhooks/{integration}/{system}")
                client.close()
                yield
        finally:
            worker.stop()
