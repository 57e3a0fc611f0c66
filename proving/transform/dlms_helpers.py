"""Shared helpers of the DLMS (ESME) transforms: DUIS element access, DUIS times -> COSEM, A-XDR nodes.

* element access in the DUIS namespace with :class:`TransformError` naming the missing or bad
  element (``child``, ``text``, ``integer``, ``boolean``, ``enumerated``);
* DUIS ``xs:dateTime`` / ``xs:date`` / ``xs:time`` / DUIS wildcard dates -> COSEM date-time
  (12 bytes), date (5), time (4), and seconds since 2000-01-01 (profile range selectors);
* the execution date-time of future-dated commands ("now", "never" for a cancellation);
* A-XDR Data nodes and the access-request builder (invoke-id = 0x20 | counter & 0xFFFFFF);
* the "get protected attributes" action on a Data Protection object (ECS17b, ECS19, ECS21a ...)
  and profile reads by range;
* the Transformed result: the use case's message code is checked, and a command that goes out
  under the ACB on a User's behalf names the User as Supplementary Remote Party.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from lxml import etree

from gbcs.codes import message_codes
from gbcs.dlms import encode_dlms
from proving.catalogue import srv

from . import xml_values as xv
from .registry import DUIS_NS, TransformContext, Transformed, TransformError

Node = dict[str, Any]
Instruction = tuple[Any, ...]  # (kind, class id, OBIS text, member, data node[, selector, parameters])

EPOCH_2000 = datetime(2000, 1, 1, tzinfo=UTC)
CANCEL_YEAR = 3000  # DUIS: an ExecutionDateTime of 3000-12-31T00:00:00Z cancels a future-dated command
NOW = bytes(9) + b"\x80\x00\xff"  # COSEM date-time "now": execute immediately
NEVER = b"\xff" * 9 + b"\x80\x00\xff"  # COSEM date-time "never": cancel a pending activation
NULL: Node = {"type": "null"}


# ------------------------------------------------------------------ DUIS element access


def _tag(name: str) -> str:
    return f"{{{DUIS_NS}}}{name}"


def find(parent: etree._Element, path: str) -> etree._Element | None:
    """The first element at ``path`` (``/``-separated local names in the DUIS namespace), or None."""
    node: etree._Element | None = parent
    for name in path.split("/"):
        node = node.find(_tag(name)) if node is not None else None
    return node


def children(parent: etree._Element, name: str) -> list[etree._Element]:
    """All direct children called ``name``."""
    return list(parent.iterfind(_tag(name)))


def child(parent: etree._Element, path: str, use_case: str) -> etree._Element:
    """The element at ``path``; TransformError naming it when absent."""
    node = find(parent, path)
    if node is None:
        raise TransformError(use_case, f"missing element {path}")
    return node


def text(parent: etree._Element, path: str, use_case: str, *, optional: bool = False) -> str | None:
    """The stripped text of ``path``; None for an absent optional element."""
    node = find(parent, path)
    if node is None or not (node.text or "").strip():
        if optional:
            return None
        raise TransformError(use_case, f"missing element {path}")
    return (node.text or "").strip()


def integer(parent: etree._Element, path: str, use_case: str, low: int, high: int, *,
            optional: bool = False) -> int | None:
    """An integer element within ``[low, high]``; TransformError naming it otherwise."""
    raw = text(parent, path, use_case, optional=optional)
    return None if raw is None else xv.checked_integer(raw, path, use_case, low, high)


def boolean(parent: etree._Element, path: str, use_case: str) -> bool:
    """An ``xs:boolean`` element."""
    raw = text(parent, path, use_case)
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    raise TransformError(use_case, f"{path}: {raw!r} is not a boolean")


def enumerated(parent: etree._Element, path: str, use_case: str, table: dict[str, int]) -> int:
    """A DUIS enumeration value mapped through ``table``."""
    raw = text(parent, path, use_case)
    if raw not in table:
        raise TransformError(use_case, f"{path}: {raw!r} not one of {sorted(table)}")
    return table[raw]


# ------------------------------------------------------------------ DUIS times -> COSEM


def parse_datetime(raw: str, path: str, use_case: str) -> datetime:
    """A DUIS ``xs:dateTime`` as an aware UTC datetime (no zone = UTC)."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise TransformError(use_case, f"{path}: {raw!r} is not a date-time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cosem_datetime(value: datetime) -> bytes:
    """The COSEM date-time of a UTC instant: day-of-week and deviation unspecified, status FF."""
    value = value.astimezone(UTC)
    return (value.year.to_bytes(2, "big") + bytes((value.month, value.day, 0xFF, value.hour, value.minute,
                                                   value.second, value.microsecond // 10000)) + b"\x80\x00\xff")


def datetime_element(parent: etree._Element, path: str, use_case: str) -> bytes:
    """A DUIS ``xs:dateTime`` element as a COSEM date-time."""
    return cosem_datetime(parse_datetime(text(parent, path, use_case) or "", path, use_case))


def seconds_since_2000(value: datetime) -> int:
    """Seconds since 2000-01-01T00:00:00Z (the range selector of profile reads)."""
    seconds = int((value - EPOCH_2000).total_seconds())
    if not 0 <= seconds <= 0xFFFFFFFF:
        raise ValueError(f"{value.isoformat()} is outside the 32-bit range since 2000")
    return seconds


def cosem_time(raw: str, path: str, use_case: str) -> bytes:
    """A DUIS ``xs:time`` (e.g. ``07:30:00.00Z``) as a COSEM time (hundredths kept)."""
    try:
        value = time.fromisoformat(raw.rstrip("Z").split("+")[0])
    except ValueError:
        raise TransformError(use_case, f"{path}: {raw!r} is not a time") from None
    return bytes((value.hour, value.minute, value.second, value.microsecond // 10000))


def cosem_plain_date(raw: str, path: str, use_case: str, *, wildcard_year: int | None = None) -> bytes:
    """A DUIS ``xs:date`` (``2014-10-27Z``) as a COSEM date; ``wildcard_year`` (e.g. 65535) -> year FFFF."""
    body = raw.rstrip("Z")
    try:
        year_text, month, day = body.split("-")
        year = int(year_text)
        if year != wildcard_year:
            date(year, int(month), int(day))
        elif not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
            raise ValueError(raw)
    except ValueError:
        raise TransformError(use_case, f"{path}: {raw!r} is not a date") from None
    return (0xFFFF if year == wildcard_year else year).to_bytes(2, "big") + bytes((int(month), int(day), 0xFF))


_DAY_OF_MONTH_WILDCARDS = {"LastDayOfMonth": 0xFE, "SecondLastDayOfMonth": 0xFD, "NonSpecifiedDayOfMonth": 0xFF,
                           "GasNonSpecifiedDayOfMonth": 0xFF}


def cosem_wildcard_date(node: etree._Element, use_case: str) -> bytes:
    """A DUIS date with wildcards (Year / Month / DayOfMonth / DayOfWeek choices) as a COSEM date."""
    name = etree.QName(node).localname

    def choice(part: str, specified: str, low: int, high: int, wildcards: dict[str, int]) -> int:
        holder = child(node, part, use_case)
        value = integer(holder, specified, use_case, low, high, optional=True)
        if value is not None:
            return value
        for element in holder:
            local = etree.QName(element).localname
            if local in wildcards:
                return wildcards[local]
        raise TransformError(use_case, f"{name}/{part}: no value")

    year = choice("Year", "SpecifiedYear", 2014, 9999, {"NonSpecifiedYear": 0xFFFF})
    month = choice("Month", "SpecifiedMonth", 1, 12, {"NonSpecifiedMonth": 0xFF})
    day = choice("DayOfMonth", "SpecifiedDayOfMonth", 1, 31, _DAY_OF_MONTH_WILDCARDS)
    weekday = choice("DayOfWeek", "SpecifiedDayOfWeek", 1, 7, {"NonSpecifiedDayOfWeek": 0xFF})
    return year.to_bytes(2, "big") + bytes((month, day, weekday))


def execution_time(body: etree._Element, ctx: TransformContext) -> bytes:
    """The activation date-time of a future-datable command: now, the ExecutionDateTime, or never (cancel)."""
    raw = text(body, "ExecutionDateTime", ctx.use_case, optional=True)
    when = parse_datetime(raw, "ExecutionDateTime", ctx.use_case) if raw else ctx.execution_datetime
    if when is None:
        return NOW
    if when.year >= CANCEL_YEAR:
        return NEVER
    return cosem_datetime(when)


def log_period(body: etree._Element, ctx: TransformContext) -> tuple[datetime, datetime]:
    """The (start, end) of a DUIS ReadLogPeriod, or of a ReadLogPeriodOffset (DSP schedules).

    Offsets are days relative to the execution date (``ctx.execution_datetime``); start after
    end is an error.
    """
    use_case = ctx.use_case
    if find(body, "ReadLogPeriod") is not None:
        start = parse_datetime(text(body, "ReadLogPeriod/StartDateTime", use_case) or "",
                               "ReadLogPeriod/StartDateTime", use_case)
        end = parse_datetime(text(body, "ReadLogPeriod/EndDateTime", use_case) or "",
                             "ReadLogPeriod/EndDateTime", use_case)
    else:
        holder = next((e for e in body.iter(_tag("StartDateOffset"))), None)
        if holder is None:
            raise TransformError(use_case, "missing element ReadLogPeriod")
        offsets = holder.getparent()
        if ctx.execution_datetime is None:
            raise TransformError(use_case, "StartDateOffset: a period by offsets needs the execution date-time")
        day = ctx.execution_datetime.astimezone(UTC).date()

        def at(prefix: str) -> datetime:
            offset = integer(offsets, f"{prefix}DateOffset", use_case, -400, 0) or 0
            clock = cosem_time(text(offsets, f"{prefix}Time", use_case) or "", f"{prefix}Time", use_case)
            return datetime.combine(day, time(clock[0], clock[1], clock[2]), UTC) + timedelta(days=offset)

        start, end = at("Start"), at("End")
    if start > end:
        raise TransformError(use_case, "ReadLogPeriod: StartDateTime is after EndDateTime")
    return start, end


# ------------------------------------------------------------------ A-XDR nodes and the access-request


def node(kind: str, value: Any = None) -> Node:
    """An A-XDR Data node (octet strings take bytes or hex)."""
    if kind == "null":
        return dict(NULL)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex().upper()
    return {"type": kind, "value": value}


def octets(value: bytes) -> Node:
    """An octet-string node."""
    return node("octet-string", value)


def structure(*items: Node) -> Node:
    """A structure node."""
    return {"type": "structure", "value": list(items)}


def array(items: Iterable[Node]) -> Node:
    """An array node."""
    return {"type": "array", "value": list(items)}


def bit_string(number: int, bits: int) -> Node:
    """A bit-string node of the ``bits`` low bits of ``number``: its top bit is the string's first bit."""
    size = (bits + 7) // 8
    aligned = (number & ((1 << bits) - 1)) << (8 * size - bits)
    return {"type": "bit-string", "bits": bits, "value": aligned.to_bytes(size, "big").hex().upper()}


def get(class_id: int, obis: str, attribute: int) -> Instruction:
    """A get instruction."""
    return ("get", class_id, obis, attribute, dict(NULL))


def set_(class_id: int, obis: str, attribute: int, value: Node) -> Instruction:
    """A set instruction."""
    return ("set", class_id, obis, attribute, value)


def action(class_id: int, obis: str, method: int, value: Node) -> Instruction:
    """An action instruction."""
    return ("action", class_id, obis, method, value)


def invoke_id(counter: int) -> int:
    """The DLMS invoke-id of a command: 0x20 | low 24 bits of the originator counter."""
    return 0x20000000 | (counter & 0xFFFFFF)


def access_request(counter: int, instructions: Sequence[Instruction]) -> bytes:
    """Encode a DLMS access-request of ``instructions``."""
    requests, data = [], []
    for item in instructions:
        kind, class_id, obis, member, value = item[:5]
        spec: dict[str, Any] = {"kind": kind, "class_id": class_id, "obis": obis,
                                ("method" if kind == "action" else "attribute"): member}
        if kind in ("get-with-selection", "set-with-selection"):
            spec["selector"], spec["selector_parameters"] = item[5], item[6]
        requests.append(spec)
        data.append(value)
    return encode_dlms({"apdu": "access-request", "invoke_id": invoke_id(counter), "date_time": None,
                        "requests": requests, "data": data})


def srp_other_information(ctx: TransformContext, certificate: bytes = b"") -> bytes:
    """Other-information of a command the DCC's ACB sends on behalf of the User (``ctx.originator``).

    Message code, the Supplementary Remote Party ID (the User), its counter
    (``ctx.extra["supplementary_remote_party_counter"]``, default the command counter) and, for
    Unknown Remote Party requests, the User's KA certificate (DER).
    """
    srp_counter = int(ctx.extra.get("supplementary_remote_party_counter", ctx.counter))
    return ctx.message_code.to_bytes(2, "big") + ctx.originator + srp_counter.to_bytes(8, "big") + certificate


@cache
def _message_codes() -> dict[str, int]:
    """GBCS use case -> message code."""
    return {entry.use_case: code for code, entry in message_codes().items()}


SUPPLIER_OR_NETWORK_ROLES = frozenset({"IS", "GS", "ED", "GT"})  # Users that sign as Supplier / Network Operator


def via_acb(ctx: TransformContext) -> bool:
    """True when the command goes out under the ACB on the User's behalf.

    Either the DCC says so (``ctx.extra["via_acb"]``: an ES, OU or RSA User) or no User of the
    SRV has a Supplier or Network Operator role (e.g. 4.6.2, Export Supplier only).
    """
    if ctx.extra.get("via_acb"):
        return True
    try:
        roles = {role.value for role in srv(ctx.srv).roles}
    except KeyError:
        return False
    return bool(roles) and not roles & SUPPLIER_OR_NETWORK_ROLES


def dlms(ctx: TransformContext, instructions: Sequence[Instruction]) -> Transformed:
    """The Transformed DLMS payload of ``instructions``; the User as SRP when it goes out under the ACB."""
    expected = _message_codes().get(ctx.use_case)
    if expected is not None and expected != ctx.message_code:
        raise TransformError(ctx.use_case, f"message code 0x{ctx.message_code:04X} is not the use case's "
                                           f"0x{expected:04X}")
    other = srp_other_information(ctx) if via_acb(ctx) else None
    return Transformed(ctx.use_case, ctx.message_code, "dlms", access_request(ctx.counter, instructions), other)


# ------------------------------------------------------------------ protected and range reads


def obis_bytes(obis: str) -> bytes:
    """``"0-0:94.44.100.255"`` -> its 6 bytes."""
    return bytes(int(p) for p in obis.replace("-", ".").replace(":", ".").split("."))


def capture_object(class_id: int, obis: bytes | str, attribute: int) -> list[Node]:
    """A capture-object definition (class, logical name, attribute, data index 0)."""
    name = obis_bytes(obis) if isinstance(obis, str) else obis
    return [node("long-unsigned", class_id), octets(name), node("integer", attribute), node("long-unsigned", 0)]


def protected_read(ctx: TransformContext, protection_obis: str, targets: Sequence[tuple[int, str, int]],
                   period: tuple[datetime, datetime] | None = None) -> Instruction:
    """"Get protected attributes" (Data Protection, method 1) of ``targets``, optionally by date range.

    The protection asks for authenticated and encrypted data (protection type 2), agreed-key
    with the C(0e, 2s ECC CDH) scheme (parameters 02), transaction-id = 04 || counter (8 bytes),
    from the originator to the device, no other-information.
    """
    if period is None:
        access = structure(node("enum", 0), dict(NULL))
    else:
        access = structure(node("enum", 1), structure(octets(cosem_datetime(period[0])),
                                                      octets(cosem_datetime(period[1]))))
    descriptors = [structure(*capture_object(class_id, obis, attribute), access)
                   for class_id, obis, attribute in targets]
    options = structure(
        octets(b"\x04" + ctx.counter.to_bytes(8, "big")), octets(ctx.originator), octets(ctx.recipient), octets(b""),
        structure(node("enum", 2), structure(octets(b"\x02"), octets(b""))),
    )
    protection = array([structure(node("enum", 2), options)])
    return action(30, protection_obis, 1, structure(array(descriptors), protection))


def range_read(ctx: TransformContext, obis: str, period: tuple[datetime, datetime]) -> Instruction:
    """A profile buffer read by range (selector 1) restricted on the clock, over ``period``."""
    try:
        start, end = (seconds_since_2000(t) for t in period)
    except ValueError as exc:
        raise TransformError(ctx.use_case, f"ReadLogPeriod: {exc}") from None
    restricting = structure(*capture_object(1, "0-0:94.44.100.255", 2))
    parameters = structure(restricting, node("double-long-unsigned", start), node("double-long-unsigned", end),
                           array([]))
    return ("get-with-selection", 7, obis, 2, dict(NULL), 1, parameters)

