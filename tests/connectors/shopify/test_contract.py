"""Every GraphQL document the connector sends is valid against Shopify's published 2026-10 schema
and within Shopify's single-query cost limit."""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse, validate

from connectors.shopify import documents
from connectors.shopify.cost import MAX_QUERY_COST, query_cost
from connectors.shopify.schema import admin_schema

BATCHES = {"ProductSet": (10, ("identifier", "input")), "ProductByKey": (5, ("value",))}
PAGE_SIZES = {
    "StockBySku": 25,
    "Locations": 50,
    "PriceListPrices": 200,
    "VariantsBySku": 250,
    "PriceLists": 50,
    "OrderFulfillments": 4,
}
PLACEHOLDERS = {"keyNamespace": "tillsync", "keyName": "product_number", "featureNamespace": "features"}


def _all() -> list[documents.Document]:
    docs = [documents.document(name) for name in documents.names()]
    docs += [documents.batched(name, size, per) for name, (size, per) in BATCHES.items()]
    return docs


@pytest.mark.parametrize("doc", _all(), ids=lambda d: d.name)
def test_document_is_valid_against_the_schema(doc: documents.Document) -> None:
    assert [error.message for error in validate(admin_schema(), parse(doc.text))] == []


@pytest.mark.parametrize("doc", _all(), ids=lambda d: d.name)
def test_document_costs_at_most_the_single_query_limit(doc: documents.Document) -> None:
    parsed = parse(doc.text)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    size = next((s for name, s in PAGE_SIZES.items() if doc.name.startswith(name)), 1)
    assert query_cost(admin_schema(), operation, fragments, {"first": size}) <= MAX_QUERY_COST


@pytest.mark.parametrize("name", documents.bulk_names())
def test_bulk_query_is_valid_against_the_schema(name: str) -> None:
    query = documents.bulk_query(name, **PLACEHOLDERS)
    assert [error.message for error in validate(admin_schema(), parse(query))] == []


def test_a_broken_document_is_caught() -> None:
    broken = documents.document("Locations").text.replace("isActive", "isActiv")
    assert validate(admin_schema(), parse(broken)), "the contract test must be able to fail"


def test_the_schema_file_is_shopifys_2026_10_admin_schema() -> None:
    schema = admin_schema()
    assert schema.mutation_type is not None and "productSet" in schema.mutation_type.fields
    assert "inventorySetQuantities" in schema.mutation_type.fields
