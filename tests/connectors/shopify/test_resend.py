"""Which Shopify writes may be sent twice, Shopify's own `@idempotent` key as the sandbox models it,
and throttling waited out, however often Shopify answers THROTTLED, within the run's time: two
applies sharing one shop's bucket slow each other down, and neither gives up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from graphql import FieldNode, OperationDefinitionNode, parse

from connectors.shopify.documents import batched, document, names
from connectors.shopify.idempotency import WRITES, may_resend
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.sandbox.idempotency import REQUIRED
from connectors.shopify.schema import admin_schema
from connectors.shopify.transport import Transport
from connectors.testing.server import serving
from engine.errors import AnswerLostError, RetriableConnectorError
from engine.records import Customer, Entity, Money, Product, StockLevel, Variant
from tests.connectors.shopify.conftest import LOCATIONS, Running
from tests.connectors.test_faults_lost import losing
from tests.connectors.test_http import FakeTime, shopify_answer

MUG = Product(sku="2000", title="Mug", variants=(Variant(sku="2000", price=Money.model_validate("12.50 EUR")),))


def mutations() -> list[str]:
    return [name for name in names() if document(name).mutation]


def test_every_mutation_the_connector_sends_is_classified_and_only_those() -> None:
    assert sorted(WRITES) == sorted(mutations())
    assert not may_resend(document("OrderCreate")) and may_resend(document("Orders")), "queries are always resent"
    assert not may_resend(batched("CollectionCreate", 3, ("collection",))), "a batch is classified as its operation"


@pytest.mark.parametrize("name", [n for n, w in WRITES.items() if w.keyed])
def test_a_write_resent_for_its_key_carries_the_key_shopify_supports_on_it(name: str) -> None:
    assert "@idempotent(key: $idempotencyKey)" in document(name).text
    description = admin_schema().mutation_type.fields[root_field(name)].description or ""  # type: ignore[union-attr]
    assert "`@idempotent` directive" in " ".join(description.split())


def root_field(name: str) -> str:
    operation = next(d for d in parse(document(name).text).definitions if isinstance(d, OperationDefinitionNode))
    [field] = operation.selection_set.selections
    assert isinstance(field, FieldNode)
    return field.name.value


def test_every_mutation_shopify_requires_a_key_for_is_sent_with_one() -> None:
    required = {name for name, f in admin_schema().mutation_type.fields.items()  # type: ignore[union-attr]
                if "idempotency key is required" in " ".join((f.description or "").split())}  # fmt: skip
    assert "inventorySetQuantities" in required
    for name in mutations():
        field = root_field(name)
        assert field not in required or WRITES[name].keyed, f"{name} sends {field} without its required key"


def test_the_transport_never_resends_a_mutation_unsafe_to_send_twice() -> None:
    sent: list[bytes] = []

    def timing_out(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        if len(sent) % 2:
            raise httpx.ReadTimeout("no answer")
        return httpx.Response(200, json={"data": {"ok": True}})

    transport = Transport(
        "https://shop.test", "shpat_x", sleep=lambda s: None, http_transport=httpx.MockTransport(timing_out)
    )
    with pytest.raises(AnswerLostError, match="Shopify OrderCreate: the answer was lost"):
        transport.request(document("OrderCreate"), {"order": {}})
    assert len(sent) == 1
    for resendable in ("CustomerSet", "InventorySetQuantities", "Locations"):
        sent.clear()
        assert transport.request(document(resendable), {"idempotencyKey": "k-1"}) == {"ok": True}
        assert len(sent) == 2 and sent[0] == sent[1], "sent again as it was, its key too"


# ---- the sandbox's @idempotent -----------------------------------------------------------------

SET = """mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { delta } }
    userErrors { field message code }
  }
}"""


@pytest.fixture
def stocked(sandbox: ShopifySandbox) -> tuple[ShopifySandbox, dict[str, Any]]:
    """A sandbox with a mug; the input that sets its stock at the warehouse to 7."""
    variant = {"sku": "2000", "price": "12.50", "optionValues": [{"optionName": "Title", "name": "Default Title"}]}
    sandbox.shop.product_set(None, {"title": "Mug", "variants": [variant]})
    item = next(iter(sandbox.shop.items))
    quantity = {"inventoryItemId": item, "locationId": sandbox.shop.location_named("warehouse"), "quantity": 7,
                "changeFromQuantity": None}  # fmt: skip
    return sandbox, {"name": "available", "reason": "correction", "quantities": [quantity]}


def levels_events(sandbox: ShopifySandbox) -> int:
    return sum(1 for topic, _ in sandbox.shop.events if topic == "inventory_levels/update")


def test_a_key_sent_again_is_answered_with_the_first_result_and_applied_once(stocked: Any) -> None:
    sandbox, set_input = stocked
    first = sandbox.execute(SET, {"input": set_input, "key": "k-1"}, None)["data"]["inventorySetQuantities"]
    again = sandbox.execute(SET, {"input": set_input, "key": "k-1"}, None)["data"]["inventorySetQuantities"]
    assert again == first and first["inventoryAdjustmentGroup"]["changes"] == [{"delta": 7}]
    assert levels_events(sandbox) == 1


def test_a_key_is_refused_with_other_input_and_after_a_failed_first_attempt(stocked: Any) -> None:
    sandbox, set_input = stocked
    sandbox.execute(SET, {"input": set_input, "key": "k-1"}, None)
    other = {**set_input, "quantities": [{**set_input["quantities"][0], "quantity": 8}]}
    answer = sandbox.execute(SET, {"input": other, "key": "k-1"}, None)["data"]["inventorySetQuantities"]
    assert [e["code"] for e in answer["userErrors"]] == ["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"]
    stale = {**set_input, "quantities": [{**set_input["quantities"][0], "changeFromQuantity": 3}]}
    refused = sandbox.execute(SET, {"input": stale, "key": "k-2"}, None)["data"]["inventorySetQuantities"]
    assert [e["code"] for e in refused["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    again = sandbox.execute(SET, {"input": stale, "key": "k-2"}, None)["data"]["inventorySetQuantities"]
    assert [e["code"] for e in again["userErrors"]] == ["IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"]
    assert levels_events(sandbox) == 1


def test_a_mutation_that_requires_the_key_is_refused_without_it(stocked: Any) -> None:
    sandbox, set_input = stocked
    bare = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    answer = sandbox.execute(bare, {"input": set_input}, None)
    assert answer["data"] == {"inventorySetQuantities": None}
    [error] = answer["errors"]
    assert (error["message"], error["extensions"]["code"]) == (REQUIRED, "BAD_REQUEST")
    assert levels_events(sandbox) == 0


def test_the_key_is_refused_where_shopify_does_not_support_it(sandbox: ShopifySandbox) -> None:
    mutation = 'mutation { orderCreate(order: {lineItems: []}) @idempotent(key: "k-1") { userErrors { message } } }'
    answer = sandbox.execute(mutation, {}, None)
    assert answer["errors"][0]["message"] == "The @idempotent directive is not supported by orderCreate."
    assert sandbox.shop.orders == {}


# ---- the connector's stock write, its answer lost ------------------------------------------------


def test_stock_whose_answer_was_lost_is_sent_again_with_its_key_and_applied_once(sandbox: ShopifySandbox) -> None:
    with losing(sandbox, "mutation InventorySetQuantities", times=0) as (url, front):
        running = Running(sandbox, url)
        client = running.client(compare_quantities=True)  # so a second set, as Shopify sees it, would be stale
        client.transport.sleep = lambda seconds: None
        client.write(Entity.product, [MUG])
        client.write(Entity.stock, [StockLevel(sku="2000", location=LOCATIONS[0], available=Decimal(10))])
        events = levels_events(sandbox)
        front.times = 1
        [outcome] = client.write(Entity.stock, [StockLevel(sku="2000", location=LOCATIONS[0], available=Decimal(4))])
        running.close()
    assert len(front.lost) == 1, "the second stock write's answer was lost"
    assert outcome.error is None, "the resend was answered with the first attempt's result, not a stale compare"
    assert levels_events(sandbox) == events + 1, "set once"
    level = next(q for (item, location), q in sandbox.shop.levels.items() if sandbox.shop.locations[location]["name"]
                 == LOCATIONS[0] and sandbox.shop.items[item]["sku"] == "2000")  # fmt: skip
    assert level["available"] == 4


def test_customers_whose_answer_was_lost_are_sent_again_and_each_is_there_once(sandbox: ShopifySandbox) -> None:
    people = [Customer(email=f"shopper{n}@example.com", first_name="Shopper", last_name=str(n)) for n in range(3)]
    with losing(sandbox, "mutation CustomerSetBatch") as (url, front):
        running = Running(sandbox, url)
        outcomes = running.client().write(Entity.customer, people)
        running.close()
    assert len(front.lost) == 1 and [o.error for o in outcomes] == [None] * 3
    assert sorted(c["email"] for c in sandbox.shop.customers.values()) == [p.email for p in people]
    assert [o.target_id for o in outcomes] == list(sandbox.shop.customers), "upserted by email: the first made them"


# ---- throttling ---------------------------------------------------------------------------------

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
    with serving(sandbox) as url:
        running = Running(sandbox, url)
        client = running.client()
        time = FakeTime(now=1000.0)
        client.transport.sleep, client.transport.clock = time.sleep, time.clock
        assert [o.error for o in client.write(Entity.product, [MUG])] == [None]
        running.close()
    assert client.transport.usage.throttled == 8 and len(sandbox.shop.products) == 1
