"""Shared pieces of the gas (GCS*) transforms: GBZ assembly, ZCL times and dates, DUIS enumerations.

GBZ layout and conventions follow gbcs spec §3.2: one component per ZCL command, the
last-component bit on the final one only, ZCL sequence numbers counting from 0 within a
command, and ZCL UTCTime as seconds since 2000-01-01T00:00:00Z.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from gbcs.gbz import encode_gbz

from . import xml_values as xv
from .registry import TransformContext, Transformed, TransformError

PROFILE_SE = 0x0109
BASIC, PRICE, METERING, MESSAGING, PREPAYMENT = 0x0000, 0x0700, 0x0702, 0x0703, 0x0705
CALENDAR, DEVICE_MANAGEMENT = 0x0707, 0x0708
CF_LAST, CF_FROM_DATE_TIME = 0x01, 0x10
# ZCL frame control: cluster-specific commands sent client->server (01) or server->client (09)
FC_READ, FC_CLIENT, FC_SERVER = 0x00, 0x01, 0x09
ZCL_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
UINT16_MAX, UINT32_MAX = 0xFFFF, 0xFFFFFFFF
NOW = 0  # ZCL implementation / start time: immediately
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
# ZCL start times meaning "cancel the pending future-dated command" (ZCL "never" / "undefined")
CANCEL_NEVER, CANCEL_UNDEFINED = 0xFFFFFFFF, 0xFFFFFFFE
# the DUIS ExecutionDateTime (and EndDateTime) a User gives for "cancel" / "without end"
DUIS_END_OF_TIME = datetime(3000, 12, 31, tzinfo=UTC)


# --- GBZ assembly ------------------------------------------------------------------------------

def component(cluster: int, frame_control: int, command: int, *, fields: dict[str, Any] | None = None,
              records: list[dict[str, int]] | None = None, from_date_time: int | None = None) -> dict[str, Any]:
    """One GBZ component (sequence and last bit are set by :func:`gbz_payload`)."""
    zcl: dict[str, Any] = {"frame_control": frame_control, "sequence": 0, "command": command}
    if records is not None:
        zcl["records"] = records
    else:
        zcl["fields"] = fields or {}
    comp: dict[str, Any] = {"control": 0, "cluster": cluster, "zcl": zcl}
    if from_date_time is not None:
        comp["control"] |= CF_FROM_DATE_TIME
        comp["from_date_time"] = from_date_time
    return comp


def read_attributes(cluster: int, *attributes: int) -> dict[str, Any]:
    """A ZCL Read Attributes component for ``attributes`` (in that order)."""
    return component(cluster, FC_READ, 0x00, records=[{"attribute": a} for a in attributes])


def gbz_payload(ctx: TransformContext, components: list[dict[str, Any]], *,
                other_information: bytes | None = None) -> Transformed:
    """The GBZ command of ``components``: ZCL sequence numbers 0, 1, ..., the last-component bit on the last."""
    if not components:
        raise TransformError(ctx.use_case, "no ZCL command to send")
    for sequence, comp in enumerate(components):
        comp["zcl"]["sequence"] = sequence
        comp["control"] &= ~CF_LAST
    components[-1]["control"] |= CF_LAST
    payload = encode_gbz({"profile": PROFILE_SE, "components": components})
    return Transformed(ctx.use_case, ctx.message_code, "gbz", payload, other_information)


def issuer_id(ctx: TransformContext) -> int:
    """The Issuer Event / Calendar / Tariff ID: the command's originator counter, which only grows (uint32)."""
    return ctx.counter & UINT32_MAX


# --- times and dates ---------------------------------------------------------------------------

def utc_seconds(when: datetime, use_case: str, name: str) -> int:
    """``when`` as ZCL UTCTime (seconds since 2000-01-01), refusing what uint32 cannot hold."""
    seconds = int((when - ZCL_EPOCH).total_seconds())
    if not 0 <= seconds < CANCEL_UNDEFINED:
        raise TransformError(use_case, f"{name}: {when.isoformat()} is outside the ZCL UTCTime range")
    return seconds


def zcl_time(body: etree._Element, path: str, use_case: str, *, end_of_time: int = CANCEL_UNDEFINED) -> int:
    """A required DUIS date-time element as ZCL UTCTime; the DUIS end of time maps to ``end_of_time``."""
    when = xv.date_time(body, path, use_case)
    assert when is not None
    if when >= DUIS_END_OF_TIME:
        return end_of_time
    return utc_seconds(when, use_case, path)


def execution_time(body: etree._Element, ctx: TransformContext, *, cancel: int = CANCEL_NEVER) -> int:
    """The ZCL implementation time of a device-future-dated command: 0 (now), the ExecutionDateTime, or ``cancel``.

    The body's ExecutionDateTime wins over the context's; 3000-12-31 asks the device to
    cancel the pending command (requirements §5.1 future dating), which ZCL writes as ``cancel``.
    """
    when = xv.date_time(body, "ExecutionDateTime", ctx.use_case, required=False) or ctx.execution_datetime
    if when is None:
        return 0
    if when >= DUIS_END_OF_TIME:
        return cancel
    return utc_seconds(when, ctx.use_case, "ExecutionDateTime")


