"""A-XDR encoding of the DLMS ``Data`` CHOICE: the whole type set, decode and encode.

A decoded element is a dict with a ``type`` name and, for every type but null, a
``value``.  Byte strings are upper-case hex; ``bit-string`` adds ``bits`` (the bit
count); ``compact-array`` adds ``type_description``.  Keys such as ``datetime`` are
annotations for people and are ignored by the encoder.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from functools import cache
from typing import Any

from ..ber import encode_length
from ..errors import DecodeError, EncodeError
from .datetime import describe_date, describe_date_time, describe_time

MAX_DEPTH = 64

# tag -> (name, fixed size or None, struct format or None)
TYPE_NAMES: dict[int, str] = {
    0x00: "null",
    0x01: "array",
    0x02: "structure",
    0x03: "boolean",
    0x04: "bit-string",
    0x05: "double-long",
    0x06: "double-long-unsigned",
    0x09: "octet-string",
    0x0A: "visible-string",
    0x0C: "utf8-string",
    0x0D: "bcd",
    0x0F: "integer",
    0x10: "long",
    0x11: "unsigned",
    0x12: "long-unsigned",
    0x13: "compact-array",
    0x14: "long64",
    0x15: "long64-unsigned",
    0x16: "enum",
    0x17: "float32",
    0x18: "float64",
    0x19: "date-time",
    0x1A: "date",
    0x1B: "time",
}
TAGS: dict[str, int] = {name: tag for tag, name in TYPE_NAMES.items()}

_INT_FORMATS: dict[int, struct.Struct] = {
    0x05: struct.Struct(">i"),
    0x06: struct.Struct(">I"),
    0x0F: struct.Struct(">b"),
    0x10: struct.Struct(">h"),
    0x11: struct.Struct(">B"),
    0x12: struct.Struct(">H"),
    0x14: struct.Struct(">q"),
    0x15: struct.Struct(">Q"),
    0x16: struct.Struct(">B"),
    0x0D: struct.Struct(">B"),
}
_LEAF_INTS: dict[int, tuple[str, int, Callable[[bytes, int], tuple[int]]]] = {
    tag: (TYPE_NAMES[tag], fmt.size, fmt.unpack_from) for tag, fmt in _INT_FORMATS.items()
}
# The same, indexed by tag (a list lookup is cheaper than dict.get on the hot path).
_LEAF_TABLE: list[tuple[str, int, Callable[[bytes, int], tuple[int]]] | None] = [
    _LEAF_INTS.get(tag) for tag in range(256)
]
_FLOAT_FORMATS: dict[int, struct.Struct] = {0x17: struct.Struct(">f"), 0x18: struct.Struct(">d")}
_FIXED_OCTETS: dict[int, tuple[int, Callable[[bytes], str | None]]] = {
    0x19: (12, describe_date_time),
    0x1A: (5, describe_date),
    0x1B: (4, describe_time),
}


def read_spelled_count(buf: bytes, pos: int, end: int, field: str) -> tuple[int, int, int | None]:
    """Read an A-XDR quantity (BER-style length or count) without tying it to the bytes left.

    Returns ``(value, position after, long-form octets)``; the last is None when the value
    is in its shortest form, else the number of octets it was written with (1-4), which
    the caller records so the element re-encodes exactly.
    """
    if pos >= end:
        raise DecodeError(pos, field, "count expected, input ends")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1, None
    n = first & 0x7F
    if n == 0 or n > 4 or pos + 1 + n > end:
        raise DecodeError(pos, field, f"bad count prefix 0x{first:02X}")
    value = int.from_bytes(buf[pos + 1 : pos + 1 + n], "big")
    shortest = value >= 0x80 and value >= (1 << (8 * (n - 1)))
    return value, pos + 1 + n, None if shortest else n


def read_count(buf: bytes, pos: int, end: int, field: str) -> tuple[int, int]:
    """Read an A-XDR quantity that must be in its shortest form (where no node can record it)."""
    value, after, spelled = read_spelled_count(buf, pos, end, field)
    if spelled is not None:
        raise DecodeError(pos, field, f"count {value} is not in its shortest form")
    return value, after


def _read_octets(buf: bytes, pos: int, end: int, field: str) -> tuple[bytes, int, int | None]:
    """Read a length-prefixed octet string: (bytes, position after, long-form octets or None)."""
    start = pos
    length, pos, spelled = read_spelled_count(buf, pos, end, field)
    if pos + length > end:
        raise DecodeError(start, field, f"length {length} runs past the end of the data ({end - pos} left)")
    return buf[pos : pos + length], pos + length, spelled


def _spelled_length(value: int, node: dict[str, Any], path: str) -> bytes:
    """A length or count as the node recorded it (``length_octets``), else in its shortest form."""
    octets = node.get("length_octets")
    if octets is None:
        return encode_length(value)
    if not isinstance(octets, int) or not 1 <= octets <= 4 or value >= 1 << (8 * octets):
        raise EncodeError(path, f"length_octets {octets!r} cannot hold {value}")
    return bytes((0x80 | octets,)) + value.to_bytes(octets, "big")


def decode_data(buf: bytes, pos: int, end: int, depth: int = 0) -> tuple[dict[str, Any], int]:
    """Decode one tagged Data element at ``pos``; return it and the position after it."""
    if pos >= end:
        raise DecodeError(pos, "data", "element expected, input ends")
    return _decode_value(buf[pos], buf, pos + 1, end, depth)


def _decode_value(tag: int, buf: bytes, pos: int, end: int, depth: int) -> tuple[dict[str, Any], int]:
    """Decode the value of a Data element whose tag has been read already."""
    leaf = _LEAF_TABLE[tag]
    if leaf is not None:
        name, size, unpack = leaf
        if pos + size > end:
            raise DecodeError(pos, name, f"{size} bytes expected, {end - pos} left")
        return {"type": name, "value": unpack(buf, pos)[0]}, pos + size
    if tag == 0x09:
        length = buf[pos] if pos < end else 0x100
        if length < 0x80 and pos + 1 + length <= end:
            raw = buf[pos + 1 : pos + 1 + length]
            pos += 1 + length
            spelled = None
        else:
            raw, pos, spelled = _read_octets(buf, pos, end, "octet-string")
        node: dict[str, Any] = {"type": "octet-string", "value": raw.hex().upper()}
        if spelled:
            node["length_octets"] = spelled
        if len(raw) == 12:
            when = describe_date_time(raw)
            if when is not None:
                node["datetime"] = when
        return node, pos
    if tag == 0x02 or tag == 0x01:
        if depth >= MAX_DEPTH:
            raise DecodeError(pos - 1, TYPE_NAMES[tag], f"nesting deeper than {MAX_DEPTH} levels")
        return _decode_containers(tag, buf, pos, end, depth)
    if tag == 0x00:
        return {"type": "null"}, pos
    if tag == 0x03:
        if pos >= end:
            raise DecodeError(pos, "boolean", "1 byte expected, input ends")
        byte = buf[pos]
        return {"type": "boolean", "value": bool(byte) if byte in (0, 1) else byte}, pos + 1
    if tag == 0x04:
        bits, pos, spelled = read_spelled_count(buf, pos, end, "bit-string")
        nbytes = (bits + 7) // 8
        if pos + nbytes > end:
            raise DecodeError(pos, "bit-string", f"{nbytes} bytes expected, {end - pos} left")
        node = {"type": "bit-string", "bits": bits, "value": buf[pos : pos + nbytes].hex().upper()}
        if spelled:
            node["length_octets"] = spelled
        return node, pos + nbytes
    if tag == 0x0A or tag == 0x0C:
        raw, pos, spelled = _read_octets(buf, pos, end, TYPE_NAMES[tag])
        node = _string_node(TYPE_NAMES[tag], raw)
        if spelled:
            node["length_octets"] = spelled
        return node, pos
    fixed = _FIXED_OCTETS.get(tag)
    if fixed is not None:
        size, describe = fixed
        if pos + size > end:
            raise DecodeError(pos, TYPE_NAMES[tag], f"{size} bytes expected, {end - pos} left")
        raw = buf[pos : pos + size]
        node = {"type": TYPE_NAMES[tag], "value": raw.hex().upper()}
        when = describe(raw)
        if when is not None:
            node["datetime"] = when
        return node, pos + size
    ffmt = _FLOAT_FORMATS.get(tag)
    if ffmt is not None:
        if pos + ffmt.size > end:
            raise DecodeError(pos, TYPE_NAMES[tag], f"{ffmt.size} bytes expected, {end - pos} left")
        return _float_node(TYPE_NAMES[tag], ffmt, buf[pos : pos + ffmt.size]), pos + ffmt.size
    if tag == 0x13:
        if depth >= MAX_DEPTH:
            raise DecodeError(pos - 1, "compact-array", f"nesting deeper than {MAX_DEPTH} levels")
        return _decode_compact_array(buf, pos, end, depth)
    raise DecodeError(pos - 1, "data", f"unknown A-XDR type tag 0x{tag:02X}")


def _container_head(
    tag: int, buf: bytes, pos: int, end: int
) -> tuple[dict[str, Any], list[dict[str, Any]], int, int]:
    """Read an array or structure's element count: (node, its empty member list, count, position after)."""
    count, pos, spelled = read_spelled_count(buf, pos, end, TYPE_NAMES[tag] + " count")
    if count > end - pos:
        raise DecodeError(pos, TYPE_NAMES[tag], f"{count} elements cannot fit in {end - pos} bytes")
    members: list[dict[str, Any]] = []
    node: dict[str, Any] = {"type": TYPE_NAMES[tag], "value": members}
    if spelled:
        node["length_octets"] = spelled
    return node, members, count, pos


