"""What a parsed scenario is: its settings, its steps, and the devices it declares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..profiles import Profile


@dataclass(frozen=True, slots=True)
class DeviceDecl:
    """A device a scenario declares: on premises, or a premises' CHF or GPF (``hub``)."""

    name: str
    premises: str
    profile: Profile
    eui: bytes
    hub: bool = False

    @property
    def kind(self) -> str:
        return self.profile.kind


@dataclass(slots=True)
class Step:
    """One step: its action, the line it starts on, a one-line title and its checked arguments."""

    index: int
    line: int
    action: str
    title: str
    spec: dict[str, Any]


@dataclass(slots=True)
class Scenario:
    """A scenario file, read and checked."""

    path: str
    name: str
    seed: int
    start: float
    steps: list[Step] = field(default_factory=list)
    devices: dict[str, DeviceDecl] = field(default_factory=dict)
    base_dir: Path = Path(".")