def zcl_date(year: int | None, month: int | None, day: int | None, weekday: int | None = None) -> str:
    """A ZCL Date (year-1900, month, day of month, day of week; 0xFF = not specified) as hex."""
    def part(value: int | None, offset: int = 0) -> int:
        return 0xFF if value is None else value - offset

    return bytes((part(year, 1900), part(month), part(day), part(weekday))).hex().upper()


def gas_date(date: etree._Element, use_case: str) -> str:
    """A DUIS GasDate (year / month / day of month / day of week, each Specified* or NonSpecified*)."""
    specs = (("GasYearWithWildcards", "SpecifiedYear", 1900, 2154), ("GasMonthWithWildcards", "SpecifiedMonth", 1, 12),
             ("GasDayOfMonthWithWildcards", "SpecifiedDayOfMonth", 1, 31),
             ("GasDayOfWeekWithWildcards", "SpecifiedDayOfWeek", 1, 7))
    values: list[int | None] = []
    for wrapper, specified, low, high in specs:
        part = xv.element(date, wrapper, use_case)
        assert part is not None
        values.append(xv.integer(part, specified, use_case, required=False, minimum=low, maximum=high))
    return zcl_date(*values)


def minutes_after_midnight(value: str, use_case: str, name: str) -> int:
    """An xs:time (``HH:MM:SS[.ff][Z]``) as minutes after midnight, refusing seconds."""
    try:
        hours, minutes, seconds = value.rstrip("Z").split(":")
        total = int(hours) * 60 + int(minutes)
        exact = float(seconds) == 0 and 0 <= int(minutes) < 60 and 0 <= total < 1440
    except ValueError:
        raise TransformError(use_case, f"{name}: {value!r} is not an xs:time") from None
    if not exact:
        raise TransformError(use_case, f"{name}: {value!r} is not a whole minute of the day")
    return total


def plus_seconds(when: datetime, seconds: int) -> datetime:
    """``when`` moved by ``seconds``."""
    return when + timedelta(seconds=seconds)


def ascii_hex(body: etree._Element, path: str, use_case: str, allowed: str, longest: int) -> str:
    """A DUIS string of ``allowed`` characters as the hex of its ASCII octets (a ZCL octet string)."""
    value = xv.text(body, path, use_case)
    assert value is not None
    if not value or len(value) > longest or any(ch not in allowed for ch in value):
        raise TransformError(use_case, f"{path}: {value!r} is not 1..{longest} characters of the allowed set")
    return value.encode("ascii").hex().upper()


# --- numbers and enumerations ------------------------------------------------------------------

def scaled_decimal(body: etree._Element, path: str, use_case: str, digits: int, maximum: int) -> int:
    """A decimal element with at most ``digits`` fraction digits, as an integer in units of 10^-digits."""
    value = xv.text(body, path, use_case)
    assert value is not None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise TransformError(use_case, f"{path}: {value!r} is not a decimal") from None
    scaled = number.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise TransformError(use_case, f"{path}: {value!r} has more than {digits} fraction digits")
    if not 0 <= scaled <= maximum:
        raise TransformError(use_case, f"{path}: {value!r} is out of range")
    return int(scaled)


def trailing_digit(digits: int) -> int:
    """A ZCL Trailing Digit field: the digits right of the decimal point in the high nibble."""
    return digits << 4


def choice(body: etree._Element, names: Iterable[str], use_case: str) -> str:
    """The one of ``names`` present below ``body`` (an xs:choice)."""
    found = [name for name in names if xv.elements(body, name)]
    if len(found) != 1:
        raise TransformError(use_case, f"expected exactly one of {', '.join(names)}")
    return found[0]


def enumeration(body: etree._Element, path: str, use_case: str, values: dict[str, int]) -> int:
    """A DUIS enumeration element mapped to its GBCS value."""
    value = xv.text(body, path, use_case)
    if value not in values:
        raise TransformError(use_case, f"{path}: {value!r} is not one of {', '.join(values)}")
    return values[value]


# ISO 4217 numeric codes of the DUIS CurrencyUnits (ECB = euro)
CURRENCIES = {"GBP": 826, "ECB": 978}
# ZCL debt recovery frequency
DEBT_RECOVERY_PERIODS = {"HOURLY": 0, "DAILY": 1}


def _integer_text(item: etree._Element, name: str, use_case: str, minimum: int, maximum: int) -> int:
    return xv.checked_integer((item.text or "").strip(), name, use_case, minimum, maximum)


def indexed_integers(parent: etree._Element, name: str, use_case: str, *, minimum: int, maximum: int,
                     most: int) -> list[int]:
    """The ``name`` children carrying ``index`` attributes 1..n, as integers in index order."""
    items = xv.elements(parent, name)
    if not 1 <= len(items) <= most:
        raise TransformError(use_case, f"{name}: {len(items)} elements, expected 1..{most}")
    by_index: dict[int, int] = {}
    for item in items:
        index = item.get("index", "")
        if not index.isdigit() or int(index) in by_index:
            raise TransformError(use_case, f"{name}: index {index!r} missing or repeated")
        by_index[int(index)] = _integer_text(item, name, use_case, minimum, maximum)
    if sorted(by_index) != list(range(1, len(items) + 1)):
        raise TransformError(use_case, f"{name}: indices must run 1..{len(items)}")
    return [by_index[i] for i in range(1, len(items) + 1)]
