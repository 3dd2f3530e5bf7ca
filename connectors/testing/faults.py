"""Faults a sandbox can be told to inject, at a rate: 429s, server errors, slow answers past a
client's timeout, connections cut mid-answer. Seeded, so a test sees the same sequence each run."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FAULTS = ("429", "500", "timeout", "drop")


@dataclass
class Faults:
    """Rates (0..1) at which requests misbehave."""

    rates: dict[str, float] = field(default_factory=dict)
    slow_seconds: float = 3.0
    seed: int = 0
    random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.random.seed(self.seed)

    def pick(self) -> str | None:
        for kind in FAULTS:
            rate = self.rates.get(kind, 0.0)
            if rate and self.random.random() < rate:
                return kind
        return None