def _decode_containers(tag: int, buf: bytes, pos: int, end: int, depth: int) -> tuple[dict[str, Any], int]:
    """An array or structure and everything inside it, with an explicit stack instead of recursion.

    Nested arrays and structures are the bulk of GBCS DLMS data; walking them in one
    loop avoids a Python call per element.  ``depth`` of the outermost is already checked.
    """
    root, items, remaining, pos = _container_head(tag, buf, pos, end)
    parents: list[tuple[list[dict[str, Any]], int]] = []
    while True:
        if not remaining:
            if not parents:
                return root, pos
            items, remaining = parents.pop()
            continue
        remaining -= 1
        if pos >= end:
            raise DecodeError(pos, "data", "element expected, input ends")
        inner = buf[pos]
        if inner == 0x09:
            length = buf[pos + 1] if pos + 1 < end else 0x100
            if length < 0x80 and pos + 2 + length <= end:
                raw = buf[pos + 2 : pos + 2 + length]
                node: dict[str, Any] = {"type": "octet-string", "value": raw.hex().upper()}
                if length == 12:
                    when = describe_date_time(raw)
                    if when is not None:
                        node["datetime"] = when
                items.append(node)
                pos += 2 + length
                continue
        elif inner == 0x02 or inner == 0x01:
            level = depth + len(parents) + 1
            if level >= MAX_DEPTH:
                raise DecodeError(pos, TYPE_NAMES[inner], f"nesting deeper than {MAX_DEPTH} levels")
            container, children, count, pos = _container_head(inner, buf, pos + 1, end)
            items.append(container)
            parents.append((items, remaining))
            items, remaining = children, count
            continue
        elif inner == 0x00:
            items.append({"type": "null"})
            pos += 1
            continue
        leaf = _LEAF_TABLE[inner]
        if leaf is not None:
            name, size, unpack = leaf
            if pos + 1 + size > end:
                raise DecodeError(pos + 1, name, f"{size} bytes expected, {end - pos - 1} left")
            items.append({"type": name, "value": unpack(buf, pos + 1)[0]})
            pos += 1 + size
            continue
        node, pos = _decode_value(inner, buf, pos + 1, end, depth + len(parents) + 1)
        items.append(node)


