"""Which Shopify writes may be sent twice, and Shopify's own `@idempotent` key as the sandbox models it."""

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
from engine.errors import AnswerLostError
from engine.records import Entity, Money, Product, StockLevel, Variant
from tests.connectors.lost import losing
from tests.connectors.shopify.conftest import LOCATIONS, Running

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
