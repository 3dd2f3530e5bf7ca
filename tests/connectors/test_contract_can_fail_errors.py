"""The contract's error checks fail on connectors broken on purpose: refused credentials treated as
retriable, retried, or shown in the error; faults not retried, or retried into an empty answer;
webhooks accepted without a valid signature, or read as about nothing. (Data checks: see
`test_contract_can_fail`.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest

from connectors.testing.faults import FaultControl
from connectors.testing.suite import Suite
from engine.connector import Client, Event, ReadFilter, WebhookSupport
from engine.errors import FatalConnectorError, RetriableConnectorError
from engine.keys import Key
from engine.records import Entity, Record
from tests.connectors.test_contract import SANDBOXED, serve
from tests.connectors.test_contract_can_fail import Wrapped

WITH_WEBHOOKS = [c for c in SANDBOXED if c.webhooks is not None]


@pytest.fixture(params=SANDBOXED, ids=[c.name for c in SANDBOXED])
def suite(request: pytest.FixtureRequest) -> Iterator[Suite]:
    with serve(request.param) as running:
        yield running


# ---- refused credentials ---------------------------------------------------------------------------


class RetriableOnARefusedLogin(Wrapped):
    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
        try:
            return list(self.inner.read(entity, keys, wanted))
        except FatalConnectorError as exc:
            raise RetriableConnectorError(f"try again later: {exc}") from exc


class RetriesARefusedLogin(Wrapped):
    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
        for _ in range(2):
            try:
                return list(self.inner.read(entity, keys, wanted))
            except FatalConnectorError:
                continue
        return list(self.inner.read(entity, keys, wanted))


class ShowsTheCredentials(Wrapped):
    def __init__(self, inner: Client, credentials: Mapping[str, str]) -> None:
        super().__init__(inner)
        self.credentials = credentials

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
        try:
            return list(self.inner.read(entity, keys, wanted))
        except FatalConnectorError as exc:
            raise FatalConnectorError(f"{exc} (logged in with {dict(self.credentials)})") from exc


class ReadsNothingOnARefusedLogin(Wrapped):
    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
        try:
            return list(self.inner.read(entity, keys, wanted))
        except FatalConnectorError:
            return []


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (RetriableOnARefusedLogin, "classified retriable"),
        (RetriesARefusedLogin, "sent 3 times"),
        (ShowsTheCredentials, "shows a credential"),
        (ReadsNothingOnARefusedLogin, "succeeded"),
    ],
)
def test_the_credentials_check_fails_on_a_mishandled_refused_login(suite: Suite, broken: Any, message: str) -> None:
    wrong = suite.wrong_credentials()

    def opened() -> Client:
        client = suite.open(wrong)
        return ShowsTheCredentials(client, wrong) if broken is ShowsTheCredentials else broken(client)

    with pytest.raises(AssertionError, match=message):
        suite.credentials_refused(opened)


# ---- faults ----------------------------------------------------------------------------------------


class GivesUpAfterAFault(Wrapped):
    """Reads as the connector does, then fails the read if the sandbox injected a fault meanwhile:
    a client that does not retry, seen from outside."""

    def __init__(self, inner: Client, control: FaultControl) -> None:
        super().__init__(inner)
        self.control = control

    def _faults(self) -> int:
        return sum(self.control.status()["injected"].values())

    def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
        before = self._faults()
        records = list(self.inner.read(entity, keys, wanted))
        return self.after_fault(records) if self._faults() > before else records

    def after_fault(self, records: list[Record]) -> list[Record]:
        raise RetriableConnectorError("gave up after one attempt")


class ReadsNothingAfterAFault(GivesUpAfterAFault):
    def after_fault(self, records: list[Record]) -> list[Record]:
        return []


@pytest.mark.parametrize(
    ("broken", "message"), [(GivesUpAfterAFault, "was not retried"), (ReadsNothingAfterAFault, "the read of")]
)
def test_the_retry_check_fails_on_a_client_that_does_not_retry(suite: Suite, broken: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        suite.retried("500", lambda: broken(suite.open(), suite.control))


def test_the_retry_check_fails_when_the_fault_never_reaches_the_sandbox(suite: Suite) -> None:
    """A read answered without asking the system (a cache) meets no fault and proves nothing."""
    cached: dict[str, Any] = {}

    class Cached(Wrapped):
        def read(self, entity: Entity, keys: Sequence[Key] | None = None, wanted: ReadFilter | None = None) -> Any:
            if "records" not in cached:
                cached["records"] = list(self.inner.read(entity, keys, wanted))
            return cached["records"]

    with pytest.raises(AssertionError, match="met 0 injected"):
        suite.retried("429", lambda: Cached(suite.open()))


# ---- webhooks --------------------------------------------------------------------------------------


@pytest.fixture(params=WITH_WEBHOOKS, ids=[c.name for c in WITH_WEBHOOKS])
def hooked(request: pytest.FixtureRequest) -> Iterator[Suite]:
    with serve(request.param) as running:
        yield running


def _broken(support: WebhookSupport, how: str) -> WebhookSupport:
    verify, read = support.verify, support.read
    if how == "any signature":
        return replace(support, verify=lambda secret, body, headers: True)
    if how == "no headers":
        return replace(support, verify=lambda secret, body, headers: not headers or verify(secret, body, headers))
    if how == "no secret":
        return replace(support, verify=lambda secret, body, headers: not secret or verify(secret, body, headers))
    if how == "no keys":
        return replace(support, read=lambda headers, payload, settings: replace(read(headers, payload, settings),
                                                                                keys=[]))  # fmt: skip
    assert how == "no entity"
    return replace(support, read=lambda headers, payload, settings: Event("unknown", "", None, []))


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("any signature", "with (a changed body|another secret) verifies"),
        ("no headers", "with no headers verifies"),
        ("no secret", "with no secret verifies"),
        ("no keys", "names \\[\\]"),
        ("no entity", "is read as about None"),
    ],
)
def test_the_webhook_check_fails_on_broken_webhook_support(hooked: Suite, how: str, message: str) -> None:
    delivery = hooked.delivery(hooked.open())
    hooked.webhook(delivery)
    assert hooked.connector.webhooks is not None
    with pytest.raises(AssertionError, match=message):
        hooked.webhook(delivery, _broken(hooked.connector.webhooks, how))