def _string_node(type_name: str, raw: bytes) -> dict[str, Any]:
    """visible-string / utf8-string: text when it decodes, else hex under ``hex``."""
    try:
        text = raw.decode("ascii" if type_name == "visible-string" else "utf-8")
    except UnicodeDecodeError:
        return {"type": type_name, "hex": raw.hex().upper()}
    return {"type": type_name, "value": text}


def _float_node(type_name: str, fmt: struct.Struct, raw: bytes) -> dict[str, Any]:
    value = fmt.unpack(raw)[0]
    if math.isnan(value):
        return {"type": type_name, "raw": raw.hex().upper(), "value": None}
    return {"type": type_name, "value": value}


# ---------------------------------------------------------------- compact-array


def _decode_type_description(buf: bytes, pos: int, end: int, depth: int) -> tuple[dict[str, Any], int]:
    if depth >= MAX_DEPTH:
        raise DecodeError(pos, "type-description", f"nesting deeper than {MAX_DEPTH} levels")
    if pos >= end:
        raise DecodeError(pos, "type-description", "input ends")
    tag = buf[pos]
    pos += 1
    if tag == 0x01:
        if pos + 2 > end:
            raise DecodeError(pos, "type-description", "array element count truncated")
        count = int.from_bytes(buf[pos : pos + 2], "big")
        element, pos = _decode_type_description(buf, pos + 2, end, depth + 1)
        return {"type": "array", "count": count, "element": element}, pos
    if tag == 0x02:
        count, pos = read_count(buf, pos, end, "type-description structure count")
        if count > end - pos:
            raise DecodeError(pos, "type-description", f"{count} members cannot fit in {end - pos} bytes")
        members = []
        for _ in range(count):
            member, pos = _decode_type_description(buf, pos, end, depth + 1)
            members.append(member)
        return {"type": "structure", "members": members}, pos
    if tag in TYPE_NAMES and tag != 0x13:
        return {"type": TYPE_NAMES[tag]}, pos
    raise DecodeError(pos - 1, "type-description", f"unknown type tag 0x{tag:02X}")


