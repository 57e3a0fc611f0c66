"""A device's history before the clock's start, from its own consumption model (not from sample data).

A profile's ``[history]`` table gives the device an age and a consumption model::

    [history]
    commissioned_days_ago = 0      # 0: no history (the device is commissioned at the clock's start)
    import_kw = 0.4                # average import power
    export_kw = 0.0                # average export power (0: none)
    shape = [0.5, 0.4, ...]        # optional daily shape: 24 hourly (or 48 half-hourly) weights
    billing_logs = ["0-0:98.1.0.255"]  # profiles captured by the billing calendar, not periodically
    billing_day = 1                # the billing calendar: this day of each month, 00:00 UTC

Energy per half hour is an integer number of Wh computed arithmetically from the slot of the
day and a small deterministic day-to-day variation, so registers, half-hour profiles and daily
logs agree exactly: a register reads the sum of the intervals since commissioning.  Nothing is
stored per device; profile rows are generated when a buffer is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .profiles import ProfileError, profile_table

AGE_KEY = "commissioned_days_ago"  # a ZigBee device's age in its gbz_state
HALF_HOUR = 1800
DAY = 86_400
SLOTS = DAY // HALF_HOUR
# a plausible domestic day: low at night, morning and evening peaks (hourly weights, mean 1)
DEFAULT_SHAPE = (0.45, 0.4, 0.35, 0.35, 0.35, 0.4, 0.7, 1.2, 1.3, 1.0, 0.9, 0.9,
                 1.0, 0.95, 0.9, 0.95, 1.2, 1.7, 2.0, 1.8, 1.5, 1.3, 1.0, 0.7)


@dataclass(frozen=True)
class ConsumptionModel:
    """Average import / export power and a daily shape; energy per half hour in whole Wh."""

    import_kw: float = 0.4
    export_kw: float = 0.0
    shape: tuple[float, ...] = DEFAULT_SHAPE

    def _slot_weight(self, slot: int) -> float:
        shape = self.shape
        weight = shape[slot * len(shape) // SLOTS]
        return weight * len(shape) / sum(shape)  # normalised to mean 1

    @staticmethod
    def _day_factor(day: int) -> float:
        """A deterministic day-to-day variation of +-10 %."""
        return 0.9 + ((day * 2654435761) % 21) / 100

    def import_wh(self, index: int) -> int:
        """Wh imported in half hour ``index`` (POSIX seconds // 1800)."""
        return int(self.import_kw * 500 * self._slot_weight(index % SLOTS) * self._day_factor(index // SLOTS))

    def export_wh(self, index: int) -> int:
        """Wh exported in half hour ``index``: a daytime bell (none at night)."""
        if not self.export_kw:
            return 0
        slot = index % SLOTS
        if not 12 <= slot < 36:  # 06:00 - 18:00 UTC
            return 0
        bell = 1 - abs(slot - 24) / 12
        return int(self.export_kw * 1000 * bell * self._day_factor(index // SLOTS))

    def total(self, first: int, last: int, export: bool = False) -> int:
        """Wh of the half hours ``first`` .. ``last - 1`` (whole days from a small shared cache)."""
        energy = self.export_wh if export else self.import_wh
        if last - first < 2 * SLOTS:
            return sum(energy(i) for i in range(first, last))
        day_start, day_end = -(-first // SLOTS), last // SLOTS
        edges = sum(energy(i) for i in range(first, day_start * SLOTS))
        edges += sum(energy(i) for i in range(day_end * SLOTS, last))
        return edges + sum(_day_total(self, day, export) for day in range(day_start, day_end))


@lru_cache(maxsize=8192)
def _day_total(model: ConsumptionModel, day: int, export: bool) -> int:
    """Wh of one whole UTC day (shared by every device of a model)."""
    energy = model.export_wh if export else model.import_wh
    return sum(energy(i) for i in range(day * SLOTS, (day + 1) * SLOTS))


@dataclass(frozen=True)
class History:
    """A device commissioned ``days`` days before ``start`` (POSIX seconds), consuming by ``model``."""

    start: float
    days: int
    model: ConsumptionModel

    @property
    def commissioned(self) -> float:
        """The commissioning time: ``days`` days before the clock's start, on a half-hour boundary."""
        return (int(self.start) // HALF_HOUR) * HALF_HOUR - self.days * DAY

    def register(self, when: float, export: bool = False) -> int:
        """Wh counted from commissioning to ``when`` (whole half hours completed by then)."""
        first = int(self.commissioned) // HALF_HOUR
        last = int(when) // HALF_HOUR
        return self.model.total(first, last, export) if last > first else 0

    def capture_times(self, period: int, now: float, limit: int = 0) -> list[int]:
        """Capture times (POSIX seconds) of a profile of ``period`` seconds from commissioning to ``now``.

        The first capture is the first period boundary after commissioning; ``limit`` keeps the newest.
        """
        if period <= 0:
            return []
        first = int(self.commissioned) // period * period + period
        last = int(now) // period * period
        if last < first:
            return []
        count = (last - first) // period + 1
        if limit and count > limit:
            first += (count - limit) * period
        return list(range(first, last + 1, period))

    def billing_times(self, day: int, now: float, limit: int = 0) -> list[int]:
        """Billing calendar dates (``day`` of each month, 00:00 UTC) from commissioning to ``now``."""
        first = dt.datetime.fromtimestamp(self.commissioned, dt.UTC)
        year, month = first.year, first.month
        out: list[int] = []
        while True:
            when = dt.datetime(year, month, min(day, 28), tzinfo=dt.UTC).timestamp()
            if when > now:
                break
            if when > self.commissioned:
                out.append(int(when))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out[-limit:] if limit else out

    def registers_at(self, times: list[int], export: bool = False) -> list[int]:
        """The register value at each of ``times`` (ascending), by one running sum."""
        out: list[int] = []
        energy = self.model.export_wh if export else self.model.import_wh
        index = int(self.commissioned) // HALF_HOUR
        total = 0
        for when in times:
            stop = when // HALF_HOUR
            if not out and stop - index > 0:
                total = self.model.total(index, stop, export)
                index = stop
            while index < stop:
                total += energy(index)
                index += 1
            out.append(total)
        return out


def history_table(path: Path | None) -> dict[str, Any]:
    """The ``[history]`` table of a profile file (empty without a file)."""
    return profile_table(path, "history")


@cache
def consumption_model(path: Path | None) -> ConsumptionModel:
    """The consumption model of a profile file (defaults where the table says nothing)."""
    table = history_table(path)
    try:
        shape = tuple(float(v) for v in table.get("shape", DEFAULT_SHAPE))
        if not shape or len(shape) > SLOTS or SLOTS % len(shape) or min(shape) < 0 or sum(shape) <= 0:
            raise ValueError("shape: expected 1 to 48 non-negative weights dividing the day evenly")
        return ConsumptionModel(float(table.get("import_kw", 0.4)), float(table.get("export_kw", 0.0)), shape)
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: [history] {exc}") from None


def billing_calendar(path: Path | None) -> tuple[frozenset[bytes], int]:
    """The profiles captured by the billing calendar (OBIS bytes) and its day of the month."""
    table = history_table(path)
    logs, day = table.get("billing_logs", []), table.get("billing_day", 1)
    try:
        obis = frozenset(_obis(text) for text in logs)
    except (TypeError, ValueError):
        raise ProfileError(f"{path}: [history] billing_logs: expected OBIS codes such as \"0-0:98.1.0.255\"") from None
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
        raise ProfileError(f"{path}: [history] billing_day: expected a day of the month from 1 to 28")
    return obis, day


def _obis(text: str) -> bytes:
    """``"0-0:98.1.0.255"`` -> 6 bytes."""
    a_b, _, rest = text.partition(":")
    parts = [*a_b.split("-"), *rest.split(".")]
    if len(parts) != 6:
        raise ValueError(text)
    return bytes(int(part) for part in parts)


def profile_age(path: Path | None) -> int:
    """``[history] commissioned_days_ago`` of a profile file (0 when absent)."""
    value = history_table(path).get("commissioned_days_ago", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProfileError(f"{path}: [history] commissioned_days_ago: expected a whole number of days >= 0")
    return value


def set_age(device: Any, days: int) -> None:
    """Make ``device`` commissioned ``days`` days before the clock's start (meters; other kinds ignore it).

    An ESME's registers and profiles, a GSME's / GPF's snapshots and sampled data then hold that history.
    """
    if hasattr(device, "history_days"):
        device.history_days = days
    elif isinstance(getattr(device, "gbz_state", None), dict) and device.profile.kind in ("GSME", "GPF"):
        device.gbz_state[AGE_KEY] = days
