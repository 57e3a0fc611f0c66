"""Fixed ZCL command layouts: a small declarative table and one reader/writer for all of them.

A layout is a sequence of fields, optionally followed by a *tail* that runs to the end
of the payload (repeated entries, a list of integers, raw hex, or a custom codec).
Fields after ``OPT`` may be missing at the end of the payload (later ZCL revisions
appended them); the decoder records exactly the fields present and the encoder writes
fields in order up to the first missing optional one, so the round trip is exact.

Field kinds are ``(size, signed, special)``; size 0 means a length-prefixed string.
UTC fields get a ``<name>_datetime`` annotation, dates ``<name>_date``, printable
strings ``<name>_text`` and status fields ``<name>_name``; encoders ignore all of them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import DecodeError, EncodeError
from .zcl_names import STATUS
from .zcl_types import date_text, hex_bytes, int_bytes, read_value, utc_text, write_value

Field = tuple[str, int, bool, str | None]

U8, U16, U24, U32, U48 = (1, False, None), (2, False, None), (3, False, None), (4, False, None), (6, False, None)
I32 = (4, True, None)
B8, B16, B24, B32 = U8, U16, U24, U32
E8 = U8
UTC = (4, False, "utc")
DATE = (4, False, "date")
STATUS8 = (1, False, "status")
OSTR = (0, False, "ostr")
CSTR = (0, False, "cstr")
OPT = object()


class Custom(NamedTuple):
    """A tail whose layout depends on its content: read(data, pos, end, base, fields) and write(value, fields, path)."""

    read: Callable[[bytes, int, int, int, dict], Any]
    write: Callable[[Any, dict, str], bytes]


class Step(NamedTuple):
    """One plan step: a run of fixed-size fields read with one precompiled Struct, or a single string field.

    ``post`` lists the run's fields needing more than the Struct gives:
    ``(name, bytes->int, signed, special, annotation key)``.
    """

    is_run: bool
    size: int
    unpack: Callable[[bytes, int], tuple] | None
    names: tuple[str, ...]
    post: tuple[tuple[str, bool, bool, str | None, str], ...]
    fields: tuple[Field, ...]
    pack: Callable[..., bytes] | None  # set when the run's values pack directly (no 3/6-byte ints, no dates)


class Layout(NamedTuple):
    """Fields, index of the first optional field, an optional tail ``(name, kind, spec)`` and the fast plan."""

    fields: tuple[Field, ...]
    opt_from: int
    tail: tuple[str, str, Any] | None
    plan: tuple[Step, ...]  # how to read the required fields quickly


_NOTE_SUFFIX = {"utc": "_datetime", "status": "_name", "date": "_date"}
_STRUCT_CODES = {(1, False): "B", (2, False): "H", (4, False): "I", (8, False): "Q",
                 (1, True): "b", (2, True): "h", (4, True): "i", (8, True): "q"}


def _run(fields: list[Field]) -> Step:
    codes, post = [], []
    for name, size, signed, special in fields:
        code = "4s" if special == "date" else _STRUCT_CODES.get((size, signed))
        note = name + _NOTE_SUFFIX.get(special, "")
        if code is None:
            code = f"{size}s"
            post.append((name, True, signed, special, note))
        elif special:
            post.append((name, False, signed, special, note))
        codes.append(code)
    st = struct.Struct("<" + "".join(codes))
    direct = not any(convert or special == "date" for _, convert, _, special, _ in post)
    return Step(True, st.size, st.unpack_from, tuple(f[0] for f in fields), tuple(post), tuple(fields),
                st.pack if direct else None)


def _plan(fields: tuple[Field, ...]) -> tuple[Step, ...]:
    """Group consecutive fixed-size fields into Struct runs; strings stay single fields."""
    plan: list[Step] = []
    run: list[Field] = []
    for f in fields:
        if f[1]:
            run.append(f)
            continue
        if run:
            plan.append(_run(run))
            run = []
        plan.append(Step(False, 0, None, (), (), (f,), None))
    if run:
        plan.append(_run(run))
    return tuple(plan)


def layout(*items: Any, entries: tuple[str, Layout] | None = None, ints: tuple[str, int] | None = None,
           hex_tail: str | None = None, custom: tuple[str, Custom] | None = None) -> Layout:
    """Build a layout from ``(name, kind)`` pairs, an ``OPT`` marker and at most one tail."""
    fields: list[Field] = []
    opt_from = -1
    for item in items:
        if item is OPT:
            opt_from = len(fields)
            continue
        name, (size, signed, special) = item
        fields.append((name, size, signed, special))
    tail = None
    if entries:
        tail = (entries[0], "entries", entries[1])
        if sum(f[1] for f in entries[1].fields) == 0 and not any(f[3] in ("ostr", "cstr") for f in entries[1].fields):
            raise ValueError("entry layout must consume at least one byte")
    elif ints:
        tail = (ints[0], "ints", ints[1])
    elif hex_tail:
        tail = (hex_tail, "hex", None)
    elif custom:
        tail = (custom[0], "custom", custom[1])
    opt = len(fields) if opt_from < 0 else opt_from
    return Layout(tuple(fields), opt, tail, _plan(tuple(fields[:opt])))


def _printable(raw: bytes) -> str | None:
    if raw and raw.isascii():
        text = raw.decode("ascii")
        if text.isprintable():
            return text
    return None


def read_fields(fields: tuple[Field, ...], opt_from: int, data: bytes, pos: int, end: int, base: int,
                out: dict) -> int:
    """Read ``fields`` into ``out``; return the position after the last one."""
    for idx, (name, size, signed, special) in enumerate(fields):
        if pos == end and idx >= opt_from:
            break
        if size:
            nxt = pos + size
            if nxt > end:
                raise DecodeError(base + pos, f"zcl.fields.{name}",
                                  f"{size}-byte field truncated ({end - pos} bytes left)")
            if special is None:
                out[name] = int.from_bytes(data[pos:nxt], "little", signed=signed)
            elif special == "utc":
                value = int.from_bytes(data[pos:nxt], "little")
                out[name] = value
                out[name + "_datetime"] = utc_text(value)
            elif special == "status":
                out[name] = data[pos]
                out[name + "_name"] = STATUS.get(data[pos])
            else:  # date
                raw = data[pos:nxt]
                out[name] = raw.hex().upper()
                out[name + "_date"] = date_text(raw)
            pos = nxt
        else:
            value, pos = read_value(data, pos, end, 0x41, base, f"zcl.fields.{name}")
            out[name] = value
            if value is not None:
                raw = bytes.fromhex(value)
                text = raw.decode("utf-8", "replace") if special == "cstr" else _printable(raw)
                if text is not None:
                    out[name + "_text"] = text
    return pos


def read_plan(spec: Layout, data: bytes, pos: int, end: int, base: int, out: dict) -> int:
    """Read the fields of ``spec`` into ``out`` using its Struct runs; return the position after them."""
    for is_run, size, unpack, names, post, fields, _ in spec.plan:
        if not is_run:
            pos = read_fields(fields, 1, data, pos, end, base, out)
            continue
        nxt = pos + size
        if nxt > end:  # the field-by-field reader names the truncated field
            return read_fields(fields, len(fields), data, pos, end, base, out)
        out.update(zip(names, unpack(data, pos), strict=True))
        for name, convert, signed, special, note in post:
            value = out[name]
            if convert:
                value = out[name] = int.from_bytes(value, "little", signed=signed)
            if special == "utc":
                out[note] = utc_text(value)
            elif special == "status":
                out[note] = STATUS.get(value)
            elif special == "date":
                out[name] = value.hex().upper()
                out[note] = date_text(value)
        pos = nxt
    if len(spec.fields) > spec.opt_from:
        pos = read_fields(spec.fields[spec.opt_from:], 0, data, pos, end, base, out)
    return pos


def read_layout(spec: Layout, data: bytes, pos: int, end: int, base: int) -> dict:
    """Decode a whole payload with ``spec``; the payload must be consumed exactly."""
    out: dict = {}
    pos = read_plan(spec, data, pos, end, base, out)
    if spec.tail is not None and pos <= end:
        name, kind, sub = spec.tail
        if kind == "entries":
            items = []
            while pos < end:
                entry: dict = {}
                pos = read_plan(sub, data, pos, end, base, entry)
                items.append(entry)
            out[name] = items
        elif kind == "ints":
            if (end - pos) % sub:
                raise DecodeError(base + pos, name, f"{end - pos} bytes are not a whole number of {sub}-byte values")
            out[name] = [int.from_bytes(data[p:p + sub], "little") for p in range(pos, end, sub)]
        elif kind == "hex":
            out[name] = data[pos:end].hex().upper()
        else:
            out[name] = sub.read(data, pos, end, base, out)
        pos = end
    if pos != end:
        raise DecodeError(base + pos, "zcl.payload", f"{end - pos} trailing bytes after the last field")
    return out


def write_fields(fields: tuple[Field, ...], opt_from: int, values: Any, path: str, out: list[bytes]) -> None:
    """Append the wire form of ``fields`` taken from ``values``."""
    if not isinstance(values, dict):
        raise EncodeError(path, "object expected")
    for idx, (name, size, signed, special) in enumerate(fields):
        if name not in values:
            if idx >= opt_from:
                return
            raise EncodeError(f"{path}/{name}", "field missing")
        value = values[name]
        if special == "date":
            out.append(hex_bytes(value, f"{path}/{name}", 4))
        elif size:
            out.append(int_bytes(value, size, signed, f"{path}/{name}"))
        else:
            out.append(write_value(0x41, value, f"{path}/{name}"))


def write_plan(spec: Layout, values: Any, path: str, out: list[bytes]) -> None:
    """Append the wire form of the fields of ``spec``, packing Struct runs in one call where possible."""
    if not isinstance(values, dict):
        raise EncodeError(path, "object expected")
    for step in spec.plan:
        if step.pack is not None:
            try:
                out.append(step.pack(*[values[name] for name in step.names]))
                continue
            except (KeyError, struct.error):
                pass  # the field-by-field writer reports which field is wrong
        write_fields(step.fields, len(step.fields), values, path, out)
    if len(spec.fields) > spec.opt_from:
        write_fields(spec.fields[spec.opt_from:], 0, values, path, out)


def write_layout(spec: Layout, values: Any, path: str) -> bytes:
    """Encode a payload from its ``fields`` object."""
    out: list[bytes] = []
    write_plan(spec, values, path, out)
    if spec.tail is not None and spec.tail[0] in values:
        name, kind, sub = spec.tail
        value = values[name]
        tpath = f"{path}/{name}"
        if kind == "custom":
            out.append(sub.write(value, values, tpath))
        elif kind == "hex":
            out.append(hex_bytes(value, tpath))
        elif not isinstance(value, list):
            raise EncodeError(tpath, "list expected")
        elif kind == "ints":
            out += [int_bytes(v, sub, False, f"{tpath}/{i}") for i, v in enumerate(value)]
        else:
            for i, entry in enumerate(value):
                write_plan(sub, entry, f"{tpath}/{i}", out)
    return b"".join(out)


# --- custom tails -------------------------------------------------------------------------------

def _read_thresholds(data: bytes, pos: int, end: int, base: int, _fields: dict) -> list[dict]:
    """Block-threshold sub-payload: ``tier<<4 | n`` then n uint48 thresholds, repeated."""
    items = []
    while pos < end:
        count = data[pos] & 0x0F
        nxt = pos + 1 + 6 * count
        if nxt > end:
            raise DecodeError(base + pos, "block_thresholds", f"{count} thresholds run past the end")
        values = [int.from_bytes(data[p:p + 6], "little") for p in range(pos + 1, nxt, 6)]
        items.append({"tier": data[pos] >> 4, "thresholds": values})
        pos = nxt
    return items


def _write_thresholds(value: Any, _fields: dict, path: str) -> bytes:
    if not isinstance(value, list):
        raise EncodeError(path, "list expected")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("thresholds"), list):
            raise EncodeError(f"{path}/{i}", "object with a thresholds list expected")
        tier, values = item.get("tier"), item["thresholds"]
        if not isinstance(tier, int) or not 0 <= tier <= 15 or len(values) > 15:
            raise EncodeError(f"{path}/{i}", "tier 0..15 and at most 15 thresholds expected")
        out.append(bytes((tier << 4 | len(values),)))
        out += [int_bytes(v, 6, False, f"{path}/{i}/thresholds/{j}") for j, v in enumerate(values)]
    return b"".join(out)


def _read_event_config(data: bytes, pos: int, end: int, base: int, fields: dict) -> dict:
    """Set Event Configuration payload: by list (control 0) a counted list of event ids, else raw."""
    if fields.get("configuration_control") == 0:
        if pos >= end or 1 + 2 * data[pos] != end - pos:
            raise DecodeError(base + pos, "configuration_payload", "event id count does not match the payload")
        return {"event_ids": [int.from_bytes(data[p:p + 2], "little") for p in range(pos + 1, end, 2)]}
    return {"hex": data[pos:end].hex().upper()}


def _write_event_config(value: Any, fields: dict, path: str) -> bytes:
    if not isinstance(value, dict):
        raise EncodeError(path, "object expected")
    if "event_ids" in value and fields.get("configuration_control") == 0:
        ids = value["event_ids"]
        if not isinstance(ids, list) or len(ids) > 255:
            raise EncodeError(f"{path}/event_ids", "list of at most 255 ids expected")
        return bytes((len(ids),)) + b"".join(int_bytes(v, 2, False, f"{path}/event_ids/{i}") for i, v in enumerate(ids))
    return hex_bytes(value.get("hex"), f"{path}/hex")


BLOCK_THRESHOLDS = Custom(_read_thresholds, _write_thresholds)
EVENT_CONFIGURATION = Custom(_read_event_config, _write_event_config)
