"""The CHF Device Log and Historic Device Log (requirements §4, CRP535; checklist 19, 21-23, 25)."""

from __future__ import annotations

import pytest

from emulator.han.device_log import (
    ADDED,
    ESTABLISHED,
    HISTORIC,
    INSTALL_CODE,
    KEY_ESTABLISHED,
    REMOVED,
    RESTORED,
    ChfDeviceLog,
    DeviceLogChange,
    DeviceLogError,
    HistoricDeviceLog,
    HistoricTiming,
    hash_link_key,
)
from emulator.han.install_codes import SMETS1, crc_bytes, link_key_for_code

EXAMPLE = bytes.fromhex("83FED3407A939723A5C639B26916D505")
EXAMPLE_KEY = bytes.fromhex("66B6900981E1EE3CA4206B6B861C02BB")
GSME = bytes.fromhex("00DB1234567890A1")
PPMID = bytes.fromhex("00DB1234567890A4")
OLD_KEY = bytes(range(16))


def eui(n: int) -> bytes:
    return bytes.fromhex("00DB123456780000")[:6] + n.to_bytes(2, "big")


def code(n: int) -> bytes:
    return bytes((n + i) & 0xFF for i in range(16))


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def changes() -> list[DeviceLogChange]:
    return []


@pytest.fixture
def log(clock: Clock, changes: list[DeviceLogChange]) -> ChfDeviceLog:
    return ChfDeviceLog(clock, on_change=changes.append)


def joined(log: ChfDeviceLog, device: bytes, install_code: bytes) -> None:
    assert log.admit(device, link_key_for_code(install_code)).admitted


# ---------------------------------------------------------------------------- CCS01


def test_add_notifies_with_an_empty_key_hash(log: ChfDeviceLog, changes: list[DeviceLogChange]) -> None:
    assert log.add(GSME, 1, EXAMPLE, 600) is True
    assert GSME in log and log.entry(GSME).device_type == "GSME"
    assert log.entry(GSME).install_key == EXAMPLE_KEY
    assert [(c.reason, c.eui, c.time) for c in changes] == [(ADDED, GSME, 1000.0)]
    assert changes[0].entries == ((GSME, "GSME", None),)


def test_add_of_a_present_device_ignores_the_key_and_succeeds(log: ChfDeviceLog,
                                                              changes: list[DeviceLogChange]) -> None:
    log.add(GSME, "GSME", EXAMPLE, 600)
    assert log.add(GSME, "GSME", code(9), 600) is False
    assert log.entry(GSME).install_key == EXAMPLE_KEY
    assert len(changes) == 1  # the log did not change
    assert log.admit(GSME, link_key_for_code(code(9))).admitted is False


@pytest.mark.parametrize("timeout", [0, -1, 3601, 10_000, True])
def test_join_timeout_outside_1_to_3600_is_refused(log: ChfDeviceLog, timeout: float) -> None:
    with pytest.raises(DeviceLogError, match="join timeout"):
        log.add(GSME, "GSME", EXAMPLE, timeout)
    assert GSME not in log


@pytest.mark.parametrize("timeout", [1, 3600])
def test_join_timeout_bounds_are_accepted(log: ChfDeviceLog, timeout: int) -> None:
    assert log.add(GSME, "GSME", EXAMPLE, timeout)


def test_install_code_length_and_out_of_band_crc(log: ChfDeviceLog, clock: Clock) -> None:
    with pytest.raises(DeviceLogError, match="length"):
        log.add(GSME, "GSME", EXAMPLE[:8], 60)  # SMETS2+: 16 octets
    with pytest.raises(DeviceLogError, match="crc"):
        log.add(GSME, "GSME", EXAMPLE, 60, crc=b"\xb5\xc3")
    assert GSME not in log
    assert log.add(GSME, "GSME", EXAMPLE, 60, crc=crc_bytes(EXAMPLE))
    smets1 = ChfDeviceLog(clock, generation=SMETS1)
    assert smets1.add(PPMID, "PPMID", EXAMPLE[:8], 60)


def test_unknown_device_type(log: ChfDeviceLog) -> None:
    with pytest.raises(DeviceLogError, match="device type"):
        log.add(GSME, 99, EXAMPLE, 60)


# ---------------------------------------------------------------------------- join window


