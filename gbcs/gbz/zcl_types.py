"""ZCL attribute data types: read a typed value from the wire and write it back.

Values in the tree:

* integers, bitmaps, enums, bool, UTC time, cluster/attribute ids, BACnet OID: ``int``
* floats (semi/single/double): ``float``, or the wire bytes as hex when the value is not
  finite or would not round-trip
* octet/character strings (short and long): hex of the bytes, or ``None`` for the
  "invalid" length (0xFF / 0xFFFF) which carries no bytes
* time of day, date, EUI-64, 128-bit key: hex of the wire bytes
* array/set/bag: ``{"element_type": t, "elements": [values]}``; structure:
  ``[{"type": t, "value": v}, ...]``; ``None`` for the invalid count 0xFFFF

All ZCL multi-byte fields are little-endian (gbcs spec §3.2, §6 pitfall 10).
"""

from __future__ import annotations

import math
import struct
import time
from functools import lru_cache
from typing import Any

from ..errors import DecodeError, EncodeError

EPOCH_2000 = 946684800
MAX_DEPTH = 16

# type id -> (size, signed) for every fixed-size type whose value is an int
FIXED_INT: dict[int, tuple[int, bool]] = {
    **{0x08 + i: (i + 1, False) for i in range(8)},  # data8..data64
    0x10: (1, False),  # bool
    **{0x18 + i: (i + 1, False) for i in range(8)},  # bitmap8..bitmap64
    **{0x20 + i: (i + 1, False) for i in range(8)},  # uint8..uint64
    **{0x28 + i: (i + 1, True) for i in range(8)},  # int8..int64
    0x30: (1, False),  # enum8
    0x31: (2, False),  # enum16
    0xE2: (4, False),  # UTC time
    0xE8: (2, False),  # cluster id
    0xE9: (2, False),  # attribute id
    0xEA: (4, False),  # BACnet OID
}
FLOATS: dict[int, struct.Struct] = {0x38: struct.Struct("<e"), 0x39: struct.Struct("<f"), 0x3A: struct.Struct("<d")}
FIXED_HEX: dict[int, int] = {0xE0: 4, 0xE1: 4, 0xF0: 8, 0xF1: 16}  # ToD, date, EUI-64, key128
STRINGS: dict[int, int] = {0x41: 1, 0x42: 1, 0x43: 2, 0x44: 2}  # type -> length-prefix size
TEXT_TYPES = frozenset((0x42, 0x44))
COLLECTIONS = frozenset((0x48, 0x50, 0x51))  # array, set, bag
STRUCT = 0x4C
NODATA = 0x00
UTC = 0xE2
KNOWN_TYPES = frozenset([*FIXED_INT, *FLOATS, *FIXED_HEX, *STRINGS, *COLLECTIONS, STRUCT, NODATA])
# "Analog" types carry a reportable-change field in Configure Reporting records.
ANALOG = frozenset([*range(0x20, 0x30), 0x38, 0x39, 0x3A, 0xE0, 0xE1, 0xE2])


@lru_cache(maxsize=8192)
def utc_text(seconds: int) -> str:
    """ISO-8601 text for a ZCL/GBZ UTC time (seconds since 2000-01-01); 0xFFFFFFFF is 'undefined'."""
    if seconds == 0xFFFFFFFF:
        return "undefined"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds + EPOCH_2000))


def date_text(raw: bytes) -> str:
    """A ZCL Date (year-1900, month, day, day-of-week; 0xFF = any) as text."""
    y, m, d, w = raw
    year = "****" if y == 0xFF else f"{1900 + y:04d}"
    month = "**" if m == 0xFF else f"{m:02d}"
    day = "**" if d == 0xFF else f"{d:02d}"
    return f"{year}-{month}-{day}" + ("" if w == 0xFF else f" dow {w}")


def fixed_size(type_id: int) -> int | None:
    """Wire size of a fixed-size type, or None for variable/unknown types."""
    if type_id in FIXED_INT:
        return FIXED_INT[type_id][0]
    if type_id in FLOATS:
        return FLOATS[type_id].size
    if type_id in FIXED_HEX:
        return FIXED_HEX[type_id]
    return 0 if type_id == NODATA else None


