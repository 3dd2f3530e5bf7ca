"""Fixtures for the receiver's tests: a state store on SQLite and on PostgreSQL, the receiver served
over it, and Shopify's published webhook fixtures (the project's shared folder), where this machine
has them."""

from __future__ import annotations

import os
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
    """The folder of Shopify's example payloads, real deliveries and HMAC vectors (`SOURCES.md` in it
    says where each comes from): `shared/shopify/webhooks` beside this checkout or above it, or in
    TILLSYNC_SHARED_DIR. Skipped where missing, unless CI requires it."""
    given = os.environ.get("TILLSYNC_SHARED_DIR")
    candidates = [Path(given)] if given else [folder / "shared" for folder in REPO.parents]
    for shared in candidates:
        if (shared / "shopify" / "webhooks" / "SOURCES.md").is_file():
            return shared / "shopify" / "webhooks"
    if os.environ.get("TILLSYNC_REQUIRE_SERVICES") or os.environ.get("CI"):
        pytest.fail("the shared folder with shopify/webhooks is required here but not found above the checkout")
    pytest.skip("no shared/shopify/webhooks above this checkout (set TILLSYNC_SHARED_DIR)")
