"""What Tillsync remembers between runs: one facade (`StateStore`) over one store per concern."""

from engine.state.activity import Activity
from engine.state.alerts import StoredAlert
from engine.state.applied import AppliedKeys, Remembered
from engine.state.database import default_url
from engine.state.dead_letters import DeadLetter
from engine.state.events import StoredEvent
from engine.state.journal import JournalEntry
from engine.state.store import Failed, StateStore, Written

__all__ = [
    "Activity",
    "AppliedKeys",
    "DeadLetter",
    "Failed",
    "JournalEntry",
    "Remembered",
    "StateStore",
    "StoredAlert",
    "StoredEvent",
    "Written",
    "default_url",
]
