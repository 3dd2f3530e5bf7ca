"""What Tillsync remembers between runs. See `engine.state.store`."""

from engine.state.store import (
    Activity,
    DeadLetter,
    Failed,
    InStep,
    JournalEntry,
    Key,
    Remembered,
    StateStore,
    StoredEvent,
    Written,
    decode_key,
    default_url,
    encode_key,
    fingerprint,
)

__all__ = [
    "Activity",
    "DeadLetter",
    "Failed",
    "InStep",
    "JournalEntry",
    "Key",
    "Remembered",
    "StateStore",
    "StoredEvent",
    "Written",
    "decode_key",
    "default_url",
    "encode_key",
    "fingerprint",
]