def _decode_compact_array(buf: bytes, pos: int, end: int, depth: int) -> tuple[dict[str, Any], int]:
    start = pos - 1
    description, pos = _decode_type_description(buf, pos, end, depth + 1)
    length, pos = read_count(buf, pos, end, "compact-array contents length")
    stop = pos + length
    if stop > end:
        raise DecodeError(pos, "compact-array", f"contents length {length} runs past the end ({end - pos} left)")
    fast = _flat_integer_layout(description)
    if fast is not None and length % fast.size == 0:
        if description["type"] == "structure":
            values: list[Any] = [list(row) for row in fast.iter_unpack(buf[pos:stop])]
        else:
            values = [row[0] for row in fast.iter_unpack(buf[pos:stop])]
        return {"type": "compact-array", "type_description": description, "value": values}, stop
    values = []
    while pos < stop:
        value, new_pos = _decode_untagged(buf, pos, stop, description, depth + 1)
        if new_pos == pos:
            raise DecodeError(start, "compact-array", "element type occupies no bytes")
        values.append(value)
        pos = new_pos
    return {"type": "compact-array", "type_description": description, "value": values}, stop


_INT_CODES = {TYPE_NAMES[tag]: fmt.format[1:] for tag, fmt in _INT_FORMATS.items()}


def _flat_integer_layout(description: dict[str, Any]) -> struct.Struct | None:
    """A struct for a type description that is one integer type or a flat structure of them."""
    if description["type"] == "structure":
        members = description["members"]
        if not members or any(member["type"] not in _INT_CODES for member in members):
            return None
        return _layout(">" + "".join(_INT_CODES[member["type"]] for member in members))
    code = _INT_CODES.get(description["type"])
    return None if code is None else _layout(">" + code)


@cache
def _layout(fmt: str) -> struct.Struct:
    return struct.Struct(fmt)


def _decode_untagged(buf: bytes, pos: int, end: int, desc: dict[str, Any], depth: int) -> tuple[Any, int]:
    """Decode a value whose type comes from a compact-array type description."""
    if depth >= MAX_DEPTH:
        raise DecodeError(pos, "compact-array", f"nesting deeper than {MAX_DEPTH} levels")
    kind = desc["type"]
    if kind == "structure":
        out = []
        for member in desc["members"]:
            value, pos = _decode_untagged(buf, pos, end, member, depth + 1)
            out.append(value)
        return out, pos
    if kind == "array":
        out = []
        for _ in range(desc["count"]):
            value, pos = _decode_untagged(buf, pos, end, desc["element"], depth + 1)
            out.append(value)
        return out, pos
    tag = TAGS[kind]
    if tag in (0x0A, 0x0C):
        # Strings inside compact arrays are kept as hex: exact whatever the bytes are.
        start = pos
        raw, pos, spelled = _read_octets(buf, pos, end, kind)
        if spelled:
            raise DecodeError(start, kind, "length not in its shortest form inside a compact-array")
        return raw.hex().upper(), pos
    start = pos
    node, pos = _decode_value(tag, buf, pos, end, depth + 1)
    if "length_octets" in node:
        raise DecodeError(start, kind, "length not in its shortest form inside a compact-array")
    return node.get("raw") or node.get("value"), pos


