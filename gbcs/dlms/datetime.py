"""Readable views of COSEM date, time and date-time octets (annotations only, never parsed back)."""

from __future__ import annotations

_MONTHS = {0xFD: "DST-end", 0xFE: "DST-begin"}
_DAYS = {0xFD: "2nd-last", 0xFE: "last"}


def _field(value: int, low: int, high: int, width: int, specials: dict[int, str] | None = None) -> str | None:
    if value == 0xFF:
        return "*" * width
    if specials and value in specials:
        return specials[value]
    if low <= value <= high:
        return f"{value:0{width}d}"
    return None


def describe_date(raw: bytes) -> str | None:
    """``YYYY-MM-DD`` with ``*`` for unspecified parts; None when the bytes are not a COSEM date."""
    if len(raw) != 5:
        return None
    year = int.from_bytes(raw[0:2], "big")
    y = "****" if year == 0xFFFF else f"{year:04d}"
    m = _field(raw[2], 1, 12, 2, _MONTHS)
    d = _field(raw[3], 1, 31, 2, _DAYS)
    if m is None or d is None or not (raw[4] == 0xFF or 1 <= raw[4] <= 7):
        return None
    return f"{y}-{m}-{d}"


def describe_time(raw: bytes) -> str | None:
    """``hh:mm:ss.cc`` with ``*`` for unspecified parts; None when not a COSEM time."""
    if len(raw) != 4:
        return None
    parts = (
        _field(raw[0], 0, 23, 2),
        _field(raw[1], 0, 59, 2),
        _field(raw[2], 0, 59, 2),
        _field(raw[3], 0, 99, 2),
    )
    if None in parts:
        return None
    return f"{parts[0]}:{parts[1]}:{parts[2]}.{parts[3]}"


def describe_date_time(raw: bytes) -> str | None:
    """A readable COSEM date-time (12 bytes), e.g. ``2015-01-01 00:00:00.00 dev=unspecified status=FF``."""
    if len(raw) != 12:
        return None
    if raw == bytes(9) + b"\x80\x00\xff" or raw[:9] == bytes(9):
        return "now (immediate)"
    if raw[:9] == b"\xff" * 9:
        return "never"
    date = describe_date(raw[0:5])
    time = describe_time(raw[5:9])
    if date is None or time is None:
        return None
    deviation = int.from_bytes(raw[9:11], "big", signed=True)
    dev = "unspecified" if deviation == -0x8000 else f"{deviation:+d}min"
    return f"{date} {time} dev={dev} status={raw[11]:02X}"
