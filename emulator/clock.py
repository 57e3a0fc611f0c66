"""A virtual clock shared by emulated devices: real time or as fast as possible, deterministic under a seed.

Time is POSIX seconds (float, UTC).  Callbacks are scheduled at a virtual time and run in
(time, scheduling order) order, so two runs with the same seed and the same inputs run the
same callbacks at the same virtual times.  In ``realtime`` mode virtual time follows the
monotonic clock (times ``speed``); otherwise it stands still until :meth:`advance`,
:meth:`advance_to` or :meth:`run_until_idle` moves it, jumping straight to the next event.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import time
from collections.abc import Callable
from typing import Any

UTC = dt.UTC


def to_timestamp(when: dt.datetime | float | int | str) -> float:
    """POSIX seconds from a datetime (naive means UTC), an ISO 8601 string or a number."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()
    return float(when)


class Timer:
    """A scheduled callback; :meth:`cancel` stops it from running."""

    __slots__ = ("when", "seq", "callback", "args", "cancelled")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class VirtualClock:
    """Virtual time with a deterministic event queue and a seeded random source (``rng``)."""

    def __init__(
        self,
        start: dt.datetime | float | str | None = None,
        *,
        realtime: bool = False,
        speed: float = 1.0,
        seed: int = 0,
    ) -> None:
        self._now = to_timestamp(start) if start is not None else time.time()
        self.realtime = realtime
        self.speed = speed
        self.rng = random.Random(seed)
        self._anchor = time.monotonic()
        self._queue: list[Timer] = []
        self._seq = itertools.count()
        self.errors: list[tuple[float, BaseException]] = []

    # ------------------------------------------------------------------ reading

    def now(self) -> float:
        """The current virtual time (POSIX seconds)."""
        if self.realtime:
            mono = time.monotonic()
            self._now += (mono - self._anchor) * self.speed
            self._anchor = mono
        return self._now

    def datetime(self) -> dt.datetime:
        """The current virtual time as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.now(), UTC)

    # ------------------------------------------------------------------ scheduling

    def schedule(self, when: float | dt.datetime, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` at virtual time ``when`` (at once on the next run if already past)."""
        timer = Timer(to_timestamp(when), next(self._seq), callback, args)
        heapq.heappush(self._queue, timer)
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` ``delay`` virtual seconds from now."""
        return self.schedule(self.now() + delay, callback, *args)

    def pending(self) -> int:
        """How many scheduled callbacks have not run (cancelled ones excluded)."""
        return sum(1 for timer in self._queue if not timer.cancelled)

    def next_time(self) -> float | None:
        """The virtual time of the next callback, or None when nothing is pending."""
        self._drop_cancelled()
        return self._queue[0].when if self._queue else None

    # ------------------------------------------------------------------ running

    def advance(self, seconds: float) -> int:
        """Move virtual time forward by ``seconds``, running every callback due; returns how many ran."""
        return self.advance_to(self.now() + seconds)

    def advance_to(self, when: float | dt.datetime) -> int:
        """Run callbacks due up to ``when`` in order, then set the time to ``when`` (never backwards)."""
        target = to_timestamp(when)
        ran = 0
        while True:
            self._drop_cancelled()
            if not self._queue or self._queue[0].when > target:
                break
            ran += self._run_next()
        self._now = max(self._now, target)
        return ran

    def run_until_idle(self, limit: int = 1_000_000) -> int:
        """Run callbacks until none is pending (sleeping in realtime mode); returns how many ran.

        ``limit`` bounds the number of callbacks, so a callback that keeps rescheduling
        itself cannot hang the caller.
        """
        ran = 0
        while ran < limit:
            when = self.next_time()
            if when is None:
                break
            if self.realtime:
                delay = (when - self.now()) / self.speed
                if delay > 0:
                    time.sleep(delay)
            ran += self._run_next()
        return ran

    def _drop_cancelled(self) -> None:
        queue = self._queue
        while queue and queue[0].cancelled:
            heapq.heappop(queue)

    def _run_next(self) -> int:
        timer = heapq.heappop(self._queue)
        if timer.cancelled:
            return 0
        if timer.when > self._now:
            self._now = timer.when
        if self.realtime:
            self._anchor = time.monotonic()
        try:
            timer.callback(*timer.args)
        except Exception as exc:  # one faulty callback (device) never stops the others
            self.errors.append((self._now, exc))
        return 1
