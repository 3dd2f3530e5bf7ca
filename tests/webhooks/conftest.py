"""Fixtures for the receiver's tests: a state store on SQLite and on PostgreSQL, the receiver served
over it, and Shopify's published webhook fixtures (the project's shared folder), where this machine
has them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webhooks.receiving import REPO, Hooks, served, workspace


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state store on SQLite, and on PostgreSQL where there is one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def hooks(tmp_path: Path, state_url: str) -> Iterator[Hooks]:
    with served(workspace(tmp_path), state_url) as running:
        yield running


@pytest.fixture(scope="session")
def shopify_fixtures() -> Path:
    """Shopify's example payloads, anonymised real deliveries and HMAC test vectors, kept in
    `tests/fixtures/shopify-webhooks` (its `SOURCES.md` says where each comes from)."""
    return REPO / "tests" / "fixtures" / "shopify-webhooks"
