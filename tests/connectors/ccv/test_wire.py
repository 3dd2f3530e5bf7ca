"""Every request the connector sends and every answer the sandbox gives, held to the wire format
derived from CCV's own schemas (`wire`): a field the connector invents, or one the sandbox leaves
out or types otherwise, fails here."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from connectors.ccv.sandbox.app import Exchange
from connectors.ccv.sandbox.cases import CUP, INES, KORF, ORDER, SAUCER
from engine.records import Entity
from tests.connectors.ccv import wire
from tests.connectors.ccv.conftest import RunningAccount


def _resource(path: str) -> str:
    return [part for part in path.strip("/").split("/") if not part.isdigit()][-1]


def problems(exchange: Exchange) -> list[str]:
    resource = _resource(exchange.path)
    found: list[str] = []
    if exchange.method != "GET":
        schema = wire.REQUESTS.get((exchange.method, resource))
        if schema is None:
            return [f"{exchange.method} {exchange.path}: a request no input schema here describes"]
        found += [f"{exchange.method} {exchange.path} sends {e.message}" for e in _errors(schema, exchange.body)]
    if exchange.status >= 300 or exchange.answer is None:
        return found
    answer: Any = exchange.answer
    if re.search(r"\d+/?$", exchange.path) is None and exchange.method == "GET":
        found += [f"GET {exchange.path} answers {e.message}" for e in _errors(wire.COLLECTION, answer)]
        items = answer.get("items") or []
    else:
        items = [answer]
    for item in items:
        found += [
            f"{exchange.method} {exchange.path} answers {e.message}" for e in _errors(wire.RESOURCES[resource], item)
        ]
    return found


def _errors(schema: dict[str, Any], value: Any) -> list[jsonschema.ValidationError]:
    return list(jsonschema.Draft7Validator(schema).iter_errors(value))


def test_the_connectors_requests_and_the_sandboxs_answers_keep_to_the_schemas(account: RunningAccount) -> None:
    client = account.client()
    account.sandbox.store.create_category({"name": "Cups"})
    for entity, records in [(Entity.product, (CUP, SAUCER)), (Entity.customer, (INES, KORF)), (Entity.order, (ORDER,))]:
        assert not [o.error for o in client.write(entity, records) if o.error]
    for entity in (Entity.product, Entity.category, Entity.stock, Entity.customer, Entity.order):
        assert client.read(entity)
    methods = {(e.method, _resource(e.path)) for e in account.sandbox.exchanges}
    assert set(wire.REQUESTS) - methods <= {("PATCH", "users"), ("PATCH", "products")}, "what was not exercised"
    found = [p for exchange in account.sandbox.exchanges for p in problems(exchange)]
    assert found == []


@pytest.mark.parametrize(
    ("exchange", "expected"),
    [
        (
            Exchange(
                "POST",
                "products",
                {"name": "Mug", "price": 1.0, "package_id": 1, "colour": "red"},
                201,
                {"id": 1, "name": "Mug", "price": 1.0, "discount": 0.0},
            ),
            "Additional properties",
        ),
        (Exchange("POST", "orders", {"status": 15, "orderrows": []}, 201, None), "15 is greater than"),
        (
            Exchange("GET", "products/1", None, 200, {"id": 1, "name": "Mug", "price": "1.00", "discount": 0}),
            "is not of type 'number'",
        ),
        (Exchange("GET", "users", None, 200, {"items": [{"id": 1}]}), "'username' is a required property"),
    ],
    ids=["an invented field", "a status beyond 14", "a price as text", "a user without its username"],
)
def test_the_schemas_catch_what_breaks_the_wire_format(exchange: Exchange, expected: str) -> None:
    assert any(expected in p for p in problems(exchange))
