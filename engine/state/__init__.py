"""What Tillsync remembers between runs. See `engine.state.store`."""

from engine.state.store import (
    Activity,
    DeadLetter,
    Failed,
    JournalEntry,
    Remembered,
    StateStore,
    StoredEvent,
    Written,
    default_url,
)

__all__ = [
    "Activity",
    "DeadLetter",
    "Failed",
    "JournalEntry",
    "Remembered",
    "StateStore",
    "StoredEvent",
    "Written",
    "default_url",
]
