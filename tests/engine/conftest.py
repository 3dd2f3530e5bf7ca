"""A throwaway repository with one integration between two `files` folders, for engine tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest

from connectors import CONNECTORS
from connectors.files import FilesSettings
from connectors.files.client import FilesClient
from engine.records import Entity, Record
from engine.run.runner import Selected, select
from engine.run.workspace import Workspace, load_workspace
from engine.state import StateStore, default_url

SYSTEMS = """\
version: 1
name: shop-sync
systems:
  erp: {connector: files, settings: {path: erp, format: csv}}
  shop: {connector: files, settings: {path: shop, format: jsonl}}
flows:
"""

SPEC = (
    SYSTEMS
    + """\
  products:
    entity: product
    from: erp
    to: shop
    mapping:
      title: trim(title)
    create_only: [description]
    delete: archive
    settings: {batch_size: 2}
"""
)

ENVIRONMENT = """\
name: test
integrations:
  shop-sync:
    spec: specs/shop-sync.yaml
"""


@dataclass
class Repo:
    root: Path

    def write_spec(self, text: str) -> None:
        (self.root / "specs" / "shop-sync.yaml").write_text(dedent(text))

    def erp(self) -> FilesClient:
        return FilesClient(FilesSettings(path=str(self.root / "erp"), format="csv"))

    def shop(self) -> FilesClient:
        return FilesClient(FilesSettings(path=str(self.root / "shop"), format="jsonl"))

    def seed(self, entity: Entity, records: list[Record], system: str = "erp") -> None:
        client = self.erp() if system == "erp" else self.shop()
        path = client.path(entity)
        path.unlink(missing_ok=True)
        client.write(entity, records)

    def workspace(self) -> Workspace:
        return load_workspace(self.root, "test", connectors=CONNECTORS, environ=dict(os.environ))

    def flows(self, name: str | None = None) -> list[Selected]:
        return select(self.workspace(), name)

    def store(self) -> StateStore:
        return StateStore(default_url(self.root, "test"))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    for folder in ("specs", "environments", "erp", "shop"):
        (tmp_path / folder).mkdir()
    (tmp_path / "specs" / "shop-sync.yaml").write_text(SPEC)
    (tmp_path / "environments" / "test.yaml").write_text(ENVIRONMENT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TILLSYNC_STATE_URL", raising=False)
    return Repo(tmp_path)
