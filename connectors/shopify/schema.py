"""Shopify's published Admin GraphQL schema (API version 2026-10), as shipped beside this module."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema

API_VERSION = "2026-10"
SCHEMA_FILE = Path(__file__).parent / f"admin_{API_VERSION}.json.gz"


@cache
def admin_schema() -> GraphQLSchema:
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    # Shopify marks some interface implementations deprecated, which a strict schema check refuses;
    # validating documents against it works normally.
    return build_client_schema(raw["data"], assume_valid=True)


@cache
def root_field_scopes() -> dict[tuple[str, str], tuple[str, ...]]:
    """The access scopes each query and mutation root field needs, from Shopify's published list."""
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as handle:
        items = json.load(handle)["offline_scopes"]["items"]
    roots = {"QueryRoot": "query", "Mutation": "mutation"}
    return {
        (roots[item["typeName"]], item["fieldName"]): tuple(item["offlineScopes"])
        for item in items
        if item["type"] == "field" and item["typeName"] in roots and item["offlineScopes"]
    }
