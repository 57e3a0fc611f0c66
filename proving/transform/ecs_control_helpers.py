"""Shared building blocks of the ESME control transforms (ECS27 and above): A-XDR nodes, COSEM
dates and times, DLMS instructions and the DUIS date / execution-time conventions.

Every helper raises :class:`~.registry.TransformError` naming the DUIS element it read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from emulator import cosem_time
from emulator.testkit import access_request
from gbcs.dlms.cosem import parse_obis
from gbcs.other_information import OtherInformation, encode_other_information

from . import xml_values as xv
from .registry import TransformContext, Transformed, TransformError

Node = dict[str, Any]
Instruction = tuple[Any, ...]

NULL: Node = {"type": "null"}
NOW = bytes(9) + b"\x80\x00\xff"  # COSEM date-time "now": immediate execution
NEVER = b"\xff" * 9 + b"\x80\x00\xff"  # COSEM date-time "never": cancels a stored future-dated command
CANCELLATION_YEAR = 3000  # DUIS ExecutionDateTime 3000-12-31 cancels a future-dated command
UTC_CLOCK = "0-0:94.44.100.255"  # the GBCS UTC seconds object a log range is restricted on
ACB_USER_ROLES = frozenset({"OU", "ES", "RSA"})  # DUIS User Roles whose requests the ACB sends (ctx.extra "user_role")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# GBCS message codes of the use cases of this family (GBCS Table 13.3.6; RTDS 4.5.0 for the newer ones)
MESSAGE_CODES: dict[str, int] = {
    "ECS27": 0x0042, "ECS28a": 0x0043, "ECS28b": 0x0044, "ECS29a": 0x0045, "ECS29b": 0x00AE,
    "ECS29c": 0x00D1, "ECS29d": 0x00D2, "ECS29e": 0x00D3, "ECS29f": 0x00D4, "ECS30": 0x0046,
    "ECS30a": 0x00D7, "ECS34": 0x0047, "ECS35a": 0x0048, "ECS35b": 0x0049, "ECS35c": 0x0093,
    "ECS35d": 0x0094, "ECS35e": 0x00B9, "ECS35f": 0x00BA, "ECS35g": 0x00FD, "ECS37": 0x004A,
    "ECS38": 0x004B, "ECS39a": 0x004C, "ECS39b": 0x004D, "ECS40": 0x004E, "ECS42": 0x004F,
    "ECS43": 0x0050, "ECS44": 0x0051, "ECS45": 0x0052, "ECS46a": 0x0053, "ECS46c": 0x0054,
    "ECS46d": 0x011A, "ECS47": 0x0055, "ECS47Activate": 0x0055, "ECS47Deactivate": 0x0055,
    "ECS47Reset": 0x0055, "ECS47a": 0x011E, "ECS47e": 0x011F, "ECS48": 0x00DB, "ECS50": 0x0058,
    "ECS52": 0x0059, "ECS57": 0x005A, "ECS61a": 0x00BB, "ECS61c": 0x005E, "ECS61d": 0x011C,
    "ECS61e": 0x011D, "ECS62": 0x005F, "ECS62Add": 0x005F, "ECS62Remove": 0x005F, "ECS66": 0x0060,
    "ECS70": 0x0062, "ECS70Commission": 0x0062, "ECS81": 0x0068, "ECS82": 0x0069,
}


# ---------------------------------------------------------------------------- A-XDR nodes


def node(kind: str, value: Any = None) -> Node:
    """An A-XDR Data node of ``kind`` (null has no value)."""
    return {"type": kind} if kind == "null" else {"type": kind, "value": value}


def flag(value: bool) -> Node:
    """A boolean node as GBCS sends it: TRUE is 0xFF, FALSE 0x00."""
    return node("boolean", 0xFF if value else 0)


def octets(data: bytes) -> Node:
    """An octet-string node."""
    return node("octet-string", data.hex().upper())


def structure(*members: Node) -> Node:
    """A structure node."""
    return node("structure", list(members))


def array(items: Sequence[Node]) -> Node:
    """An array node."""
    return node("array", list(items))


def bit_string(flags: Sequence[bool]) -> Node:
    """A bit-string node, first flag in the most significant bit."""
    value = 0
    for flag in flags:
        value = value << 1 | int(flag)
    padding = -len(flags) % 8
    raw = (value << padding).to_bytes((len(flags) + 7) // 8, "big")
    return {"type": "bit-string", "bits": len(flags), "value": raw.hex().upper()}


# ---------------------------------------------------------------------------- DLMS instructions


def get(class_id: int, obis: str, attribute: int) -> Instruction:
    """A get instruction."""
    return ("get", class_id, parse_obis(obis), attribute, NULL)


def put(class_id: int, obis: str, attribute: int, value: Node) -> Instruction:
    """A set instruction."""
    return ("set", class_id, parse_obis(obis), attribute, value)


def action(class_id: int, obis: str, method: int, parameters: Node) -> Instruction:
    """An action instruction."""
    return ("action", class_id, parse_obis(obis), method, parameters)


def get_range(class_id: int, obis: str, start: datetime, end: datetime) -> Instruction:
    """A get-with-selection of a profile buffer by a UTC range (selector 1, range descriptor)."""
    restricting = structure(node("long-unsigned", 1), octets(parse_obis(UTC_CLOCK)), node("integer", 2),
                            node("long-unsigned", 0))
    parameters = structure(restricting, node("double-long-unsigned", gbcs_seconds(start)),
                           node("double-long-unsigned", gbcs_seconds(end)), array([]))
    return ("get-with-selection", class_id, parse_obis(obis), 2, NULL, 1, parameters)


def via_acb(ctx: TransformContext) -> bool:
    """True when the DCC's ACB sends the command for the User: every CHF command, and OU / ES / RSA Users."""
    return ctx.device_type == "CHF" or ctx.extra.get("user_role") in ACB_USER_ROLES


