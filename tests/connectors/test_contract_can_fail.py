"""Every contract check fails on a connector broken on purpose (a check that cannot fail proves
nothing: Meltano's primary-key check compared generator objects and passed whatever it was given).

Each broken connector is a real client of the connector, against its sandbox, wrapped to break one
promise: it drops a field on write, claims writes it did not make, duplicates or blanks a key, stops
before the last page, swallows a refused record, ... Every test runs over each connector with a
sandbox, with that connector's own contract inputs, so it also proves those inputs make the check
bite (a page of inputs that never crossed a boundary would let a client that drops the last page
pass). Broken credentials, faults and webhooks are in `test_contract_can_fail_errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from connectors import CONNECTORS
from connectors.files import FilesSettings
from connectors.testing.contract import check_keys, check_round_trip, differences
from connectors.testing.suite import Suite, missing_inputs
from engine.connector import Client, RawRecord, ReadFilter, WriteOutcome
from engine.errors import RecordError
from engine.keys import Key
from engine.records import KEYS, Entity, Record, record_key
from tests.connectors.test_contract import FILES_SAMPLES, SANDBOXED, serve


class Wrapped:
    """A client passing everything on to a real one; the broken clients override what they break."""

    def __init__(self, inner: Client) -> None:
        self.inner = inner

    @property
    def calls(self) -> int:
        return self.inner.calls

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
        return self.broken_read(entity, list(self.inner.read(entity, keys, wanted)), keys)

    def broken_read(self, entity: Entity, records: list[Record], keys: Sequence[Key] | None) -> Iterable[Record]:
        return records

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        return self.inner.write(entity, records)

    def delete(self, entity: Entity, keys: Sequence[Key]) -> list[WriteOutcome]:
        return self.inner.delete(entity, keys)

    def close(self) -> None:
        self.inner.close()


def _dropped_field(entity: Entity, record: Record) -> Record:
    """`record` without its first optional field that says something (not part of its key); as it is
    when it says nothing optional (then the records beside it must)."""
    for name, info in type(record).model_fields.items():
        value = getattr(record, name)
        if not info.is_required() and name not in KEYS[entity] and value not in (None, (), {}, info.default):
            return record.model_copy(update={name: info.default})
    return record


class DropsAFieldOnWrite(Wrapped):
    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        return self.inner.write(entity, [_dropped_field(entity, r) for r in records])


class ClaimsWritesItDidNotMake(Wrapped):
    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        return [WriteOutcome(record_key(entity, r), target_id="made-up") for r in records]


class DuplicatesARecord(Wrapped):
    def broken_read(self, entity: Entity, records: list[Record], keys: Sequence[Key] | None) -> Iterable[Record]:
        return records + records[-1:]


class DuplicatesInAGenerator(Wrapped):
    """Hands its duplicate out of a generator: a check must look at the records, not the object."""

    def broken_read(self, entity: Entity, records: list[Record], keys: Sequence[Key] | None) -> Iterator[Record]:
        yield from records
        yield from records[:1]


class BlanksAKey(Wrapped):
    def broken_read(self, entity: Entity, records: list[Record], keys: Sequence[Key] | None) -> Iterable[Record]:
        blanked = records[-1].model_copy(update={KEYS[entity][-1]: ""}) if records else None
        return records[:-1] + ([blanked] if blanked else [])


class MiskeysRawRecords(Wrapped):
    """Hands out raw records whose key is not that of the record they build."""

    def read_raw(
        self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None
    ) -> Iterator[RawRecord]:
        for record in self.inner.read(entity, keys, wanted):
            key = record_key(entity, record)
            yield RawRecord((*key[:-1], key[-1] + "-x"), "", _built(record))


def _built(record: Record) -> Callable[[], Record]:
    return lambda: record


class StopsAfterTheFirstPage(Wrapped):
    def __init__(self, inner: Client, pages: dict[Entity, int]) -> None:
        super().__init__(inner)
        self.pages = pages

    def broken_read(self, entity: Entity, records: list[Record], keys: Sequence[Key] | None) -> Iterable[Record]:
        return records[: self.pages[entity]] if keys is None and entity in self.pages else records


class ReadsTheFirstPageTwice(StopsAfterTheFirstPage):
    def broken_read(self, entity: Entity, records: list[Record], keys: Sequence[Key] | None) -> Iterable[Record]:
        return records + records[: self.pages[entity]] if keys is None and entity in self.pages else records


class SwallowsRefusals(Wrapped):
    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        return [replace(o, error=None, target_id="ok") for o in self.inner.write(entity, records)]


class RaisesOnARefusal(Wrapped):
    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        outcomes = self.inner.write(entity, records)
        refused = next((o for o in outcomes if o.error), None)
        if refused is not None:
            raise RecordError(f"batch failed: {refused.error}")
        return outcomes


class BlamesTheWrongRecord(Wrapped):
    """Puts each error on the outcome after the one it belongs to."""

    def write(self, entity: Entity, records: Sequence[Record]) -> list[WriteOutcome]:
        outcomes = self.inner.write(entity, records)
        errors = [o.error for o in outcomes]
        return [replace(o, error=errors[i - 1]) for i, o in enumerate(outcomes)]


@pytest.fixture(params=SANDBOXED, ids=[c.name for c in SANDBOXED])
def suite(request: pytest.FixtureRequest) -> Iterator[Suite]:
    with serve(request.param) as running:
        yield running


def test_the_round_trip_check_fails_on_a_field_dropped_on_write(suite: Suite) -> None:
    with pytest.raises(AssertionError, match="does not read back as written"):
        suite.round_trips(DropsAFieldOnWrite(suite.open()))


def test_the_round_trip_check_fails_on_writes_claimed_but_not_made(suite: Suite) -> None:
    with pytest.raises(AssertionError, match="was written but is not read back"):
        suite.round_trips(ClaimsWritesItDidNotMake(suite.open()))


@pytest.mark.parametrize("broken", [DuplicatesARecord, DuplicatesInAGenerator])
def test_the_keys_check_fails_on_a_duplicate_key(suite: Suite, broken: type[Wrapped]) -> None:
    with pytest.raises(AssertionError, match="is read twice"):
        suite.keys(broken(suite.open()))


def test_the_keys_check_fails_on_an_empty_key(suite: Suite) -> None:
    with pytest.raises(AssertionError, match="has an empty key part"):
        suite.keys(BlanksAKey(suite.open()))


def test_the_keys_check_fails_on_raw_keys_that_are_not_the_records(suite: Suite) -> None:
    with pytest.raises(AssertionError, match="is read with key"):
        suite.keys(MiskeysRawRecords(suite.open()))


def test_the_pages_check_fails_on_a_read_that_stops_after_the_first_page(suite: Suite) -> None:
    pages = {p.entity: p.page_size for p in suite.inputs.paging}
    with pytest.raises(AssertionError, match="stops early"):
        suite.pages(StopsAfterTheFirstPage(suite.open(), pages))


def test_the_pages_check_fails_on_a_page_read_twice(suite: Suite) -> None:
    pages = {p.entity: p.page_size for p in suite.inputs.paging}
    with pytest.raises(AssertionError, match="more than once"):
        suite.pages(ReadsTheFirstPageTwice(suite.open(), pages))


def test_the_pages_check_fails_when_the_inputs_page_is_not_the_reads(suite: Suite) -> None:
    """Inputs claiming a page far smaller than the read's: the records would cross no real boundary."""
    suite.inputs = replace(suite.inputs, paging=tuple(replace(p, page_size=1) for p in suite.inputs.paging))
    with pytest.raises(AssertionError, match="not in pages of 1"):
        suite.pages(suite.open())


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (SwallowsRefusals, "its outcome has no error"),
        (RaisesOnARefusal, "raised RecordError"),
        (BlamesTheWrongRecord, "its outcome has no error"),
    ],
)
def test_the_refusal_check_fails_on_a_mishandled_refusal(suite: Suite, broken: type[Wrapped], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        suite.refusal(broken(suite.open()))


# ---- the files connector, in a folder -------------------------------------------------------------


def _files(folder: Path) -> Client:
    return CONNECTORS["files"].open(FilesSettings(path=str(folder), format="csv"), {})


def test_the_round_trip_check_fails_on_a_files_connector_that_drops_a_field(tmp_path: Path) -> None:
    entity, records = FILES_SAMPLES[0]
    with pytest.raises(AssertionError, match="does not read back as written"):
        check_round_trip(DropsAFieldOnWrite(_files(tmp_path)), entity, records)


def test_the_keys_check_fails_on_a_files_connector_that_reads_a_record_twice(tmp_path: Path) -> None:
    entity, records = FILES_SAMPLES[0]
    files = _files(tmp_path)
    files.write(entity, records)
    check_keys(files, entity)
    with pytest.raises(AssertionError, match="is read twice"):
        check_keys(DuplicatesInAGenerator(files), entity)


# ---- the checks' own parts -------------------------------------------------------------------------


def test_differences_see_a_changed_or_missing_value_and_nothing_else() -> None:
    from decimal import Decimal

    written = {"sku": "1", "price": Decimal("19.9"), "tags": ("a",), "note": None, "lines": [{"q": 1}]}
    assert differences(written, {**written, "price": Decimal("19.90"), "id": "gid://1"}) == []
    assert differences(written, {**written, "tags": ()}) == ["tags: wrote ['a'], read ()"]
    assert differences(written, {**written, "lines": [{"q": 2}]}) == ["lines[0].q: wrote 1, read 2"]
    assert differences(written, {k: v for k, v in written.items() if k != "sku"}) == ["sku: wrote '1', read None"]


def test_a_connector_with_a_sandbox_but_no_contract_inputs_is_caught() -> None:
    shopify = CONNECTORS["shopify"]
    newcomer = replace(shopify, name="newcomer")
    assert missing_inputs([newcomer, shopify], {}) == ["newcomer", "shopify"]
    unknown = pytest.raises(pytest.fail.Exception, match="newcomer declares a sandbox but has no contract inputs")
    with unknown, serve(newcomer):
        pass