def test_join_window(log: ChfDeviceLog, clock: Clock, changes: list[DeviceLogChange]) -> None:
    log.add(GSME, "GSME", EXAMPLE, 60)
    assert log.admit(PPMID, EXAMPLE_KEY).reason == "not in the CHF device log"
    assert not log.admit(GSME, OLD_KEY).admitted
    clock.t += 61
    refused = log.admit(GSME, EXAMPLE_KEY)
    assert not refused.admitted and refused.reason == "join window closed"
    log.remove(GSME)
    log.add(GSME, "GSME", EXAMPLE, 60)
    clock.t += 60
    assert log.admit(GSME, EXAMPLE_KEY).source == INSTALL_CODE
    assert log.entry(GSME).link_key == EXAMPLE_KEY
    assert changes[-1].reason == KEY_ESTABLISHED
    assert changes[-1].entries == ((GSME, "GSME", hash_link_key(EXAMPLE_KEY)),)
    clock.t += 10_000  # a joined device may rejoin with its established key at any time
    assert log.admit(GSME, EXAMPLE_KEY).source == ESTABLISHED


# ---------------------------------------------------------------------------- CCS02, historic log


def test_remove_keeps_the_established_key(log: ChfDeviceLog, changes: list[DeviceLogChange]) -> None:
    log.add(GSME, "GSME", EXAMPLE, 60)
    joined(log, GSME, EXAMPLE)
    assert log.remove(GSME) is True
    assert GSME not in log and changes[-1].reason == REMOVED and changes[-1].entries == ()
    assert log.historic.get(GSME).link_key == EXAMPLE_KEY
    assert log.remove(GSME) is False and changes[-1].reason == REMOVED and len(changes) == 3


def test_remove_without_established_key_keeps_nothing(log: ChfDeviceLog) -> None:
    log.add(GSME, "GSME", EXAMPLE, 60)
    log.remove(GSME)
    assert GSME not in log.historic and len(log.historic) == 0


@pytest.mark.parametrize("kind", ["HHT", "GPF", 254])
def test_no_hht_and_no_gpf_in_the_historic_log(log: ChfDeviceLog, kind: str | int) -> None:
    log.add(PPMID, kind, EXAMPLE, 60)
    joined(log, PPMID, EXAMPLE)
    log.add(GSME, "ESME", code(3), 60)
    joined(log, GSME, code(3))
    log.remove(PPMID)
    log.remove(GSME)
    assert PPMID not in log.historic and GSME in log.historic


def test_historic_log_holds_15_and_overwrites_the_oldest(log: ChfDeviceLog, clock: Clock) -> None:
    for n in range(16):
        clock.t += 1
        log.add(eui(n), "PPMID", code(n), 60)
        joined(log, eui(n), code(n))
        log.remove(eui(n))
    entries = log.historic.entries()
    assert len(entries) == 15 and log.historic.capacity == 15
    assert eui(0) not in log.historic
    assert entries[0].eui == eui(15)  # the oldest slot was overwritten
    assert [e.eui for e in entries[1:]] == [eui(n) for n in range(1, 15)]


def test_historic_entry_updated_in_place(clock: Clock) -> None:
    historic = HistoricDeviceLog()
    for n in range(15):
        historic.store(eui(n), code(n), float(n))
    assert historic.store(eui(3), OLD_KEY, 100.0) == 3  # same slot, no new entry
    assert len(historic) == 15 and historic.entries()[3].link_key == OLD_KEY
    assert historic.entries()[3].stored_at == 100.0
    # the refreshed entry is no longer the oldest: the next new device overwrites slot 0
    assert historic.store(eui(99), code(99), 101.0) == 0
    assert historic.store(eui(98), code(98), 102.0) == 1
    assert eui(3) in historic and eui(0) not in historic and eui(1) not in historic


# ---------------------------------------------------------------------------- re-admission (CRP535)


def _removed_with_key(log: ChfDeviceLog) -> None:
    log.historic.store(GSME, OLD_KEY, 0.0)


@pytest.mark.parametrize("timing", list(HistoricTiming))
def test_readmission_with_the_historic_key(clock: Clock, timing: HistoricTiming) -> None:
    changes: list[DeviceLogChange] = []
    log = ChfDeviceLog(clock, on_change=changes.append, timing=timing)
    _removed_with_key(log)
    log.add(GSME, "GSME", EXAMPLE, 100)
    assert [s for s, _ in log.accepted_keys(GSME)] == [HISTORIC]
    assert not log.admit(GSME, EXAMPLE_KEY).admitted  # the historic key is tried first
    clock.t += 40
    assert log.admit(GSME, OLD_KEY).source == HISTORIC
    assert log.entry(GSME).link_key == OLD_KEY
    assert changes[-1].reason == KEY_ESTABLISHED and changes[-1].entries[0][2] == hash_link_key(OLD_KEY)


