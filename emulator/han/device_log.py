"""The CHF Device Log (whitelist) and the CHF Historic Device Log (requirements §4, CRP535).

* :meth:`ChfDeviceLog.add` (CCS01): a device already in the log keeps its entry (the key is
  ignored) and the call still succeeds; a new entry opens its join window (1..3600 s).
* :meth:`ChfDeviceLog.remove` (CCS02): an established TC link key is copied to the historic
  log first, except for HHTs; GPFs never go there.  The historic log holds at most 15
  entries; a device already there is updated in its slot, else the oldest entry is overwritten.
* :meth:`ChfDeviceLog.restore` (CCS03): the log is replaced by a backup.
* :meth:`ChfDeviceLog.admit`: a joining device presents a link key.  A device re-added while
  in the historic log is first offered its historic key, then its install code, with the
  timing of :class:`HistoricTiming` (the two GBCS renditions disagree; both are implemented).

Every change calls ``on_change`` with a :class:`DeviceLogChange` (the CHF raises CS14 /
0x8F12 from it, see :mod:`emulator.han.cs14`).  A hashed link key is empty until established.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .install_codes import SMETS2, InstallCodeError, aes_mmo_hash, check_length, link_key_for_code, validate

JOIN_TIMEOUT_MIN, JOIN_TIMEOUT_MAX = 1, 3600
HISTORIC_CAPACITY = 15
KEY_LENGTH = 16
# GBCS CCS01 register_device device_type values (requirements §4); HHTs have no CCS01 code.
DEVICE_TYPE_CODES = {0: "ESME", 1: "GSME", 13: "HCALCS", 128: "IHD", 130: "CAD", 132: "PPMID", 254: "GPF"}
DEVICE_KINDS = frozenset({*DEVICE_TYPE_CODES.values(), "HHT"})
NO_HISTORY_KINDS = frozenset({"HHT", "GPF"})

ADDED, REMOVED, RESTORED, KEY_ESTABLISHED = "added", "removed", "restored", "key-established"
HISTORIC, INSTALL_CODE, ESTABLISHED = "historic", "install-code", "established"


class DeviceLogError(ValueError):
    """A device log request refused (bad join timeout, device type or install code)."""


class HistoricTiming(enum.Enum):
    """How long a re-added device may join with its historic key (requirements §4, two renditions).

    ``HALF``: the historic key in the first half of ``join_timeout``, the install code in the second.
    ``FULL``: the historic key for the whole ``join_timeout``, then a further ``join_timeout`` of install code.
    """

    HALF = "half"
    FULL = "full"


@dataclass(slots=True)
class LogEntry:
    """One CHF Device Log entry."""

    eui: bytes
    device_type: str
    install_key: bytes | None  # TC link key derived from the install code (None: restored without one)
    join_opened: float
    join_timeout: float
    historic_key: bytes | None = None  # offered first, when the device was in the historic log at add
    link_key: bytes | None = None  # the established TC link key

    def key_hash(self) -> bytes | None:
        """The hashed link key the log shows (None, i.e. empty, until a key is established)."""
        return None if self.link_key is None else hash_link_key(self.link_key)


@dataclass(slots=True)
class HistoricEntry:
    """One CHF Historic Device Log entry: a removed device's established link key."""

    eui: bytes
    link_key: bytes
    stored_at: float
    seq: int = 0  # store order: the entry with the lowest is the oldest


@dataclass(frozen=True, slots=True)
class DeviceLogChange:
    """A change of the CHF Device Log: why, which device (None for a restore), and the log after it."""

    reason: str
    eui: bytes | None
    time: float
    entries: tuple[tuple[bytes, str, bytes | None], ...]  # (EUI, device type, hashed link key or None)


@dataclass(frozen=True, slots=True)
class Admission:
    """The outcome of a join attempt: admitted or not, with which key source and why."""

    admitted: bool
    source: str | None = None  # HISTORIC, INSTALL_CODE or ESTABLISHED when admitted
    reason: str = ""


def hash_link_key(key: bytes) -> bytes:
    """The link key hash shown in the log and in CS14.  [I] AES-MMO of the key; the GBCS hash is unconfirmed."""
    return aes_mmo_hash(key)


