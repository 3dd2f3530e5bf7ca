"""The sandbox's search syntax: what matches, and that the set-lookup form agrees with the general one."""

from __future__ import annotations

import pytest

from connectors.shopify.sandbox.search import compile_query, matches

RECORDS = [
    {"sku": "1001", "financial_status": "paid", "tags": ["Summer", "organic"]},
    {"sku": "1002", "financial_status": "pending", "tags": []},
    {"sku": None, "financial_status": "paid"},
    {"financial_status": "refunded"},
]


def chosen(query: str) -> list[int]:
    return [index for index, record in enumerate(RECORDS) if matches(query, record)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sku:1001 OR sku:1002", [0, 1]),
        ("sku:1001 OR sku:9999", [0]),
        ("tags:summer OR tags:other", [0]),  # list fields, case-insensitive
        ("sku:1001 OR financial_status:paid", [0, 2]),  # two fields: the general matcher
        ("sku:1001 OR -sku:1002", [0, 2, 3]),  # a negated term: the general matcher
        ("sku:1001 AND financial_status:paid", [0]),
        ("(financial_status:paid OR financial_status:pending) -sku:1001", [1, 2]),
        ("", [0, 1, 2, 3]),
    ],
)
def test_queries_choose_the_records_shopify_would(query: str, expected: list[int]) -> None:
    assert chosen(query) == expected


def test_an_or_of_terms_on_one_field_matches_as_the_general_form_does() -> None:
    query = " OR ".join(f"sku:{n}" for n in range(1000, 1030))
    general = " OR ".join(f"(sku:{n})" for n in range(1000, 1030))  # parentheses defeat the set lookup
    for record in [*RECORDS, {"sku": 1005}, {"sku": "10050"}]:
        assert compile_query(query)(record) == compile_query(general)(record), record


def test_a_query_that_does_not_parse_says_where() -> None:
    with pytest.raises(ValueError, match="near"):
        compile_query("sku:1 )")