def srp_other_information(ctx: TransformContext, code: int) -> bytes:
    """Other-information of an ACB command: code, the User (ctx.originator) as Supplementary Remote Party, and
    the User's request counter (extra "request_counter" or "supplementary_remote_party_counter"; default
    ctx.counter, which is the ACB's own command counter)."""
    counter = ctx.extra.get("request_counter", ctx.extra.get("supplementary_remote_party_counter", ctx.counter))
    return encode_other_information(OtherInformation(code, ctx.originator, int(counter)))


def dlms(ctx: TransformContext, instructions: Sequence[Instruction], use_case: str | None = None) -> Transformed:
    """The access-request payload of ``instructions`` for the context's transaction."""
    name = use_case or ctx.use_case
    if not instructions:
        raise TransformError(name, "the request body asks for nothing to do")
    code = MESSAGE_CODES.get(name, ctx.message_code)
    info = srp_other_information(ctx, code) if via_acb(ctx) else None
    return Transformed(name, code, "dlms", access_request(ctx.counter, instructions), info)


# ---------------------------------------------------------------------------- dates and times


def gbcs_seconds(when: datetime) -> int:
    """Seconds since 2000-01-01 UTC."""
    return cosem_time.to_gbcs_seconds(when.timestamp())


def cosem_datetime(when: datetime) -> bytes:
    """The 12-byte COSEM date-time of a UTC instant (day of week not specified, deviation unspecified)."""
    raw = bytearray(cosem_time.encode(when.timestamp()))
    raw[4] = 0xFF
    return bytes(raw)


def execution_time(body: etree._Element, ctx: TransformContext, use_case: str | None = None) -> bytes:
    """The activation date-time of a future-dateable command: now, the ExecutionDateTime, or never (cancel)."""
    name = use_case or ctx.use_case
    when = xv.date_time(body, "ExecutionDateTime", name, required=False) or ctx.execution_datetime
    if when is None:
        return NOW
    if when.year >= CANCELLATION_YEAR:
        return NEVER
    return cosem_datetime(when.astimezone(UTC))


def time_of_day(parent: etree._Element, path: str, use_case: str) -> bytes:
    """A COSEM time (hour, minute, second, hundredths) from an xs:time element."""
    value = xv.text(parent, path, use_case) or ""
    clock = value.rstrip("Z").split("+")[0]
    try:
        hours, minutes, seconds = clock.split(":")
        whole, _, fraction = seconds.partition(".")
        parts = int(hours), int(minutes), int(whole), int((fraction + "00")[:2])
    except ValueError:
        raise TransformError(use_case, f"{path}: {value!r} is not an xs:time") from None
    if not (0 <= parts[0] <= 23 and 0 <= parts[1] <= 59 and 0 <= parts[2] <= 59):
        raise TransformError(use_case, f"{path}: {value!r} is outside 00:00:00..23:59:59")
    return bytes(parts)