@pytest.mark.parametrize(("timing", "historic_until", "install_until"),
                         [(HistoricTiming.HALF, 50, 100), (HistoricTiming.FULL, 100, 200)])
def test_install_code_is_the_fallback(clock: Clock, timing: HistoricTiming, historic_until: float,
                                      install_until: float) -> None:
    log = ChfDeviceLog(clock, timing=timing)
    _removed_with_key(log)
    start = clock.t
    log.add(GSME, "GSME", EXAMPLE, 100)
    clock.t = start + historic_until - 0.5
    assert [s for s, _ in log.accepted_keys(GSME)] == [HISTORIC]
    assert not log.admit(GSME, EXAMPLE_KEY).admitted
    clock.t = start + historic_until
    assert [s for s, _ in log.accepted_keys(GSME)] == [INSTALL_CODE]
    assert not log.admit(GSME, OLD_KEY).admitted
    clock.t = start + install_until
    assert log.admit(GSME, EXAMPLE_KEY).source == INSTALL_CODE
    assert log.entry(GSME).link_key == EXAMPLE_KEY


@pytest.mark.parametrize(("timing", "closes"), [(HistoricTiming.HALF, 100.5), (HistoricTiming.FULL, 200.5)])
def test_window_closes_after_the_install_code_period(clock: Clock, timing: HistoricTiming, closes: float) -> None:
    log = ChfDeviceLog(clock, timing=timing)
    _removed_with_key(log)
    start = clock.t
    log.add(GSME, "GSME", EXAMPLE, 100)
    clock.t = start + closes
    assert log.accepted_keys(GSME) == []
    assert not log.admit(GSME, EXAMPLE_KEY).admitted and not log.admit(GSME, OLD_KEY).admitted


def test_remove_then_readd_round_trip(log: ChfDeviceLog) -> None:
    log.add(GSME, "GSME", EXAMPLE, 60)
    joined(log, GSME, EXAMPLE)
    log.remove(GSME)
    log.add(GSME, "GSME", code(5), 60)  # a new install code: the historic key still comes first
    assert log.entry(GSME).historic_key == EXAMPLE_KEY
    assert log.admit(GSME, EXAMPLE_KEY).source == HISTORIC


# ---------------------------------------------------------------------------- CCS03


def test_restore_replaces_the_log(log: ChfDeviceLog, changes: list[DeviceLogChange]) -> None:
    log.add(GSME, "GSME", EXAMPLE, 60)
    log.restore([(PPMID, 132, OLD_KEY), (eui(7), "ESME", None)])
    assert GSME not in log and log.entry(PPMID).link_key == OLD_KEY
    assert changes[-1].reason == RESTORED and changes[-1].eui is None
    assert changes[-1].entries == ((PPMID, "PPMID", hash_link_key(OLD_KEY)), (eui(7), "ESME", None))
    assert log.admit(PPMID, OLD_KEY).source == ESTABLISHED
    assert log.backup() == [(PPMID, "PPMID", OLD_KEY), (eui(7), "ESME", None)]
    with pytest.raises(DeviceLogError):
        log.restore([(PPMID, "PPMID", b"short")])


def test_changes_are_recorded_without_a_callback(clock: Clock) -> None:
    log = ChfDeviceLog(clock)
    log.add(GSME, "GSME", EXAMPLE, 60)
    log.remove(GSME)
    assert [c.reason for c in log.changes] == [ADDED, REMOVED]


def test_join_window_reopened(log: ChfDeviceLog, clock: Clock) -> None:
    log.add(GSME, "GSME", EXAMPLE, 10)
    clock.t += 50
    assert log.accepted_keys(GSME) == []
    log.open_join_window(GSME, 90)
    clock.t += 90
    assert log.admit(GSME, EXAMPLE_KEY).source == INSTALL_CODE
    with pytest.raises(DeviceLogError):
        log.open_join_window(PPMID, 90)
    with pytest.raises(DeviceLogError):
        log.open_join_window(GSME, 3601)
