"""The virtual clock: ordering, determinism, cancelling, idling, real-time mode."""

from __future__ import annotations

import datetime as dt

from emulator.clock import VirtualClock


def test_callbacks_run_in_time_then_scheduling_order() -> None:
    clock = VirtualClock("2020-01-01T00:00:00Z")
    seen: list[tuple[float, str]] = []
    start = clock.now()
    clock.schedule(start + 10, lambda: seen.append((clock.now(), "b")))
    clock.schedule(start + 5, lambda: seen.append((clock.now(), "a")))
    clock.schedule(start + 10, lambda: seen.append((clock.now(), "c")))
    assert clock.pending() == 3 and clock.next_time() == start + 5
    assert clock.run_until_idle() == 3
    assert seen == [(start + 5, "a"), (start + 10, "b"), (start + 10, "c")]
    assert clock.now() == start + 10 and clock.pending() == 0


def test_advance_runs_only_what_is_due_and_callbacks_may_schedule() -> None:
    clock = VirtualClock(0)
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now())
        if len(ticks) < 5:
            clock.call_later(60, tick)

    clock.call_later(60, tick)
    assert clock.advance(150) == 2 and clock.now() == 150
    assert clock.run_until_idle() == 3 and ticks == [60, 120, 180, 240, 300]


def test_cancel_and_errors_do_not_stop_the_others() -> None:
    clock = VirtualClock(0)
    ran: list[str] = []
    timer = clock.call_later(1, lambda: ran.append("cancelled"))
    clock.call_later(2, lambda: 1 / 0)
    clock.call_later(3, lambda: ran.append("ok"))
    timer.cancel()
    assert clock.run_until_idle() == 2
    assert ran == ["ok"] and len(clock.errors) == 1


def test_same_seed_same_random_choices() -> None:
    a, b = VirtualClock(0, seed=7), VirtualClock(0, seed=7)
    assert [a.rng.random() for _ in range(5)] == [b.rng.random() for _ in range(5)]
    assert VirtualClock(0, seed=8).rng.random() != VirtualClock(0, seed=7).rng.random()


def test_run_until_idle_is_bounded() -> None:
    clock = VirtualClock(0)

    def again() -> None:
        clock.call_later(1, again)

    clock.call_later(1, again)
    assert clock.run_until_idle(limit=50) == 50


def test_realtime_mode_follows_the_wall_clock() -> None:
    clock = VirtualClock(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), realtime=True, speed=1000.0)
    start = clock.now()
    fired: list[float] = []
    clock.call_later(20, lambda: fired.append(clock.now()))  # 20 virtual seconds = 20 ms at speed 1000
    assert clock.run_until_idle() == 1
    assert fired[0] >= start + 20
    assert clock.datetime().year == 2020