# ---------------------------------------------------------------- encoding


def encode_data(node: dict[str, Any], path: str = "data") -> bytes:
    """Encode one Data element (the inverse of :func:`decode_data`)."""
    out: list[bytes] = []
    try:
        _encode_fast(node, out, 0)
    except Exception:  # anything unusual or wrong: the full encoder gives the bytes or the exact error
        out = []
        _encode_into(node, out, path, 0)
    return b"".join(out)


class _Unusual(Exception):
    """Raised by the fast encoder for input it leaves to the full one."""


_TAG_BYTES: dict[str, bytes] = {name: bytes((tag,)) for name, tag in TAGS.items()}
_SHORT_LENGTHS: tuple[bytes, ...] = tuple(bytes((n,)) for n in range(0x80))
_PACKERS: dict[str, Callable[..., bytes]] = {TYPE_NAMES[tag]: fmt.pack for tag, fmt in _INT_FORMATS.items()}


def _encode_fast(root: Any, out: list[bytes], depth: int) -> None:
    """The common shapes (integers, null, octet-strings, arrays and structures in their shortest
    form) in one loop without path bookkeeping; other types go through :func:`_encode_value`.
    Raises on anything it does not take, and :func:`encode_data` starts over with the full encoder."""
    append = out.append
    packers = _PACKERS
    short = _SHORT_LENGTHS
    stack: list[tuple[Any, int]] = [(iter((root,)), depth)]
    while stack:
        items, level = stack[-1]
        for node in items:
            if type(node) is not dict or level > MAX_DEPTH:
                raise _Unusual
            kind = node.get("type")
            tag_byte = _TAG_BYTES[kind]  # KeyError (unknown type) or TypeError: the full encoder reports it
            append(tag_byte)
            pack = packers.get(kind)
            if pack is not None:
                append(pack(node.get("value")))
            elif kind == "octet-string":
                raw = bytes.fromhex(node.get("value"))  # type: ignore[arg-type]
                if "length_octets" in node:
                    raise _Unusual
                append(short[len(raw)] if len(raw) < 0x80 else encode_length(len(raw)))
                append(raw)
            elif kind == "structure" or kind == "array":
                value = node.get("value")
                if type(value) is not list or "length_octets" in node:
                    raise _Unusual
                append(short[len(value)] if len(value) < 0x80 else encode_length(len(value)))
                stack.append((iter(value), level + 1))
                break  # the members first; this level's iterator resumes after them
            elif kind != "null":
                _encode_value(tag_byte[0], kind, node, node.get("value"), out, "data", level)
        else:
            stack.pop()


