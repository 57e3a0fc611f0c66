"""COSEM date-time octets (12 bytes) to and from POSIX time, and the GBCS epoch (seconds since 2000).

Layout: year(2) month day day-of-week hour minute second hundredths deviation(2) status.
``00 .. 00`` in the date and time fields means "now" and ``FF .. FF`` means "never"
(gbcs spec §3.1).  The deviation (minutes, 0x8000 unspecified) follows the DLMS clock
convention UTC = local + deviation; an unspecified deviation means UTC.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC
NOW = "now"
NEVER = "never"
GBCS_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z, the epoch of GBZ and DLMS UTC fields
UNSPECIFIED_DEVIATION = 0x8000
_ZEROS = bytes(9)
_NEVER = b"\xff" * 9


def encode(timestamp: float, deviation: int = UNSPECIFIED_DEVIATION, status: int = 0xFF) -> bytes:
    """The 12-byte COSEM date-time of a POSIX time (UTC fields unless a deviation is given)."""
    when = dt.datetime.fromtimestamp(int(timestamp), UTC)
    if deviation != UNSPECIFIED_DEVIATION:
        when -= dt.timedelta(minutes=_signed(deviation))
    hundredths = int((timestamp - int(timestamp)) * 100) if timestamp >= 0 else 0
    return bytes((
        when.year >> 8, when.year & 0xFF, when.month, when.day, when.isoweekday(),
        when.hour, when.minute, when.second, hundredths,
        (deviation >> 8) & 0xFF, deviation & 0xFF, status,
    ))


def _signed(deviation: int) -> int:
    return deviation - 0x10000 if deviation >= 0x8000 else deviation


def decode(raw: bytes) -> float | str | None:
    """POSIX time, :data:`NOW`, :data:`NEVER`, or None when not a specific date-time (wildcards)."""
    if len(raw) != 12:
        return None
    if raw[:9] == _ZEROS:
        return NOW
    if raw[:9] == _NEVER or raw[:2] == b"\xff\xff":
        return NEVER
    year = raw[0] << 8 | raw[1]
    month, day, hour, minute, second = raw[2], raw[3], raw[5], raw[6], raw[7]
    hundredths = 0 if raw[8] == 0xFF else raw[8]
    if 0xFF in (month, day, hour, minute, second):
        return None
    try:
        when = dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    deviation = raw[9] << 8 | raw[10]
    if deviation != UNSPECIFIED_DEVIATION:
        when += dt.timedelta(minutes=_signed(deviation))
    return when.timestamp() + hundredths / 100


def to_gbcs_seconds(timestamp: float) -> int:
    """Seconds since 2000-01-01 UTC (GBZ alert times, DLMS UTC columns and range bounds)."""
    return int(timestamp) - GBCS_EPOCH


def from_gbcs_seconds(seconds: int) -> float:
    return float(seconds + GBCS_EPOCH)