def check_join_timeout(seconds: float) -> float:
    """A join window length in seconds: 1..3600 (DUIS JoinTimePeriod)."""
    if isinstance(seconds, bool) or not JOIN_TIMEOUT_MIN <= seconds <= JOIN_TIMEOUT_MAX:
        raise DeviceLogError(f"join timeout {seconds!r} s is outside {JOIN_TIMEOUT_MIN}..{JOIN_TIMEOUT_MAX}")
    return float(seconds)


def device_kind(device_type: int | str) -> str:
    """A device kind name from a CCS01 device_type code or a kind name."""
    if isinstance(device_type, int) and not isinstance(device_type, bool):
        kind = DEVICE_TYPE_CODES.get(device_type)
    else:
        kind = device_type if device_type in DEVICE_KINDS else None
    if kind is None:
        raise DeviceLogError(f"unknown device type {device_type!r}")
    return kind


class HistoricDeviceLog:
    """At most ``capacity`` removed devices' link keys; the oldest stored entry is overwritten when full."""

    __slots__ = ("capacity", "_entries", "_seq")

    def __init__(self, capacity: int = HISTORIC_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: list[HistoricEntry] = []  # slot order
        self._seq = itertools.count()

    def store(self, eui: bytes, key: bytes, now: float) -> int:
        """Keep ``key`` for ``eui``: in its slot when present, else a free slot or the oldest; returns the slot."""
        seq = next(self._seq)
        for slot, entry in enumerate(self._entries):
            if entry.eui == eui:
                entry.link_key, entry.stored_at, entry.seq = bytes(key), now, seq
                return slot
        new = HistoricEntry(bytes(eui), bytes(key), now, seq)
        if len(self._entries) < self.capacity:
            self._entries.append(new)
            return len(self._entries) - 1
        slot = min(range(len(self._entries)), key=lambda i: self._entries[i].seq)
        self._entries[slot] = new
        return slot

    def get(self, eui: bytes) -> HistoricEntry | None:
        return next((e for e in self._entries if e.eui == eui), None)

    def entries(self) -> list[HistoricEntry]:
        """The entries in slot order."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, eui: object) -> bool:
        return any(e.eui == eui for e in self._entries)


class ChfDeviceLog:
    """The CHF whitelist with its historic log; ``now`` is the clock the join windows run on."""

    def __init__(
        self,
        now: Callable[[], float],
        *,
        on_change: Callable[[DeviceLogChange], None] | None = None,
        timing: HistoricTiming = HistoricTiming.HALF,
        generation: str = SMETS2,
        historic_capacity: int = HISTORIC_CAPACITY,
    ) -> None:
        self._now = now
        self.on_change = on_change
        self.timing = timing
        self.generation = generation
        self.historic = HistoricDeviceLog(historic_capacity)
        self._entries: dict[bytes, LogEntry] = {}
        self.changes: list[DeviceLogChange] = []  # every change, in order

    # ------------------------------------------------------------------ reading

    def entry(self, eui: bytes) -> LogEntry | None:
        return self._entries.get(bytes(eui))

    def entries(self) -> list[LogEntry]:
        return list(self._entries.values())

    def __contains__(self, eui: object) -> bool:
        return eui in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    # ------------------------------------------------------------------ CCS01 / CCS02 / CCS03

    def add(
        self,
        eui: bytes,
        device_type: int | str,
        install_code: bytes,
        join_timeout: float,
        *,
        crc: bytes | None = None,
        generation: str | None = None,
    ) -> bool:
        """CCS01: add a device; True when added, False when already there (key ignored, still a success).

        ``install_code`` excludes its CRC (as CCS01 carries it); a ``crc`` given out-of-band is checked.
        Raises :class:`DeviceLogError` for a bad join timeout, device type or install code.
        """
        eui = _eui(eui)
        timeout = check_join_timeout(join_timeout)
        kind = device_kind(device_type)
        if eui in self._entries:
            return False
        try:
            if crc is not None:
                validate(bytes(install_code) + bytes(crc), generation or self.generation)
            check_length(install_code, generation or self.generation)
            install_key = link_key_for_code(install_code, generation or self.generation)
        except InstallCodeError as exc:
            raise DeviceLogError(str(exc)) from exc
        historic = self.historic.get(eui)
        self._entries[eui] = LogEntry(eui, kind, install_key, self._now(), timeout,
                                      historic.link_key if historic else None)
        self._changed(ADDED, eui)
        return True

    def remove(self, eui: bytes) -> bool:
        """CCS02: remove a device, keeping its established link key in the historic log (not HHT, not GPF)."""
        entry = self._entries.pop(_eui(eui), None)
        if entry is None:
            return False
        if entry.link_key is not None and entry.device_type not in NO_HISTORY_KINDS:
            self.historic.store(entry.eui, entry.link_key, self._now())
        self._changed(REMOVED, entry.eui)
        return True

    def restore(self, backup: Iterable[tuple[bytes, int | str, bytes | None]]) -> None:
        """CCS03: replace the log by a backup of (EUI, device type, established link key or None)."""
        now = self._now()
        entries: dict[bytes, LogEntry] = {}
        for eui, device_type, key in backup:
            eui = _eui(eui)
            if key is not None and len(key) != KEY_LENGTH:
                raise DeviceLogError(f"{eui.hex().upper()}: a link key is {KEY_LENGTH} octets")
            entries[eui] = LogEntry(eui, device_kind(device_type), None, now, 0.0,
                                    link_key=None if key is None else bytes(key))
        self._entries = entries
        self._changed(RESTORED, None)

    def backup(self) -> list[tuple[bytes, str, bytes | None]]:
        """The log as :meth:`restore` takes it."""
        return [(e.eui, e.device_type, e.link_key) for e in self._entries.values()]

    # ------------------------------------------------------------------ joining

    def open_join_window(self, eui: bytes, join_timeout: float) -> None:
        """(Re)start a device's join window now (CCS01 sets join_timeout after register_device)."""
        entry = self._entries.get(_eui(eui))
        if entry is None:
            raise DeviceLogError(f"{bytes(eui).hex().upper()} is not in the CHF device log")
        entry.join_timeout = check_join_timeout(join_timeout)
        entry.join_opened = self._now()

    def accepted_keys(self, eui: bytes, now: float | None = None) -> list[tuple[str, bytes]]:
        """The (source, key) pairs a joining device may present now, in the order the CHF tries them."""
        entry = self._entries.get(_eui(eui))
        if entry is None:
            return []
        now = self._now() if now is None else now
        keys: list[tuple[str, bytes]] = []
        if entry.link_key is not None:
            keys.append((ESTABLISHED, entry.link_key))
        elapsed = now - entry.join_opened
        if elapsed < 0:
            return keys
        if entry.historic_key is None:
            if entry.install_key is not None and elapsed <= entry.join_timeout:
                keys.append((INSTALL_CODE, entry.install_key))
            return keys
        historic_end = entry.join_timeout / 2 if self.timing is HistoricTiming.HALF else entry.join_timeout
        install_end = entry.join_timeout if self.timing is HistoricTiming.HALF else 2 * entry.join_timeout
        if elapsed < historic_end:
            keys.append((HISTORIC, entry.historic_key))
        elif entry.install_key is not None and elapsed <= install_end:
            keys.append((INSTALL_CODE, entry.install_key))
        return keys

    def admit(self, eui: bytes, presented_key: bytes) -> Admission:
        """A device presents a link key: admitted when the log offers that key now; the key is then established."""
        eui = _eui(eui)
        entry = self._entries.get(eui)
        if entry is None:
            return Admission(False, reason="not in the CHF device log")
        keys = self.accepted_keys(eui)
        if not keys:
            return Admission(False, reason="join window closed")
        for source, key in keys:
            if key == presented_key:
                if source != ESTABLISHED:
                    entry.link_key = bytes(key)
                    entry.historic_key = None
                    self._changed(KEY_ESTABLISHED, eui)
                return Admission(True, source)
        return Admission(False, reason=f"link key does not match ({', '.join(s for s, _ in keys)})")

    # ------------------------------------------------------------------ notification

    def _changed(self, reason: str, eui: bytes | None) -> None:
        change = DeviceLogChange(reason, eui, self._now(),
                                 tuple((e.eui, e.device_type, e.key_hash()) for e in self._entries.values()))
        self.changes.append(change)
        if self.on_change is not None:
            self.on_change(change)


def _eui(eui: bytes) -> bytes:
    eui = bytes(eui)
    if len(eui) != 8:
        raise DeviceLogError("a device EUI-64 is 8 octets")
    return eui
