"""A meter's history from its own consumption model: registers, half-hour profiles, daily and billing logs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from emulator.clock import VirtualClock
from emulator.cosem_classes import node, structure
from emulator.cosem_time import from_gbcs_seconds, to_gbcs_seconds
from emulator.dlms_server import ENTRY_DESCRIPTOR, RANGE_DESCRIPTOR, DlmsServer
from emulator.esme import Esme
from emulator.history import ConsumptionModel, History, billing_calendar, consumption_model, profile_age, set_age
from emulator.kinds import create_device
from emulator.profiles import ProfileError, generic_profile
from emulator.replay import DEFAULT_HISTORY_DAYS, load_premises
from emulator.testkit import RemoteParties

EUI = bytes.fromhex("00DB1234567890E2")
START = "2023-03-15T10:10:00Z"
HALF_HOUR_PROFILE = bytes((0, 0, 99, 1, 0, 255))
DAILY_READ_LOG = bytes((0, 0, 98, 1, 4, 255))
BILLING_LOG = bytes((0, 0, 98, 1, 0, 255))
IMPORT_REGISTER = bytes((1, 0, 1, 8, 0, 255))
DAYS = 60


def _esme(parties: RemoteParties, days: int = DAYS) -> Esme:
    device = create_device("ESME", EUI, VirtualClock(START), parties.anchors)
    assert isinstance(device, Esme)
    device.history_days = days
    return device


def _rows(device: Esme, obis: bytes) -> list[list[int]]:
    buffer = DlmsServer(device).get(7, obis, 2)
    return [[cell["value"] for cell in row["value"]] for row in buffer["value"]]


def _register(device: Esme) -> int:
    return DlmsServer(device).get(3, IMPORT_REGISTER, 2)["value"]


def test_generic_profile_has_no_history(parties: RemoteParties) -> None:
    device = create_device("ESME", EUI, VirtualClock(START), parties.anchors)
    assert isinstance(device, Esme)
    assert profile_age(generic_profile("ESME").path) == 0 and device.history is None
    assert _rows(device, HALF_HOUR_PROFILE) == []


def test_register_is_the_sum_of_the_half_hour_intervals(parties: RemoteParties) -> None:
    device = _esme(parties)
    rows = _rows(device, HALF_HOUR_PROFILE)
    history = device.history
    assert history is not None
    assert len(rows) == DAYS * 48  # one row per half hour since commissioning (within the 13-month buffer)
    times = [from_gbcs_seconds(t) for t, _ in rows]
    assert all(b - a == 1800 for a, b in zip(times, times[1:], strict=False))
    assert times[0] == history.commissioned + 1800 and times[-1] <= device.now() < times[-1] + 1800
    model = consumption_model(generic_profile("ESME").path)
    first = int(history.commissioned) // 1800
    intervals = [model.import_wh(i) for i in range(first, int(times[-1]) // 1800)]
    assert all(v > 0 for v in intervals)
    assert [value for _, value in rows] == [sum(intervals[: k + 1]) for k in range(len(rows))]
    assert _register(device) == sum(intervals) == rows[-1][1]
    device.clock.advance(3 * 3600)  # the register keeps counting on the virtual clock
    assert _register(device) == rows[-1][1] + model.total(first + len(intervals), first + len(intervals) + 6)


def test_daily_reads_are_monotonic_and_match_the_register(parties: RemoteParties) -> None:
    device = _esme(parties)
    rows = _rows(device, DAILY_READ_LOG)
    assert len(rows) == DAYS
    values = [value for _, value in rows]
    assert values == sorted(values) and len(set(values)) == len(values)
    half_hours = {t: v for t, v in _rows(device, HALF_HOUR_PROFILE)}
    assert all(half_hours[t] == v for t, v in rows if t in half_hours)
    assert all(from_gbcs_seconds(t) % 86400 == 0 for t, _ in rows)


def test_billing_log_is_captured_at_the_billing_calendar_dates(parties: RemoteParties) -> None:
    device = _esme(parties)
    logs, day = billing_calendar(generic_profile("ESME").path)
    assert BILLING_LOG in logs and day == 1
    rows = _rows(device, BILLING_LOG)
    dates = [dt.datetime.fromtimestamp(from_gbcs_seconds(row[0]), dt.UTC) for row in rows]
    assert [(d.month, d.day, d.hour) for d in dates] == [(2, 1, 0), (3, 1, 0)]


def test_selective_access_returns_the_requested_window(parties: RemoteParties) -> None:
    device = _esme(parties)
    server = DlmsServer(device)
    low = to_gbcs_seconds(dt.datetime(2023, 3, 1, tzinfo=dt.UTC).timestamp())
    clock_column = structure(node("long-unsigned", 8), node("octet-string", "0000010000FF"), node("integer", 2),
                             node("long-unsigned", 0))
    window = structure(clock_column, node("double-long-unsigned", low), node("double-long-unsigned", low + 86400),
                       node("array", []))
    selected = server.get(7, HALF_HOUR_PROFILE, 2, RANGE_DESCRIPTOR, window)
    assert selected["type"] == "compact-array" and len(selected["value"]) == 49  # both ends inclusive
    assert selected["value"][0][0] == low and selected["value"][-1][0] == low + 86400
    daily = server.get(7, DAILY_READ_LOG, 2, RANGE_DESCRIPTOR, structure(
        node("double-long-unsigned", low - 7 * 86400), node("double-long-unsigned", low - 1)))
    assert [row[0] for row in daily["value"]] == [low - d * 86400 for d in range(7, 0, -1)]
    entries = structure(node("double-long-unsigned", 2), node("double-long-unsigned", 5), node("long-unsigned", 1),
                        node("long-unsigned", 0))
    picked = server.get(7, DAILY_READ_LOG, 2, ENTRY_DESCRIPTOR, entries)
    assert [list(row) for row in picked["value"]] == _rows(device, DAILY_READ_LOG)[1:5]


def test_consumption_model_and_history_arithmetic() -> None:
    model = ConsumptionModel(import_kw=1.0, export_kw=2.0)
    day = [model.import_wh(i) for i in range(48 * 100, 48 * 101)]
    assert 0.85 * 24_000 < sum(day) < 1.15 * 24_000  # about 1 kW on average
    assert max(day) > 2 * min(day)  # the daily shape
    assert model.export_wh(48 * 100) == 0 and model.export_wh(48 * 100 + 24) > 0
    history = History(start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp(), days=10, model=model)
    times = history.capture_times(1800, history.start)
    assert len(times) == 480 and history.registers_at(times)[-1] == history.register(history.start)
    assert history.registers_at(times, export=True)[-1] == history.register(history.start, export=True)
    assert history.capture_times(1800, history.start, limit=48)[0] == times[-48]


def test_bad_history_tables_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[device]\nkind = "ESME"\n[history]\ncommissioned_days_ago = -1\nshape = [1, 2, 3, 4, 5]\n'
                    'billing_day = 31\n')
    with pytest.raises(ProfileError, match="commissioned_days_ago"):
        profile_age(path)
    with pytest.raises(ProfileError, match="shape"):
        consumption_model(path)
    with pytest.raises(ProfileError, match="billing_day"):
        billing_calendar(path)


def test_replay_meters_have_a_history_by_default(tmp_path: Path) -> None:
    premises = tmp_path / "premises.toml"
    premises.write_text('[devices]\n"00DB1234567890A0" = "ESME"\n')
    assert load_premises(premises).history_days == DEFAULT_HISTORY_DAYS
    premises.write_text('[devices]\n"00DB1234567890A0" = "ESME"\n[history]\ncommissioned_days_ago = 7\n')
    assert load_premises(premises).history_days == 7


def test_gsme_age_gives_snapshots_of_its_consumption(parties: RemoteParties) -> None:
    from emulator.usecases.gbz_history import METERING, history_days, snapshot_times
    from emulator.zigbee import ZigbeeDevice

    gsme = create_device("GSME", bytes.fromhex("00DB1234567890E3"), VirtualClock(START), parties.anchors)
    assert isinstance(gsme, ZigbeeDevice)
    set_age(gsme, 30)
    assert history_days(gsme) == 30
    times = snapshot_times(gsme, 0, 0xFFFFFFFF)
    assert len(times) == 30 and all(t % 86400 == 0 for t in times)
    model = gsme.model_for(METERING)
    readings = [model.get(METERING, 0x0000, from_gbcs_seconds(t)) for t in reversed(times)]
    assert all(b > a for a, b in zip(readings, readings[1:], strict=False))  # daily snapshots advance
    esme = _esme(parties, 0)
    set_age(esme, 5)
    assert esme.history_days == 5 and len(_rows(esme, DAILY_READ_LOG)) == 5


def test_event_log_holds_the_commissioning_and_billing_events(parties: RemoteParties) -> None:
    device = _esme(parties)
    event_log = bytes((0, 0, 99, 98, 0, 255))
    device.event_log.add(device.now(), 0x8F66, "own")
    rows = _rows(device, event_log)
    history = device.history
    assert history is not None
    assert [row[1] for row in rows] == [0x8F69, 0x8F0A, 0x8F0A, 0x8F66]
    assert from_gbcs_seconds(rows[0][0]) == history.commissioned
    assert DlmsServer(device).get(7, event_log, 7)["value"] == 4
    DlmsServer(device).action(7, event_log, 1, node("integer", 0))  # reset clears the history's events too
    assert _rows(device, event_log) == []
