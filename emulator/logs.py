"""Bounded device logs (event log, security log): (virtual time, event code, detail) entries."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple


class LogEntry(NamedTuple):
    """One log entry: POSIX virtual time, GBCS event/alert code (0 when none) and a short text."""

    time: float
    code: int
    detail: str


class DeviceLog:
    """A ring buffer of entries that allocates nothing until the first entry."""

    __slots__ = ("_entries", "capacity")

    def __init__(self, capacity: int = 100) -> None:
        self._entries: deque[LogEntry] | None = None
        self.capacity = capacity

    def add(self, time: float, code: int, detail: str = "") -> None:
        if self._entries is None:
            self._entries = deque(maxlen=self.capacity)
        self._entries.append(LogEntry(time, code, detail))

    def entries(self) -> list[LogEntry]:
        return list(self._entries or ())

    def clear(self) -> None:
        self._entries = None

    def codes(self) -> list[int]:
        return [entry.code for entry in self._entries or ()]

    def __len__(self) -> int:
        return len(self._entries or ())
