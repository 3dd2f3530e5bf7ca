"""The behavioural contract every connector is held to, as plain checks.

Each check takes an open client (or a connector's webhook support) and what to check it with, and
raises AssertionError saying what broke and for which entity and key; it returns nothing when the
connector behaves. They are usable from any test; `connectors.testing.suite` runs them with a
connector's own inputs against its sandbox, and the tests prove that each check fails on a
deliberately broken connector (a check that cannot fail, like a primary-key check that compares
generator objects, proves nothing).

Reads are always turned into lists before they are looked at: a client may hand out a generator.
Checks raise AssertionError themselves rather than through `assert`, which `python -O` drops.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from typing import Any

from pydantic import BaseModel

from connectors.testing.faults import FaultControl
from connectors.testing.server import Delivery
from engine.connector import Client, WebhookSupport, read_raw
from engine.errors import FatalConnectorError, RetriableConnectorError, TillsyncError
from engine.keys import Key
from engine.records import Entity, Record, record_key

# Seconds an injected 429 asks the client to wait: the retry check is about the read being retried,
# and a system's own second (the sandboxes ask for one) would only make the check slow.
RETRY_AFTER = 0.01


def expect(condition: object, message: str) -> None:
    """Raise AssertionError with `message` unless `condition` holds (an `assert` that `-O` keeps)."""
    if not condition:
        raise AssertionError(message)


def differences(written: Any, read: Any, path: str = "") -> list[str]:
    """Where `read` does not say what `written` says: every value written (empty ones aside, which a
    system need not echo) must be read back equal; what the system adds (ids, timestamps) is fine.
    Numbers compare as numbers (19.9 equals 19.90); lists compare item by item, in order."""
    if _empty(written):
        return []
    if isinstance(written, dict):
        if not isinstance(read, dict):
            return [f"{path or 'record'}: wrote {written!r}, read {read!r}"]
        found: list[str] = []
        for name, value in written.items():
            found += differences(value, read.get(name), f"{path}.{name}" if path else name)
        return found
    if isinstance(written, list | tuple):
        if not isinstance(read, list | tuple) or len(read) != len(written):
            return [f"{path}: wrote {list(written)!r}, read {read!r}"]
        return [d for index, item in enumerate(written) for d in differences(item, read[index], f"{path}[{index}]")]
    return [] if written == read else [f"{path}: wrote {written!r}, read {read!r}"]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list | tuple | str) and not value)


def _label(entity: Entity, key: Key) -> str:
    return f"{entity.value} {'/'.join(key)}"


def check_round_trip(client: Client, entity: Entity, records: Sequence[Record]) -> None:
    """Written records are accepted, one outcome per record in order, and read back by key saying
    everything that was written."""
    keys = [record_key(entity, record) for record in records]
    outcomes = client.write(entity, records)
    expect(len(outcomes) == len(records), f"{entity.value}: {len(records)} records written, {len(outcomes)} outcomes")
    refused = [f"{_label(entity, o.key)}: {o.error}" for o in outcomes if o.error]
    expect(not refused, f"the system refused sample records: {refused}")
    order = [tuple(o.key) for o in outcomes]
    expect(order == keys, f"{entity.value}: outcomes {order} are not those of the records written ({keys})")
    found = {record_key(entity, record): record for record in list(client.read(entity, keys))}
    for key, record in zip(keys, records, strict=True):
        expect(key in found, f"{_label(entity, key)} was written but is not read back")
        problems = differences(record.model_dump(), found[key].model_dump())
        expect(not problems, f"{_label(entity, key)} does not read back as written: {'; '.join(problems)}")


def check_keys(client: Client, entity: Entity) -> list[Record]:
    """A full read gives records whose keys are all non-empty and unique, and each raw record's key
    is that of the record it builds. Returns the records read."""
    raws = list(read_raw(client, entity))
    expect(raws, f"a full read of {entity.value} found nothing; the check needs records to look at")
    records = []
    seen: dict[Key, int] = {}
    for index, raw in enumerate(raws):
        record = raw.build()
        key = record_key(entity, record)
        expect(all(part.strip() for part in key), f"{entity.value} record {index} has an empty key part: {key}")
        expect(tuple(raw.key) == key, f"{entity.value} record {index} is read with key {raw.key}, built with {key}")
        expect(key not in seen, f"{_label(entity, key)} is read twice (records {seen.get(key)} and {index})")
        seen[key] = index
        records.append(record)
    return records


def check_pages(
    client: Client, entity: Entity, written: Sequence[Record], page_size: int, control: FaultControl | None = None
) -> None:
    """A full read follows the pages to the end: every one of more than a page of records written is
    read, and none twice. With the sandbox's `control`, the read must also have taken as many
    requests as pages of `page_size` need, so the records did cross a page boundary."""
    expect(len(written) > page_size, f"{len(written)} {entity.value} records cross no page boundary of "
                                     f"{page_size}; the check would prove nothing")  # fmt: skip
    before = control.status()["requests"] if control is not None else 0
    counts = Counter(record_key(entity, record) for record in list(client.read(entity)))
    if control is not None:
        requests, pages = control.status()["requests"] - before, -(-len(counts) // page_size)
        expect(requests >= pages, f"{len(counts)} {entity.value} records were read in {requests} requests, not "
                                  f"in pages of {page_size}; the inputs' page size is not the read's")  # fmt: skip
    twice = sorted(list(key) for key, count in counts.items() if count > 1)
    expect(not twice, f"a full read of {entity.value} gives {twice} more than once")
    missing = [key for key in (record_key(entity, r) for r in written) if key not in counts]
    expect(not missing, f"a full read of {entity.value} stops early: {len(missing)} of {len(written)} records "
                        f"written are not read, e.g. {list(missing[0]) if missing else ''}")  # fmt: skip


def check_refusal(client: Client, entity: Entity, good: Sequence[Record], refused: Record) -> None:
    """A record the system refuses is that record's error, not the batch's: the call returns one
    outcome per record, the refused one with the system's reason, the others written; and the refused
    record is not in the system afterwards."""
    batch = [*good[:1], refused, *good[1:]]
    try:
        outcomes = client.write(entity, batch)
    except TillsyncError as exc:
        raise AssertionError(f"a batch with one refused {entity.value} raised {type(exc).__name__}: {exc}; "
                             "a refused record must be an outcome with an error") from exc  # fmt: skip
    expect(len(outcomes) == len(batch), f"{len(batch)} {entity.value} records written, {len(outcomes)} outcomes")
    key = record_key(entity, refused)
    outcome = outcomes[1 if good else 0]
    expect(tuple(outcome.key) == key, f"the outcome of refused {_label(entity, key)} is that of {outcome.key}")
    expect(outcome.error, f"{_label(entity, key)} was refused by the system but its outcome has no error")
    others = [f"{_label(entity, o.key)}: {o.error}" for o in outcomes if o is not outcome and o.error]
    expect(not others, f"records beside a refused one failed with it: {others}")
    kept = list(client.read(entity, [key]))
    expect(not kept, f"{_label(entity, key)} was refused, yet the system holds it: {kept}")


def check_credentials_refused(
    open_client: Callable[[], Client], read: Callable[[Client], object], control: FaultControl, secrets: Sequence[str]
) -> None:
    """A client with credentials the system refuses fails with a fatal error, after one request (a
    refused login is never retried), and the error shows none of the credentials."""
    before = control.status()["requests"]
    client = open_client()
    try:
        read(client)
    except FatalConnectorError as exc:
        error: Exception = exc
    except RetriableConnectorError as exc:
        raise AssertionError(f"refused credentials are classified retriable: {exc}") from exc
    except Exception as exc:
        raise AssertionError(f"refused credentials raised {type(exc).__name__}, not a fatal error: {exc}") from exc
    else:
        raise AssertionError("a read with refused credentials succeeded")
    finally:
        client.close()
    sent = control.status()["requests"] - before
    expect(sent == 1, f"a refused login was sent {sent} times; retrying cannot fix credentials")
    expect(not [s for s in secrets if s and s in str(error)], "the error shows a credential it was given")


def check_retried(
    open_client: Callable[[], Client], entity: Entity, keys: Sequence[Key], control: FaultControl, fault: str
) -> None:
    """One `fault` (429, 500, drop) injected into a read is retried: the read returns what it returns
    without the fault. Each read is a fresh client's, so no cache can answer in the sandbox's place."""
    with closing(open_client()) as client:
        expected = _dumps(client.read(entity, keys))
    expect(expected, f"reading {entity.value} {list(keys)} finds nothing to compare")
    before = control.status()["injected"].get(fault, 0)
    control.set(script=[fault], retry_after=RETRY_AFTER)
    try:
        with closing(open_client()) as client:
            got = _dumps(client.read(entity, keys))
    except TillsyncError as exc:
        raise AssertionError(f"a {fault} was not retried: {type(exc).__name__}: {exc}") from exc
    finally:
        injected = control.set()["injected"].get(fault, 0) - before  # and no fault is left scripted
    expect(injected == 1, f"the read met {injected} injected {fault}s, not one; the check proved nothing")
    expect(got == expected, f"after a {fault} the read of {entity.value} gives {got}, not {expected}")


def _dumps(records: Iterable[Record]) -> list[str]:
    return sorted(record.model_dump_json() for record in list(records))


def check_webhook(
    support: WebhookSupport,
    secret: str,
    delivery: Delivery,
    settings: BaseModel,
    entity: Entity,
    key: Key,
    signed_body: bool = True,
) -> None:
    """The system's own signed delivery verifies; the same delivery with its body changed (where the
    system signs bodies; Rackbeat sends a static token instead), checked with another secret, with
    no secret or without its headers does not; and it names the entity and the key of the record it
    is about."""
    body, headers = delivery.body, delivery.headers
    expect(support.verify(secret, body, headers), "the system's own signed delivery does not verify")
    # JSON-equal but other bytes: the signature is over the raw body, not over what it parses to
    tampered = body.replace(b"}", b" }", 1) if b"}" in body else body + b" "
    for what, used, sent, with_headers in [
        *([("a changed body", secret, tampered, headers)] if signed_body else []),
        ("another secret", "not-" + secret, body, headers),
        ("no secret", "", body, headers),
        ("no headers", secret, body, {}),
    ]:
        expect(not support.verify(used, sent, with_headers), f"a delivery with {what} verifies")
    event = support.read(headers, json.loads(body), settings)
    expect(event.entity is entity, f"a delivery about {_label(entity, key)} is read as about {event.entity}")
    expect(list(key) in [list(k) for k in event.keys], f"a delivery about {_label(entity, key)} names {event.keys}")
