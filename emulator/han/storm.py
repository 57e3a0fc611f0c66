"""Alert storms on demand (SECMP0062 tests): a device raises alert X every N ms, M times, on the virtual clock."""

from __future__ import annotations

from collections.abc import Callable

from ..clock import Timer, VirtualClock


class AlertStorm:
    """A scheduled job: ``fire(alert_code)`` at ``start + k * every_ms`` for k = 1..count (virtual time).

    ``fire`` returns True when the alert left the device; ``times`` records every attempt.
    """

    __slots__ = ("alert_code", "every", "count", "start", "fired", "sent", "times", "_fire", "_clock", "_timer")

    def __init__(self, clock: VirtualClock, alert_code: int, every_ms: float, count: int,
                 fire: Callable[[int], bool]) -> None:
        if every_ms <= 0 or count < 1:
            raise ValueError("an alert storm needs every_ms > 0 and count >= 1")
        self.alert_code = alert_code
        self.every = every_ms / 1000.0
        self.count = count
        self.start = clock.now()
        self.fired = 0
        self.sent = 0
        self.times: list[float] = []
        self._fire = fire
        self._clock = clock
        self._timer: Timer | None = clock.schedule(self.start + self.every, self._tick)

    @property
    def done(self) -> bool:
        return self._timer is None

    def cancel(self) -> None:
        """Stop the storm; alerts already raised stay raised."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self.fired += 1
        self.times.append(self._clock.now())
        if self._fire(self.alert_code):
            self.sent += 1
        if self.fired < self.count:
            self._timer = self._clock.schedule(self.start + (self.fired + 1) * self.every, self._tick)
        else:
            self._timer = None
