"""SECMP0062 alert-storm protection (proving.alert_storm)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proving.alert_storm import (
    DEFAULT_EXCLUSIONS,
    Alert,
    AlertStormPolicy,
    NoThrottle,
    StormConfig,
    StormConfigError,
    SuppressedLog,
    format_alert_code,
    parse_alert_code,
    policy_from_config,
)

TAMPER = 0x8F3D
MAGNETIC = 0x8F75
DEV_A = "00-DB-12-34-56-78-90-A0"
DEV_B = "00-DB-12-34-56-78-90-A1"


def policy(**cfg: object) -> AlertStormPolicy:
    return AlertStormPolicy(StormConfig(**cfg))  # type: ignore[arg-type]


def burst(p: AlertStormPolicy, times: list[float], device: str = DEV_A, code: int | str = TAMPER) -> list:
    return [p.offer(Alert(device, code, payload=i), now=t) for i, t in enumerate(times)]


# ------------------------------------------------------------------ threshold and metadata


def test_below_threshold_everything_delivered_without_metadata() -> None:
    p = policy(window=60, threshold=3)
    out = burst(p, [0, 1, 2])
    assert all(d.delivered for d in out)
    assert all(d.metadata() == {} and d.throttled_alert_count is None for d in out)


def test_alerts_above_threshold_in_window_are_suppressed() -> None:
    p = policy(window=60, threshold=3)
    out = burst(p, [float(t) for t in range(10)])
    assert [d.delivered for d in out] == [True] * 3 + [False] * 7
    assert p.stats()["suppressed"] == 7 and p.stats()["delivered"] == 3


def test_first_delivery_after_suppression_carries_count_then_fields_disappear() -> None:
    p = policy(window=60, threshold=2)
    burst(p, [0, 1, 2, 3, 4])  # 2 delivered, 3 suppressed
    first = p.offer(Alert(DEV_A, TAMPER), now=61)
    assert first.delivered
    assert first.throttled_alert_count == 3
    assert first.throttled_alert_sequence_id == 1
    assert list(first.metadata()) == ["ThrottledAlertSequenceId", "ThrottledAlertCount"]  # DUIS schema order
    second = p.offer(Alert(DEV_A, TAMPER), now=62)  # nothing suppressed in between
    assert second.delivered and second.metadata() == {} and second.throttled_alert_count is None


def test_count_is_only_what_was_suppressed_since_the_last_delivery() -> None:
    p = policy(window=10, threshold=1)
    burst(p, [0, 1, 2])  # D S S
    assert p.offer(Alert(DEV_A, TAMPER), now=10).throttled_alert_count == 2
    burst(p, [11, 12, 13, 14])  # S S S S (window holds the delivery at 10)
    assert p.offer(Alert(DEV_A, TAMPER), now=20).throttled_alert_count == 4


def test_rolling_window_releases_exactly_when_the_oldest_delivery_expires() -> None:
    p = policy(window=10, threshold=2)
    burst(p, [0, 5])
    assert not p.offer(Alert(DEV_A, TAMPER), now=9.999).delivered
    assert p.offer(Alert(DEV_A, TAMPER), now=10).delivered  # delivery at 0 left the window (t - W, t]
    assert not p.offer(Alert(DEV_A, TAMPER), now=14.9).delivered  # 5 and 10 still inside
    assert p.offer(Alert(DEV_A, TAMPER), now=15).delivered


def test_no_window_ever_holds_more_than_threshold_deliveries_in_a_sustained_storm() -> None:
    p = policy(window=10, threshold=3)
    out = burst(p, [i * 0.5 for i in range(400)])
    times = [d.at for d in out if d.delivered]
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 10) <= 3
    assert len(times) == 60  # 200 s of storm at 3 per 10 s
    assert sum(d.throttled_alert_count or 0 for d in out) + sum(o.count for o in p.outstanding()) == 340


# ------------------------------------------------------------------ exclusions


def test_0x8f75_is_excluded_by_default_and_never_throttled() -> None:
    assert MAGNETIC in DEFAULT_EXCLUSIONS
    p = policy(window=60, threshold=1)
    out = burst(p, [0.0] * 50, code=MAGNETIC)
    assert all(d.delivered and d.excluded and d.metadata() == {} for d in out)
    assert p.stats()["suppressed"] == 0 and p.stats()["excluded"] == 50


def test_excluded_alerts_are_never_counted_against_the_key() -> None:
    p = policy(window=60, threshold=2, key="device")  # one budget per device, shared by all codes
    burst(p, [0.0] * 20, code=MAGNETIC)
    assert p.in_window(DEV_A) == 0
    assert [d.delivered for d in burst(p, [1, 2, 3])] == [True, True, False]


def test_exclusion_list_is_editable_at_run_time() -> None:
    p = policy(window=60, threshold=1)
    p.exclude("0x8F3D")
    assert all(d.delivered for d in burst(p, [0, 1, 2]))
    p.include(MAGNETIC)
    assert [d.delivered for d in burst(p, [3, 4], code=MAGNETIC)] == [True, False]
    p.include(TAMPER)
    assert [d.delivered for d in burst(p, [5, 6])] == [True, False]


def test_exclusion_list_from_config_replaces_the_seed() -> None:
    cfg = StormConfig.from_mapping({"threshold": 1, "exclusions": ["8F3D", "N24"]})
    assert cfg.exclusions == frozenset({TAMPER, "N24"})
    p = AlertStormPolicy(cfg)
    assert all(d.delivered for d in burst(p, [0, 0, 0], code="N24"))
    assert [d.delivered for d in burst(p, [0, 0], code=MAGNETIC)] == [True, False]


# ------------------------------------------------------------------ keys


def test_default_key_is_device_and_code() -> None:
    p = policy(window=60, threshold=1)
    assert p.offer(Alert(DEV_A, TAMPER), now=0).delivered
    assert p.offer(Alert(DEV_A, 0x8F3E), now=0).delivered  # other code
    assert p.offer(Alert(DEV_B, TAMPER), now=0).delivered  # other device
    assert not p.offer(Alert(DEV_A, TAMPER), now=0).delivered
    assert p.key_of(Alert(DEV_A, TAMPER)) == (DEV_A, TAMPER)


@pytest.mark.parametrize(
    ("key", "other", "shared"), [("device", Alert(DEV_A, 0x8F3E), True), ("code", Alert(DEV_B, TAMPER), True)]
)
def test_alternative_keys_share_the_budget(key: str, other: Alert, shared: bool) -> None:
    p = policy(window=60, threshold=1, key=key)
    assert p.offer(Alert(DEV_A, TAMPER), now=0).delivered
    assert p.offer(other, now=0).delivered is not shared


def test_custom_key_callable_is_pluggable() -> None:
    p = AlertStormPolicy(StormConfig(threshold=1), key=lambda a: a.device_id[:5])
    assert p.offer(Alert(DEV_A, TAMPER), now=0).delivered
    assert not p.offer(Alert(DEV_B, 0x8F3E), now=0).delivered  # same 5-char prefix


def test_dcc_alert_codes_are_throttled_like_device_codes() -> None:
    p = policy(window=60, threshold=1)
    assert [d.delivered for d in burst(p, [0, 1], code="N24")] == [True, False]


# ------------------------------------------------------------------ release rules and episodes


def test_quiet_release_keeps_a_continuous_storm_suppressed_past_the_window() -> None:
    p = policy(window=10, threshold=2, release="quiet", quiet_period=30)
    out = burst(p, [float(t) for t in range(0, 100, 2)])  # one alert every 2 s for 100 s
    assert [d.delivered for d in out].count(True) == 2  # never quiet for 30 s
    assert not p.offer(Alert(DEV_A, TAMPER), now=98 + 29.9).delivered
    released = p.offer(Alert(DEV_A, TAMPER), now=127.9 + 30)
    assert released.delivered and released.throttled_alert_count == 49
    assert p.offer(Alert(DEV_A, TAMPER), now=158).metadata() == {}


def test_window_release_lets_deliveries_through_during_a_storm() -> None:
    p = policy(window=10, threshold=2, release="window")
    out = burst(p, [float(t) for t in range(0, 100, 2)])
    assert [d.at for d in out if d.delivered] == [t for t in range(0, 100, 2) if t % 10 in (0, 2)]  # 2 per 10 s
    assert [d.throttled_alert_count for d in out if d.throttled] == [3] * 9  # 4, 6, 8 suppressed before 10...


def test_episode_sequence_id_is_shared_within_a_storm_and_new_for_the_next() -> None:
    p = policy(window=10, threshold=1, quiet_period=20)
    burst(p, [0, 1])
    a = p.offer(Alert(DEV_A, TAMPER), now=10)
    burst(p, [11])
    b = p.offer(Alert(DEV_A, TAMPER), now=20)
    assert a.throttled_alert_sequence_id == b.throttled_alert_sequence_id == 1
    assert p.offer(Alert(DEV_B, TAMPER), now=20).delivered
    burst(p, [21], device=DEV_B)  # another key's storm gets its own episode
    assert p.offer(Alert(DEV_B, TAMPER), now=30).throttled_alert_sequence_id == 2
    burst(p, [60, 61])  # 40 s of quiet closed episode 1
    assert p.offer(Alert(DEV_A, TAMPER), now=70).throttled_alert_sequence_id == 3


def test_ordinal_sequence_id_numbers_reporting_deliveries_within_an_episode() -> None:
    p = policy(window=10, threshold=1, quiet_period=20, sequence_id="ordinal")
    burst(p, [0, 1])
    assert p.offer(Alert(DEV_A, TAMPER), now=10).throttled_alert_sequence_id == 1
    burst(p, [11])
    assert p.offer(Alert(DEV_A, TAMPER), now=20).throttled_alert_sequence_id == 2
    burst(p, [60, 61])
    assert p.offer(Alert(DEV_A, TAMPER), now=70).throttled_alert_sequence_id == 1


# ------------------------------------------------------------------ nothing lost, clock, housekeeping


def test_suppressed_alerts_are_kept_with_exact_counts() -> None:
    p = policy(window=60, threshold=1)
    burst(p, [0, 1, 2, 3])
    burst(p, [0, 1], device=DEV_B)
    log = p.suppressed
    assert isinstance(log, SuppressedLog)
    assert log.total == 4 and log.by_key[(DEV_A, TAMPER)] == 3 and log.by_key[(DEV_B, TAMPER)] == 1
    assert [s.alert.payload for s in log.for_key((DEV_A, TAMPER))] == [1, 2, 3]
    assert {o.key: o.count for o in p.outstanding()} == {(DEV_A, TAMPER): 3, (DEV_B, TAMPER): 1}


def test_bounded_suppressed_log_evicts_records_but_keeps_counts() -> None:
    log = SuppressedLog(max_records=2)
    p = AlertStormPolicy(StormConfig(threshold=1), sink=log)
    burst(p, [0.0] * 6)
    assert log.total == 5 and log.evicted == 3 and len(log.records) == 2
    assert log.by_episode == {1: 5}


def test_custom_sink_receives_every_suppression() -> None:
    seen: list = []

    class Sink:
        def record(self, suppression: object) -> None:
            seen.append(suppression)

    p = AlertStormPolicy(StormConfig(threshold=2), sink=Sink())
    burst(p, [0.0] * 5)
    assert len(seen) == 3 and all(s.episode == 1 for s in seen)


def test_injected_clock_is_used_when_no_time_is_given() -> None:
    now = [0.0]
    p = AlertStormPolicy(StormConfig(window=10, threshold=1), clock=lambda: now[0])
    assert p.offer(Alert(DEV_A, TAMPER)).delivered
    assert not p.offer(Alert(DEV_A, TAMPER)).delivered
    now[0] = 10.0
    d = p.offer(Alert(DEV_A, TAMPER))
    assert d.delivered and d.at == 10.0 and d.throttled_alert_count == 1


def test_time_going_backwards_is_treated_as_the_last_time_seen() -> None:
    p = policy(window=10, threshold=1)
    p.offer(Alert(DEV_A, TAMPER), now=100)
    d = p.offer(Alert(DEV_A, TAMPER), now=50)
    assert not d.delivered and d.at == 100


def test_prune_forgets_idle_keys_but_never_outstanding_ones() -> None:
    p = policy(window=10, threshold=1)
    burst(p, [0])
    burst(p, [0, 1], device=DEV_B)
    assert p.prune(now=100) == 1
    assert p.stats()["keys"] == 1 and p.outstanding()[0].key == (DEV_B, TAMPER)


def test_no_throttle_policy_delivers_everything() -> None:
    p = policy_from_config({"enabled": False}, clock=lambda: 5.0)
    assert isinstance(p, NoThrottle)
    d = p.offer(Alert(DEV_A, TAMPER))
    assert d.delivered and d.at == 5.0 and d.metadata() == {}


# ------------------------------------------------------------------ configuration


def test_config_from_toml_table() -> None:
    text = """
    [proving.alert_storm]
    window = 900
    threshold = 5
    key = "device"
    release = "quiet"
    quiet_period = 1800
    exclusions = ["0x8F75", 0x8F3E, "N24"]
    sequence_id = "ordinal"
    """
    cfg = StormConfig.from_toml(text, table="proving.alert_storm")
    assert (cfg.window, cfg.threshold, cfg.key, cfg.release, cfg.quiet, cfg.sequence_id) == (
        900,
        5,
        "device",
        "quiet",
        1800,
        "ordinal",
    )
    assert cfg.exclusions == frozenset({MAGNETIC, 0x8F3E, "N24"})


def test_config_defaults() -> None:
    cfg = StormConfig.from_mapping({})
    assert cfg.key == "device_code" and cfg.release == "window" and cfg.exclusions == DEFAULT_EXCLUSIONS
    assert cfg.quiet == cfg.window


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"threshold": 0}, "alert_storm.threshold: must be an integer >= 1"),
        ({"threshold": 2.5}, "alert_storm.threshold"),
        ({"threshold": True}, "alert_storm.threshold"),
        ({"window": -1}, "alert_storm.window: must be > 0"),
        ({"window": "1h"}, "alert_storm.window: must be a number"),
        ({"key": "srv"}, "alert_storm.key: must be one of device_code, device, code"),
        ({"release": "never"}, "alert_storm.release"),
        ({"sequence_id": "uuid"}, "alert_storm.sequence_id"),
        ({"window": 60, "quiet_period": 30}, "alert_storm.quiet_period: must be >= window"),
        ({"exclusions": ["ZZ"]}, "alert_storm.exclusions: 'ZZ' is neither"),
        ({"exclusions": "8F75"}, "alert_storm.exclusions: expected a list"),
        ({"exclusions": [0x1FFFF]}, "outside 0x0000..0xFFFF"),
        ({"treshold": 3}, "unknown setting(s) treshold"),
    ],
)
def test_config_errors_name_the_setting(table: dict, message: str) -> None:
    with pytest.raises(StormConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        StormConfig.from_mapping(table)


def test_toml_errors_are_clear() -> None:
    with pytest.raises(StormConfigError, match="invalid TOML"):
        StormConfig.from_toml("threshold = ")
    with pytest.raises(StormConfigError, match=r"no \[alert_storm\] table"):
        StormConfig.from_toml("[other]\nthreshold = 1")
    with pytest.raises(StormConfigError, match="enabled: must be true or false"):
        policy_from_config({"enabled": "yes"})


def test_config_file_path(tmp_path) -> None:
    path = tmp_path / "storm.toml"
    path.write_text("[alert_storm]\nthreshold = 7\n")
    assert StormConfig.from_toml(path).threshold == 7


def test_alert_code_parsing_and_formatting() -> None:
    assert parse_alert_code("0x8f75") == parse_alert_code("8F75") == parse_alert_code(0x8F75) == MAGNETIC
    assert parse_alert_code(" n24 ") == "N24"
    assert parse_alert_code("AD1") == "AD1"  # the DCC code, not hex 0xAD1
    assert format_alert_code(MAGNETIC) == "8F75" and format_alert_code("N24") == "N24"
    with pytest.raises(StormConfigError):
        parse_alert_code(None)


# ------------------------------------------------------------------ properties

_codes = st.sampled_from([TAMPER, 0x8F3E, MAGNETIC, "N24"])
_events = st.lists(
    st.tuples(st.floats(min_value=0, max_value=20, allow_nan=False), st.sampled_from([DEV_A, DEV_B]), _codes),
    max_size=150,
)


@settings(max_examples=150, deadline=None)
@given(
    events=_events,
    threshold=st.integers(1, 5),
    window=st.floats(min_value=0.5, max_value=30),
    release=st.sampled_from(["window", "quiet"]),
    key=st.sampled_from(["device_code", "device", "code"]),
    quiet_factor=st.floats(min_value=1, max_value=3),
)
def test_property_nothing_lost_and_threshold_respected(
    events: list, threshold: int, window: float, release: str, key: str, quiet_factor: float
) -> None:
    cfg = StormConfig(window=window, threshold=threshold, release=release, key=key, quiet_period=window * quiet_factor)
    p = AlertStormPolicy(cfg)
    now = 0.0
    decisions = []
    for gap, device, code in events:
        now += gap
        decisions.append(p.offer(Alert(device, code), now=now))

    delivered = [d for d in decisions if d.delivered]
    suppressed = [d for d in decisions if not d.delivered]
    assert len(delivered) + len(suppressed) == len(events)
    assert p.suppressed.total == len(suppressed)  # type: ignore[union-attr]

    per_key: dict = defaultdict(list)
    for d in delivered:
        if d.excluded:
            assert d.metadata() == {}
        else:
            per_key[d.key].append(d.at)
    assert all(not d.excluded for d in suppressed)
    for times in per_key.values():
        for i, t in enumerate(times):
            assert sum(1 for u in times[i:] if u < t + window) <= threshold

    # every suppression is reported exactly once in metadata, or is still outstanding
    # and one report never mixes two episodes: its sequence id is the episode of what it counts
    reported: dict = defaultdict(int)
    pending_since_delivery: dict = defaultdict(int)
    pending_episodes: dict = defaultdict(set)
    for d in decisions:
        if d.excluded:
            continue
        if not d.delivered:
            pending_since_delivery[d.key] += 1
            pending_episodes[d.key].add(d.episode)
            continue
        expected = pending_since_delivery.pop(d.key, 0)
        assert (d.throttled_alert_count or 0) == expected
        assert (d.throttled_alert_sequence_id is None) == (expected == 0)
        if expected:
            assert pending_episodes.pop(d.key) == {d.throttled_alert_sequence_id}
        reported[d.key] += expected
    outstanding = {o.key: o.count for o in p.outstanding()}
    assert outstanding == {k: v for k, v in pending_since_delivery.items() if v}
    assert sum(reported.values()) + sum(outstanding.values()) == len(suppressed)
    assert all(p.in_window(k) <= threshold for k in per_key)