def _choice(parent: etree._Element, path: str, options: dict[str, int], specified: str, use_case: str,
            maximum: int) -> int:
    """A DUIS date field: the Specified... value or the wildcard byte of the chosen NoType element."""
    field = xv.element(parent, path, use_case)
    assert field is not None
    number = xv.integer(field, specified, use_case, required=False, minimum=1, maximum=maximum)
    if number is not None:
        return number
    for name, byte in options.items():
        if xv.element(field, name, use_case, required=False) is not None:
            return byte
    raise TransformError(use_case, f"{path}: none of {specified}, {', '.join(options)}")


def cosem_date(parent: etree._Element, use_case: str) -> bytes:
    """The 5-byte COSEM date of a DUIS sr:Date (Year, Month, DayOfMonth, DayOfWeek with wildcards)."""
    year = _choice(parent, "Year", {"NonSpecifiedYear": 0xFFFF}, "SpecifiedYear", use_case, 9999)
    month = _choice(parent, "Month", {"NonSpecifiedMonth": 0xFF}, "SpecifiedMonth", use_case, 12)
    day = _choice(parent, "DayOfMonth", {"NonSpecifiedDayOfMonth": 0xFF, "LastDayOfMonth": 0xFE,
                                         "SecondLastDayOfMonth": 0xFD}, "SpecifiedDayOfMonth", use_case, 31)
    weekday = _choice(parent, "DayOfWeek", {"NonSpecifiedDayOfWeek": 0xFF}, "SpecifiedDayOfWeek", use_case, 7)
    if year != 0xFFFF and year < 2014:
        raise TransformError(use_case, f"Year/SpecifiedYear: {year} is before 2014")
    return bytes((year >> 8, year & 0xFF, month, day, weekday))


def weekday_flags(parent: etree._Element, path: str, use_case: str) -> list[bool]:
    """Seven flags, Monday first, from DaysOfWeekApplicability/DayOfWeekApplicability/DayOfWeekID."""
    flags = [False] * 7
    for item in xv.elements(parent, f"{path}/DayOfWeekApplicability"):
        name = xv.text(item, "DayOfWeekID", use_case) or ""
        if name not in WEEKDAYS:
            raise TransformError(use_case, f"{path}/DayOfWeekApplicability/DayOfWeekID: {name!r} is not a day")
        flags[WEEKDAYS.index(name)] = True
    return flags


def log_period(body: etree._Element, use_case: str) -> tuple[datetime, datetime]:
    """ReadLogPeriod start and end; the end must not precede the start."""
    start = xv.date_time(body, "ReadLogPeriod/StartDateTime", use_case)
    end = xv.date_time(body, "ReadLogPeriod/EndDateTime", use_case)
    assert start is not None and end is not None
    if end < start:
        raise TransformError(use_case, "ReadLogPeriod/EndDateTime is before ReadLogPeriod/StartDateTime")
    return start, end


def attribute_int(item: etree._Element, name: str, use_case: str, minimum: int, maximum: int) -> int:
    """An integer XML attribute (e.g. index, auxiliaryControllerN) within ``minimum..maximum``."""
    where = f"{etree.QName(item).localname}/@{name}"
    value = item.get(name)
    if value is None:
        raise TransformError(use_case, f"missing attribute {where}")
    return xv.checked_integer(value, where, use_case, minimum, maximum)


def enumerated(parent: etree._Element, path: str, use_case: str, values: Sequence[str]) -> str:
    """A DUIS enumeration element, checked against ``values``."""
    value = xv.text(parent, path, use_case) or ""
    if value not in values:
        raise TransformError(use_case, f"{path}: {value!r} is not one of {', '.join(values)}")
    return value


def present(parent: etree._Element, path: str) -> bool:
    """True when the (optional, usually NoType) element at ``path`` is present."""
    return bool(xv.elements(parent, path))