def read_value(data: bytes, pos: int, end: int, type_id: int, base: int, field: str, depth: int = 0) -> tuple[Any, int]:
    """Read one value of ``type_id`` at ``pos``; return ``(value, position after it)``."""
    info = FIXED_INT.get(type_id)
    if info is not None:
        nxt = pos + info[0]
        if nxt > end:
            raise DecodeError(base + pos, field, f"{info[0]}-byte value truncated ({end - pos} bytes left)")
        return int.from_bytes(data[pos:nxt], "little", signed=info[1]), nxt
    prefix = STRINGS.get(type_id)
    if prefix is not None:
        return _read_string(data, pos, end, prefix, base, field)
    if type_id in FIXED_HEX:
        nxt = pos + FIXED_HEX[type_id]
        if nxt > end:
            raise DecodeError(base + pos, field, f"{nxt - pos}-byte value truncated ({end - pos} bytes left)")
        return data[pos:nxt].hex().upper(), nxt
    if type_id in FLOATS:
        return _read_float(data, pos, end, FLOATS[type_id], base, field)
    if type_id == NODATA:
        return None, pos
    if type_id in COLLECTIONS or type_id == STRUCT:
        if depth >= MAX_DEPTH:
            raise DecodeError(base + pos, field, f"values nested deeper than {MAX_DEPTH} levels")
        if type_id == STRUCT:
            return _read_struct(data, pos, end, base, field, depth)
        return _read_collection(data, pos, end, base, field, depth)
    raise DecodeError(base + pos, field, f"unknown ZCL data type 0x{type_id:02X}, value length not determinable")


def _read_string(data: bytes, pos: int, end: int, prefix: int, base: int, field: str) -> tuple[str | None, int]:
    if pos + prefix > end:
        raise DecodeError(base + pos, field, "string length truncated")
    length = data[pos] if prefix == 1 else data[pos] | data[pos + 1] << 8
    start = pos + prefix
    if length == (0xFF if prefix == 1 else 0xFFFF):
        return None, start
    nxt = start + length
    if nxt > end:
        raise DecodeError(base + pos, field, f"string length {length} runs past the end ({end - start} bytes left)")
    return data[start:nxt].hex().upper(), nxt


def _read_float(data: bytes, pos: int, end: int, fmt: struct.Struct, base: int, field: str) -> tuple[Any, int]:
    nxt = pos + fmt.size
    if nxt > end:
        raise DecodeError(base + pos, field, f"{fmt.size}-byte float truncated")
    raw = data[pos:nxt]
    value = fmt.unpack(raw)[0]
    if math.isfinite(value) and fmt.pack(value) == raw:
        return value, nxt
    return raw.hex().upper(), nxt


def _read_collection(data: bytes, pos: int, end: int, base: int, field: str, depth: int) -> tuple[Any, int]:
    if pos + 3 > end:
        raise DecodeError(base + pos, field, "array header truncated")
    element_type = data[pos]
    count = data[pos + 1] | data[pos + 2] << 8
    pos += 3
    if count == 0xFFFF:
        return {"element_type": element_type, "elements": None}, pos
    if element_type == NODATA and count:
        raise DecodeError(base + pos - 3, field, "array of no-data elements")
    if count > end - pos:
        raise DecodeError(base + pos - 2, field, f"element count {count} exceeds the {end - pos} bytes left")
    elements = []
    for i in range(count):
        value, pos = read_value(data, pos, end, element_type, base, f"{field}[{i}]", depth + 1)
        elements.append(value)
    return {"element_type": element_type, "elements": elements}, pos


def _read_struct(data: bytes, pos: int, end: int, base: int, field: str, depth: int) -> tuple[Any, int]:
    if pos + 2 > end:
        raise DecodeError(base + pos, field, "structure count truncated")
    count = data[pos] | data[pos + 1] << 8
    pos += 2
    if count == 0xFFFF:
        return None, pos
    if count > end - pos:
        raise DecodeError(base + pos - 2, field, f"member count {count} exceeds the {end - pos} bytes left")
    members = []
    for i in range(count):
        if pos >= end:
            raise DecodeError(base + pos, f"{field}[{i}]", "member type truncated")
        member_type = data[pos]
        value, pos = read_value(data, pos + 1, end, member_type, base, f"{field}[{i}]", depth + 1)
        members.append({"type": member_type, "value": value})
    return members, pos


def annotate(record: dict, type_id: int, value: Any) -> None:
    """Add descriptive keys for a decoded value (``datetime``, ``as_text``, ``date``)."""
    if type_id == UTC:
        record["datetime"] = utc_text(value)
    elif type_id in TEXT_TYPES and value is not None:
        record["as_text"] = bytes.fromhex(value).decode("utf-8", "replace")
    elif type_id == 0xE1:
        record["date"] = date_text(bytes.fromhex(value))


