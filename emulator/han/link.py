"""The per-link delivery model of the simulated HAN: latency, jitter, loss, duplication, reordering.

Each link direction draws from its own seeded random source, so its fate sequence depends
only on the seed, the premises, the device and the direction, never on other traffic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LinkModel:
    """How one HAN link treats a message (seconds and probabilities 0..1)."""

    latency: float = 0.02
    jitter: float = 0.0  # uniform extra delay 0..jitter
    loss: float = 0.0
    duplicate: float = 0.0  # a second copy arrives ``duplicate_gap`` later
    duplicate_gap: float = 0.01
    reorder: float = 0.0  # the message is held back ``reorder_delay`` so later ones overtake it
    reorder_delay: float = 0.5

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, got {value!r}")
        for name in ("latency", "jitter", "duplicate_gap", "reorder_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


PERFECT = LinkModel(latency=0.0)


class Link:
    """One direction of a HAN link: a model and its own random source."""

    __slots__ = ("model", "rng")

    def __init__(self, model: LinkModel, seed: str) -> None:
        self.model = model
        self.rng = random.Random(seed)

    def delays(self) -> list[float]:
        """The delays after which copies of one message arrive: [] lost, two entries duplicated.

        The same number of draws is made for every message, so one message's fate never
        shifts the draws of the next.
        """
        m = self.model
        lost, dup, held, jitter = (self.rng.random() for _ in range(4))
        if lost < m.loss:
            return []
        delay = m.latency + jitter * m.jitter
        if held < m.reorder:
            delay += m.reorder_delay
        if dup < m.duplicate:
            return [delay, delay + m.duplicate_gap]
        return [delay]
