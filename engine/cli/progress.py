"""Progress of long plans and applies on a terminal: one line on stderr, redrawn in place.

A step shows once it has taken a second (short runs show nothing), at most ten times a second:
what the flow is doing, the records done (of how many, when known), the rate and, when the total
is known, the time left. The line is cleared before anything else is printed. When stderr is not
a terminal (a pipe, a CI log, a file) nothing is shown at all: logs get no progress noise.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from engine.run.progress import Step

SHOW_AFTER_S = 1.0  # a step shorter than this never shows
REDRAW_S = 0.1
WIDTH = 100


class TerminalProgress:
    """An observer for the run layer (`engine.run.progress`) that draws on a terminal's stderr."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.on_terminal = self.stream.isatty()
        self.current: tuple[str, str] | None = None
        self.since = 0.0
        self.drawn_at = 0.0
        self.shown = False

    def __call__(self, step: Step) -> None:
        if not self.on_terminal:
            return
        now = self.clock()
        if (step.flow, step.doing) != self.current:
            self.current, self.since = (step.flow, step.doing), now
        if now - self.since < SHOW_AFTER_S or now - self.drawn_at < REDRAW_S:
            return
        self.drawn_at = now
        self.stream.write("\r" + line(step, now - self.since)[:WIDTH] + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Take the line away, so what is printed next starts on a clean line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def line(step: Step, elapsed: float) -> str:
    """`shop/products: writing shop… 1200 of 20000, 300/s, about 1 min left`."""
    rate = step.done / elapsed if elapsed > 0 else 0.0
    done = f"{step.done} of {step.total}" if step.total is not None else f"{step.done} records"
    text = f"{step.flow}: {step.doing}… {done}, {rate:.0f}/s"
    if step.total is not None and rate > 0 and step.done < step.total:
        text += f", about {duration((step.total - step.done) / rate)} left"
    return text


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