def _hex(value: Any, path: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise EncodeError(path, f"expected a hex string, got {value!r}") from None


def _encode_into(node: Any, out: list[bytes], path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise EncodeError(path, f"nesting deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict) or node.get("type") not in TAGS:
        raise EncodeError(path, "expected a Data element with a known 'type'")
    kind = node["type"]
    tag = TAGS[kind]
    out.append(bytes((tag,)))
    _encode_value(tag, kind, node, node.get("value"), out, path, depth)


def _encode_value(
    tag: int, kind: str, node: dict[str, Any], value: Any, out: list[bytes], path: str, depth: int
) -> None:
    """Append the value bytes (without the tag) of a Data element."""
    fmt = _INT_FORMATS.get(tag)
    if fmt is not None:
        try:
            out.append(fmt.pack(value))
        except (struct.error, TypeError):
            raise EncodeError(path, f"{kind} value {value!r} out of range") from None
        return
    if tag == 0x00:
        return
    if tag in (0x01, 0x02):
        if not isinstance(value, list):
            raise EncodeError(path, f"{kind} value must be a list")
        out.append(_spelled_length(len(value), node, path))
        for i, item in enumerate(value):
            _encode_into(item, out, f"{path}/{i}", depth + 1)
        return
    if tag == 0x09:
        raw = _hex(value, path)
        out.append(_spelled_length(len(raw), node, path) + raw)
        return
    if tag == 0x03:
        if isinstance(value, bool):
            out.append(b"\x01" if value else b"\x00")
        elif isinstance(value, int) and 0 <= value <= 255:
            out.append(bytes((value,)))
        else:
            raise EncodeError(path, f"boolean value {value!r} invalid")
        return
    if tag == 0x04:
        raw = _hex(value, path)
        bits = node.get("bits", len(raw) * 8)
        if (bits + 7) // 8 != len(raw):
            raise EncodeError(path, f"bit-string of {bits} bits needs {(bits + 7) // 8} bytes, got {len(raw)}")
        out.append(_spelled_length(bits, node, path) + raw)
        return
    if tag in (0x0A, 0x0C):
        if "hex" in node:
            raw = _hex(node["hex"], path)
        elif isinstance(value, str):
            raw = value.encode("ascii" if tag == 0x0A else "utf-8", errors="strict")
        else:
            raise EncodeError(path, f"{kind} needs a text 'value' or a 'hex'")
        out.append(_spelled_length(len(raw), node, path) + raw)
        return
    if tag in _FIXED_OCTETS:
        raw = _hex(value, path)
        if len(raw) != _FIXED_OCTETS[tag][0]:
            raise EncodeError(path, f"{kind} must be {_FIXED_OCTETS[tag][0]} bytes")
        out.append(raw)
        return
    if tag in _FLOAT_FORMATS:
        if node.get("raw") is not None:
            out.append(_hex(node["raw"], path))
        else:
            try:
                out.append(_FLOAT_FORMATS[tag].pack(value))
            except (struct.error, TypeError):
                raise EncodeError(path, f"{kind} value {value!r} invalid") from None
        return
    if tag == 0x13:
        _encode_compact_array(node, out, path, depth)
        return
    raise EncodeError(path, f"cannot encode type {kind}")  # pragma: no cover - TAGS is exhaustive


def _encode_type_description(desc: dict[str, Any], out: list[bytes], path: str) -> None:
    kind = desc.get("type")
    if kind == "array":
        out.append(b"\x01" + int(desc["count"]).to_bytes(2, "big"))
        _encode_type_description(desc["element"], out, path)
    elif kind == "structure":
        out.append(b"\x02" + encode_length(len(desc["members"])))
        for member in desc["members"]:
            _encode_type_description(member, out, path)
    elif kind in TAGS and kind != "compact-array":
        out.append(bytes((TAGS[kind],)))
    else:
        raise EncodeError(path, f"bad compact-array type description {desc!r}")


def _encode_untagged(value: Any, desc: dict[str, Any], out: list[bytes], path: str, depth: int) -> None:
    kind = desc["type"]
    if kind in ("structure", "array"):
        members = desc["members"] if kind == "structure" else [desc["element"]] * desc["count"]
        if not isinstance(value, list) or len(value) != len(members):
            raise EncodeError(path, f"compact-array {kind} value does not match its type description")
        for i, (item, member) in enumerate(zip(value, members, strict=True)):
            _encode_untagged(item, member, out, f"{path}/{i}", depth + 1)
        return
    tag = TAGS[kind]
    if tag in (0x0A, 0x0C) or (tag in _FLOAT_FORMATS and isinstance(value, str)):
        raw = _hex(value, path)
        out.append(raw if tag in _FLOAT_FORMATS else encode_length(len(raw)) + raw)
        return
    _encode_value(tag, kind, {"type": kind, "value": value}, value, out, path, depth)


def _encode_compact_array(node: dict[str, Any], out: list[bytes], path: str, depth: int) -> None:
    desc = node.get("type_description")
    values = node.get("value")
    if not isinstance(desc, dict) or not isinstance(values, list):
        raise EncodeError(path, "compact-array needs 'type_description' and a list 'value'")
    _encode_type_description(desc, out, path)
    body: list[bytes] = []
    for i, value in enumerate(values):
        _encode_untagged(value, desc, body, f"{path}/value/{i}", depth + 1)
    contents = b"".join(body)
    out.append(encode_length(len(contents)) + contents)
