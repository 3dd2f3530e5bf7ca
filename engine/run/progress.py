"""How far a long plan or apply has got, told to an observer the face passes down.

The run layer only counts: records read from a source or a target, records planned, records
written out of those to write. Whoever listens decides what to show and when (the command line
draws one line on a terminal and shows nothing elsewhere); by default nobody listens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
EVERY = 100  # records between two reports while reading: often enough to watch, cheap enough not to notice


@dataclass(frozen=True)
class Step:
    """One report: `flow` (INTEGRATION/FLOW) is `doing` something ("reading erp", "planned",
    "writing shop") and has done `done` records of it, out of `total` when that is known."""

    flow: str
    doing: str
    done: int
    total: int | None = None


Observer = Callable[[Step], None]


def silent(step: Step) -> None:
    """The observer when nobody listens."""


def counted(items: Iterable[T], observer: Observer, flow: str, doing: str) -> Iterator[T]:
    """`items`, reporting every `EVERY` of them and once more at the end."""
    done = 0
    for item in items:
        yield item
        done += 1
        if done % EVERY == 0:
            observer(Step(flow, doing, done))
    observer(Step(flow, doing, done))
