"""Throttling is waited out, however often Shopify answers THROTTLED, within the run's time: two
applies sharing one shop's bucket slow each other down, and neither gives up."""

from __future__ import annotations

import httpx
import pytest

from connectors.shopify.documents import document
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.transport import Transport
from connectors.testing.server import serving
from engine.errors import RetriableConnectorError
from engine.records import Entity, Money, Product, Variant
from tests.connectors.shopify.conftest import Running
from tests.connectors.test_http import FakeTime, shopify_answer

THROTTLED = {"message": "Throttled", "extensions": {"code": "THROTTLED"}}


def test_throttled_answers_are_waited_out_beyond_the_attempts() -> None:
    time = FakeTime(now=1000.0)
    answers = [shopify_answer(0, THROTTLED)] * 10 + [shopify_answer(990, data={"locations": []})]
    transport = Transport("https://shop.test", "shpat_x", max_attempts=2, sleep=time.sleep, clock=time.clock,
                          http_transport=httpx.MockTransport(lambda request: answers.pop(0)))  # fmt: skip
    assert transport.request(document("Locations"), {"first": 50}) == {"locations": []}
    assert transport.usage.throttled == 10 and transport.usage.retries == 0


def test_a_run_past_its_deadline_stops_waiting_and_says_so() -> None:
    time = FakeTime(now=1000.0)
    transport = Transport("https://shop.test", "shpat_x", sleep=time.sleep, clock=time.clock, deadline=1003.0,
                          http_transport=httpx.MockTransport(lambda request: shopify_answer(0, THROTTLED)))  # fmt: skip
    with pytest.raises(RetriableConnectorError, match=r"Shopify Locations: still rate limited after waiting"):
        transport.request(document("Locations"), {"first": 50})
    assert 2.0 < time.now - 1000.0 <= 3.0, "it waited until the deadline, not longer"


def test_an_apply_whose_bucket_another_drains_slows_down_and_goes_through() -> None:
    sandbox = ShopifySandbox()
    sandbox.shop.add_location("warehouse")
    take, refused = sandbox.bucket.take, [8]

    def drained_by_another_app(cost: float) -> bool:  # the other apply takes what refills, eight times
        if refused[0]:
            refused[0] -= 1
            return False
        return take(cost)

    sandbox.bucket.take = drained_by_another_app  # type: ignore[method-assign]
    mug = Product(sku="2000", title="Mug", variants=(Variant(sku="2000", price=Money.model_validate("12.50 EUR")),))
    with serving(sandbox) as url:
        running = Running(sandbox, url)
        client = running.client()
        time = FakeTime(now=1000.0)
        client.transport.sleep, client.transport.clock = time.sleep, time.clock
        assert [o.error for o in client.write(Entity.product, [mug])] == [None]
        running.close()
    assert client.transport.usage.throttled == 8 and len(sandbox.shop.products) == 1
