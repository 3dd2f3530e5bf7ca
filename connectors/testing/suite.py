"""A connector's contract inputs, and the contract run with them against its sandbox.

Each connector with a sandbox ships `ContractInputs` (beside its sandbox, in `sandbox/cases.py`):
sample records per entity that the system keeps as written, a record it refuses, more than a page
of records where its reads page, and how to have it send a webhook. `served` starts a fresh sandbox
for a test and gives a `Suite`, whose methods run the checks of `connectors.testing.contract` with
those inputs on any client: a client of the connector, or one broken on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from connectors.testing import contract
from connectors.testing.faults import FaultControl
from connectors.testing.server import Delivery, Receiver, serving
from engine.connector import Client, Connector, Sandbox, SandboxSeed, WebhookSupport
from engine.records import Entity, Record, record_key


@dataclass(frozen=True)
class Samples:
    """Records of one entity that the system keeps as written (in its own normal form: MplusKASSA's
    numeric article numbers, Shopify's sorted tags), written and read back in the order given."""

    entity: Entity
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Paging:
    """More records of an entity than one page of its full read holds, the page being `page_size`."""

    entity: Entity
    records: tuple[Record, ...]
    page_size: int


@dataclass(frozen=True)
class Refusal:
    """A record the system itself refuses (not one the connector turns away before sending)."""

    entity: Entity
    record: Record


@dataclass(frozen=True)
class WebhookCase:
    """How to have the system deliver a webhook: `subscribe(client, url)` asks for deliveries about
    `entity` at `url`; writing `record` then makes the system send one."""

    subscribe: Callable[[Client, str], None]
    entity: Entity
    record: Record
    signed_body: bool = True  # False: the system authenticates deliveries without signing their bodies


def _as_started(sandbox: Any) -> None:
    return None


@dataclass(frozen=True)
class ContractInputs:
    """What a connector's contract runs with. `samples` are written in order, so an entity's records
    may refer to those of an entity before it (a stock level to a product's variant); `prepare`
    readies a freshly started sandbox (a smaller page size, records the connector cannot write)."""

    samples: tuple[Samples, ...]
    refusal: Refusal
    paging: tuple[Paging, ...] = ()
    webhook: WebhookCase | None = None
    prepare: Callable[[Any], None] = _as_started
    settings: Mapping[str, Any] = field(default_factory=dict)  # beside the sandbox's own


class Suite:
    """One connector's sandbox, served for one test, and the contract's checks with its inputs."""

    def __init__(self, connector: Connector, inputs: ContractInputs, sandbox: Sandbox, url: str) -> None:
        self.connector, self.inputs, self.sandbox, self.url = connector, inputs, sandbox, url
        self.control = FaultControl(url)
        self._opened: list[Client] = []

    def open(self, credentials: Mapping[str, str] | None = None) -> Client:
        """A client of the connector pointed at the sandbox; closed when the test ends."""
        settings = self.connector.settings.model_validate({**self.sandbox.settings(self.url), **self.inputs.settings})
        client = self.connector.open(settings, dict(self.sandbox.credentials if credentials is None else credentials))
        self._opened.append(client)
        return client

    def close(self) -> None:
        """Close every client this suite opened."""
        for client in self._opened:
            client.close()

    def samples(self, entity: Entity) -> tuple[Record, ...]:
        """The sample records of `entity`; none when the inputs have none."""
        return next((s.records for s in self.inputs.samples if s.entity is entity), ())

    def write_samples(self, client: Client) -> None:
        """Write every sample, as other checks' starting point; the round trip checks them."""
        for samples in self.inputs.samples:
            outcomes = client.write(samples.entity, samples.records)
            refused = [o.error for o in outcomes if o.error]
            contract.expect(not refused, f"sample {samples.entity.value} records were refused: {refused}")

    # ---- the checks, with this connector's inputs -------------------------------------------

    def round_trips(self, client: Client) -> None:
        """Each entity's samples written and read back, in the inputs' order."""
        for samples in self.inputs.samples:
            contract.check_round_trip(client, samples.entity, samples.records)

    def keys(self, client: Client) -> None:
        """Keys of every entity the connector reads, once the samples are written."""
        self.write_samples(client)
        for entity, support in self.connector.entities.items():
            if support.read:
                contract.check_keys(client, entity)

    def pages(self, client: Client) -> None:
        """Full reads of more than a page of records, after the samples."""
        self.write_samples(client)
        contract.expect(self.inputs.paging, f"{self.connector.name} declares no paging input")
        for paging in self.inputs.paging:
            refused = [o.error for o in client.write(paging.entity, paging.records) if o.error]
            contract.expect(not refused, f"paging {paging.entity.value} records were refused: {refused}")
            contract.check_pages(client, paging.entity, paging.records, paging.page_size, self.control)

    def refusal(self, client: Client) -> None:
        """The refused record in a batch of that entity's samples."""
        self.write_samples(client)
        refusal = self.inputs.refusal
        contract.check_refusal(client, refusal.entity, self.samples(refusal.entity), refusal.record)

    def first_sample(self) -> tuple[Entity, Record]:
        """The first sample of an entity the connector reads back by key, for reads under test."""
        samples = next(s for s in self.inputs.samples if self.connector.supports(s.entity, read=True))
        return samples.entity, samples.records[0]

    def wrong_credentials(self) -> dict[str, str]:
        """Every credential the sandbox takes, changed so it refuses them."""
        return {name: f"wrong-{value}" for name, value in self.sandbox.credentials.items()}

    def credentials_refused(self, open_client: Callable[[], Client] | None = None) -> None:
        """With every credential wrong; `open_client` may wrap the client such credentials open."""
        entity, record = self.first_sample()
        wrong = self.wrong_credentials()
        contract.check_credentials_refused(
            open_client or (lambda: self.open(wrong)),
            lambda client: list(client.read(entity, [record_key(entity, record)])),
            self.control,
            list(wrong.values()),
        )

    def retried(self, fault: str, open_client: Callable[[], Client] | None = None) -> None:
        """One `fault` in a read of the first sample; `open_client` may wrap the clients it reads with."""
        self.write_samples(self.open())
        entity, record = self.first_sample()
        keys = [record_key(entity, record)]
        contract.check_retried(open_client or self.open, entity, keys, self.control, fault)

    def delivery(self, client: Client) -> Delivery:
        """A webhook the system sends about the webhook case's record, as a receiver gets it."""
        case = self.inputs.webhook
        if case is None:
            raise AssertionError(f"{self.connector.name} has webhooks but its contract inputs no webhook case")
        receiver = Receiver()
        with serving(receiver) as url:
            case.subscribe(client, url + "/webhooks")
            outcomes = client.write(case.entity, [case.record])
            contract.expect(not [o for o in outcomes if o.error], f"the webhook case's record was refused: {outcomes}")
            return receiver.wait()[0]

    def webhook(self, delivery: Delivery, support: WebhookSupport | None = None) -> None:
        """Check `delivery` with the connector's webhook support, or with `support` in its place."""
        case, support = self.inputs.webhook, support or self.connector.webhooks
        if case is None or support is None:
            raise AssertionError(f"{self.connector.name} has no webhooks (or no webhook case) to check")
        secret = self.sandbox.credentials[support.secret_credential]
        settings = self.connector.settings.model_validate({**self.sandbox.settings(self.url), **self.inputs.settings})
        key = record_key(case.entity, case.record)
        contract.check_webhook(support, secret, delivery, settings, case.entity, key, case.signed_body)


@contextmanager
def served(connector: Connector, inputs: ContractInputs) -> Iterator[Suite]:
    """A fresh sandbox of `connector` (without the sample catalogue), readied by its inputs and served
    over loopback for the block."""
    if connector.sandbox is None:
        raise AssertionError(f"{connector.name} declares no sandbox")
    sandbox = connector.sandbox.start(SandboxSeed())
    inputs.prepare(sandbox)
    with serving(sandbox) as url:
        suite = Suite(connector, inputs, sandbox, url)
        try:
            yield suite
        finally:
            suite.close()


def sandboxed(connectors: Mapping[str, Connector]) -> list[Connector]:
    """The connectors of a registry that declare a sandbox: those the contract runs on."""
    return [connector for connector in connectors.values() if connector.sandbox is not None]


def missing_inputs(connectors: Sequence[Connector], inputs: Mapping[str, ContractInputs]) -> list[str]:
    """Names of connectors with a sandbox but no contract inputs."""
    return [c.name for c in connectors if c.sandbox is not None and c.name not in inputs]
