"""When a sleepy device (the battery GSME) is awake: woken every ``interval`` seconds for ``awake`` seconds."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WakeSchedule:
    """Wake-ups at ``phase + k * interval`` (virtual seconds), each lasting ``awake`` seconds."""

    interval: float = 30.0
    phase: float = 0.0
    awake: float = 1.0

    def __post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError("wake interval must be positive")
        if not 0 <= self.awake < self.interval:
            raise ValueError("awake time must be 0 <= awake < interval")

    def is_awake(self, now: float) -> bool:
        """True when ``now`` falls within a wake-up."""
        offset = (now - self.phase) % self.interval
        return offset < self.awake or self.interval - offset < 1e-9  # float slack at a wake-up

    def next_wake(self, now: float) -> float:
        """The first wake-up at or after ``now``."""
        k = math.ceil((now - self.phase) / self.interval - 1e-12)
        return self.phase + k * self.interval
