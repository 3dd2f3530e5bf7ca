"""Record keys and fingerprints: how records are addressed and told apart between runs.

A key is the tuple of a record's match-key values as text (`("1001",)`, `("1001", "store-1")`).
The state store keeps keys as JSON text; a fingerprint is a digest of a JSON document or of text
read from a system, so equal inputs give equal fingerprints.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

Key = tuple[str, ...]


def encode_key(key: Key) -> str:
    """A key as the state store keeps it: a JSON list of its parts."""
    return json.dumps(list(key), ensure_ascii=False)


def decode_key(text: str) -> Key:
    if text.startswith('["') and text.endswith('"]') and "\\" not in text:  # a plan decodes 100,000s
        return tuple(text[2:-2].split('", "'))  # nothing escaped: no part holds a quote
    return tuple(json.loads(text))


def fingerprint(document: Any) -> str:
    """A stable digest of a JSON document: equal documents, equal fingerprints."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def digest(text: str) -> str:
    """The fingerprint of text read from a system, kept from version to version: webhook events are
    told apart by it."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def read_digest(text: str) -> str:
    """The fingerprint of a record's text as read, to tell whether it changed since a plan last read
    it. Only ever compared with one taken by the same version of Tillsync (`engine.run.read.spec_version`),
    so it may change between versions. SHA-1: not a guard against forgery, but a plan takes one of every
    record read, and for records of a few hundred bytes it costs half of what `digest` does."""
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
