"""What every registered connector must honour, checked over the whole registry: its catalogues,
default mappings and settings, and the behavioural contract (`connectors.testing.contract`) against
the sandbox of every connector that declares one. `test_contract_can_fail` proves each check can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from connectors import CONNECTORS
from connectors.ccv.sandbox import cases as ccv_cases
from connectors.easycashier.sandbox import cases as easycashier_cases
from connectors.files import FilesSettings
from connectors.mpluskassa.sandbox import cases as mpluskassa_cases
from connectors.rackbeat.sandbox import cases as rackbeat_cases
from connectors.shopify.sandbox import cases as shopify_cases
from connectors.testing.contract import check_keys, check_round_trip
from connectors.testing.suite import ContractInputs, Suite, missing_inputs, sandboxed, served
from connectors.visma_net.sandbox import cases as visma_net_cases
from engine.catalogue import entity_catalogue, lookup
from engine.connector import Connector
from engine.mapping import jmes
from engine.records import Customer, Entity, Money, Order, OrderLine, Product, Record, StockLevel, Variant

FILES_SAMPLES: list[tuple[Entity, tuple[Record, ...]]] = [
    (Entity.product, (Product(sku="100", title="Shirt", tags=("sale",), options=("size",), variants=(
        Variant(sku="101", options={"size": "M"}, price=Money.model_validate("19.99 EUR")),
        Variant(sku="102", options={"size": "L"}, barcode="8712345678906")),), Product(sku="200", title="Mug"))),
    (Entity.stock, (StockLevel(sku="101", location="1", on_hand=Decimal(5), reserved=Decimal(1)),
                    StockLevel(sku="101", location="2", on_hand=Decimal("0.250")))),
    (Entity.order, (Order(number="W1", currency="EUR", customer=Customer(email="anna@example.com"), lines=(
        OrderLine(sku="101", quantity=Decimal(2), price=Money.model_validate("19.99 EUR")),)),)),
]  # fmt: skip


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


# ---- the behavioural contract, against each connector's sandbox ---------------------------------

INPUTS: dict[str, ContractInputs] = {
    "ccv": ccv_cases.INPUTS,
    "easycashier": easycashier_cases.INPUTS,
    "mpluskassa": mpluskassa_cases.INPUTS,
    "rackbeat": rackbeat_cases.INPUTS,
    "shopify": shopify_cases.INPUTS,
    "visma_net": visma_net_cases.INPUTS,
}
SANDBOXED = sandboxed(CONNECTORS)


def test_every_connector_with_a_sandbox_has_contract_inputs() -> None:
    assert SANDBOXED, "no registered connector declares a sandbox; the contract runs on nothing"
    assert missing_inputs(SANDBOXED, INPUTS) == [], "give these connectors contract inputs (sandbox/cases.py)"


@contextmanager
def serve(connector: Connector) -> Iterator[Suite]:
    """A fresh sandbox of `connector` with its contract inputs; fails when it has none."""
    if connector.name not in INPUTS:
        pytest.fail(f"{connector.name} declares a sandbox but has no contract inputs")
    with served(connector, INPUTS[connector.name]) as suite:
        yield suite


@pytest.fixture(params=SANDBOXED, ids=[c.name for c in SANDBOXED])
def suite(request: pytest.FixtureRequest) -> Iterator[Suite]:
    with serve(request.param) as running:
        yield running


def test_written_records_read_back_as_written(suite: Suite) -> None:
    suite.round_trips(suite.open())


def test_keys_are_unique_and_non_empty(suite: Suite) -> None:
    suite.keys(suite.open())


def test_full_reads_page_to_the_end(suite: Suite) -> None:
    suite.pages(suite.open())


def test_a_refused_record_is_that_records_error(suite: Suite) -> None:
    suite.refusal(suite.open())


def test_refused_credentials_are_fatal_and_not_retried(suite: Suite) -> None:
    suite.credentials_refused()


@pytest.mark.slow  # real backoff: a 429 waits out Shopify's Retry-After
@pytest.mark.parametrize("fault", ["429", "500", "drop"])
def test_faults_are_retried(suite: Suite, fault: str) -> None:
    suite.retried(fault)


def test_webhooks_are_verified_and_name_their_records(suite: Suite) -> None:
    if suite.connector.webhooks is None:
        assert suite.inputs.webhook is None, "a webhook case for a connector without webhooks"
        return
    suite.webhook(suite.delivery(suite.open()))


def test_files_round_trip_and_keys_in_a_folder(tmp_path: Path) -> None:
    """The files connector has no sandbox; a folder is as cheap, so the checks that make sense for
    files (no credentials, faults or pages there) run on it too."""
    client = CONNECTORS["files"].open(FilesSettings(path=str(tmp_path), format="csv"), {})
    for entity, records in FILES_SAMPLES:
        check_round_trip(client, entity, records)
        check_keys(client, entity)
