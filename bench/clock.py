"""A clock for rate-limited runs: real time, plus every wait the run would have slept through.

The transport and the sandbox share it. A wait returns at once and moves the clock on by its
length, so the sandbox's bucket refills exactly as it would have; time the engine spends working
passes for real and refills the bucket too. `now() - start` is the wall time a real store would
have taken; `skipped` is the part of it that was simulated.
"""

from __future__ import annotations

import threading
import time


class VirtualClock:
    def __init__(self) -> None:
        self.skipped = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.skipped += seconds