def write_value(type_id: int, value: Any, path: str, depth: int = 0) -> bytes:
    """Encode one value of ``type_id``; raise EncodeError on a value the type cannot hold."""
    info = FIXED_INT.get(type_id)
    if info is not None:
        return int_bytes(value, info[0], info[1], path)
    prefix = STRINGS.get(type_id)
    if prefix is not None:
        return _write_string(value, prefix, path)
    if type_id in FIXED_HEX:
        return hex_bytes(value, path, FIXED_HEX[type_id])
    if type_id in FLOATS:
        return _write_float(FLOATS[type_id], value, path)
    if type_id == NODATA:
        if value is not None:
            raise EncodeError(path, "a no-data value must be null")
        return b""
    if depth >= MAX_DEPTH:
        raise EncodeError(path, f"values nested deeper than {MAX_DEPTH} levels")
    if type_id in COLLECTIONS:
        return _write_collection(value, path, depth)
    if type_id == STRUCT:
        return _write_struct(value, path, depth)
    raise EncodeError(path, f"unknown ZCL data type 0x{type_id:02X}")


def int_bytes(value: Any, size: int, signed: bool, path: str) -> bytes:
    """``value`` as a little-endian integer of ``size`` bytes."""
    if not isinstance(value, int):
        raise EncodeError(path, f"integer expected, got {type(value).__name__}")
    try:
        return value.to_bytes(size, "little", signed=signed)
    except OverflowError:
        raise EncodeError(path, f"{value} does not fit in {size} {'signed ' if signed else ''}bytes") from None


def hex_bytes(value: Any, path: str, size: int | None = None) -> bytes:
    """Bytes from a hex string, optionally of an exact size."""
    if not isinstance(value, str):
        raise EncodeError(path, f"hex string expected, got {type(value).__name__}")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise EncodeError(path, "not a hex string") from None
    if size is not None and len(raw) != size:
        raise EncodeError(path, f"{size} bytes expected, got {len(raw)}")
    return raw


def _write_string(value: Any, prefix: int, path: str) -> bytes:
    invalid = 0xFF if prefix == 1 else 0xFFFF
    if value is None:
        return invalid.to_bytes(prefix, "little")
    raw = hex_bytes(value, path)
    if len(raw) >= invalid:
        raise EncodeError(path, f"string of {len(raw)} bytes is too long (max {invalid - 1})")
    return len(raw).to_bytes(prefix, "little") + raw


def _write_float(fmt: struct.Struct, value: Any, path: str) -> bytes:
    if isinstance(value, str):
        return hex_bytes(value, path, fmt.size)
    if not isinstance(value, int | float):
        raise EncodeError(path, "number or hex string expected")
    try:
        return fmt.pack(value)
    except (OverflowError, struct.error) as exc:
        raise EncodeError(path, str(exc)) from None


def _write_collection(value: Any, path: str, depth: int) -> bytes:
    if not isinstance(value, dict):
        raise EncodeError(path, "array object expected")
    element_type = value.get("element_type")
    if not isinstance(element_type, int) or not 0 <= element_type <= 0xFF:
        raise EncodeError(path + "/element_type", "type id 0..255 expected")
    elements = value.get("elements")
    if elements is None:
        return bytes((element_type, 0xFF, 0xFF))
    if not isinstance(elements, list) or len(elements) >= 0xFFFF:
        raise EncodeError(path + "/elements", "list of fewer than 65535 elements expected")
    out = [bytes((element_type,)), len(elements).to_bytes(2, "little")]
    out += [write_value(element_type, e, f"{path}/elements/{i}", depth + 1) for i, e in enumerate(elements)]
    return b"".join(out)


def _write_struct(value: Any, path: str, depth: int) -> bytes:
    if value is None:
        return b"\xff\xff"
    if not isinstance(value, list) or len(value) >= 0xFFFF:
        raise EncodeError(path, "list of members expected")
    out = [len(value).to_bytes(2, "little")]
    for i, member in enumerate(value):
        if not isinstance(member, dict):
            raise EncodeError(f"{path}/{i}", "member object expected")
        member_type = member.get("type")
        if not isinstance(member_type, int) or not 0 <= member_type <= 0xFF:
            raise EncodeError(f"{path}/{i}/type", "type id 0..255 expected")
        out.append(bytes((member_type,)))
        out.append(write_value(member_type, member.get("value"), f"{path}/{i}/value", depth + 1))
    return b"".join(out)
