"""What every registered connector must honour, checked over the whole registry."""

from __future__ import annotations

import pytest

from connectors import CONNECTORS
from engine.catalogue import entity_catalogue, lookup
from engine.connector import Connector
from engine.mapping import jmes
from engine.records import Entity


@pytest.mark.parametrize("connector", CONNECTORS.values(), ids=list(CONNECTORS))
def test_catalogues_are_canonical_fields(connector: Connector) -> None:
    for entity, support in connector.entities.items():
        canonical = entity_catalogue(entity)
        assert set(support.catalogue) <= set(canonical), f"{connector.name} {entity.value}"
        if support.statuses:
            assert support.status_field in support.catalogue


@pytest.mark.parametrize("connector", CONNECTORS.values(), ids=list(CONNECTORS))
def test_default_mappings_compile_and_read_canonical_fields(connector: Connector) -> None:
    for entity, support in connector.entities.items():
        for target_field, expression in support.defaults.items():
            assert target_field in support.catalogue, f"{connector.name} {entity.value} default {target_field}"
            if expression is None:
                continue  # left unmapped
            analysis = jmes.check(expression)
            assert analysis.problems == (), expression
            for path in analysis.fields:
                assert lookup(entity_catalogue(entity), path).info is not None, (expression, path)


@pytest.mark.parametrize("connector", CONNECTORS.values(), ids=list(CONNECTORS))
def test_settings_forbid_unknown_keys(connector: Connector) -> None:
    assert connector.settings.model_config.get("extra") == "forbid"


def test_every_entity_has_a_connector_that_reads_and_one_that_writes_it() -> None:
    for entity in Entity:
        assert any(c.supports(entity, read=True) for c in CONNECTORS.values())
        assert any(c.supports(entity, write=True) for c in CONNECTORS.values())
