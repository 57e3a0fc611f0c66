"""Compile framing structures declared with construct into straight-line parsers over bytes.

construct's own compiler emits general code (a stream, context containers, a result
container per parse).  The framing structures are made only of our primitives (a tag,
a fixed prefix, A-XDR octet strings, an optional trailing octet string, the end), so
they can be compiled into one function that indexes the buffer directly.  Measured on
the RTDS corpus: 3.1 us per APDU through construct's compiled parser, ~1 us here.
Tests check that both parsers agree on every input, errors included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import construct as cs

from .errors import DecodeError


def long_length(buf: bytes, pos: int, end: int, field: str) -> tuple[int, int]:
    """Read a BER long-form length at ``pos`` (first byte >= 0x80); return (length, position after)."""
    first = buf[pos]
    n = first & 0x7F
    if n == 0 or n > 4:
        raise DecodeError(pos, field, f"length prefix 0x{first:02X} is not a 1-4 byte long form")
    if pos + 1 + n > end:
        raise DecodeError(end, field, f"{n} bytes expected, {end - pos - 1} left")
    length = int.from_bytes(buf[pos + 1 : pos + 1 + n], "big")
    if length < 0x80 or length < (1 << (8 * (n - 1))):
        raise DecodeError(pos, field, f"length {length} is not in its shortest form")
    return length, pos + 1 + n


def size_error(start: int, field: str, length: int, sizes: tuple[int, ...]) -> DecodeError:
    """The error for an octet string whose length is not one of ``sizes``."""
    return DecodeError(start, field, f"length {length}, expected {' or '.join(str(s) for s in sizes)}")


def prefix_error(buf: bytes, pos: int, field: str, expected: bytes) -> DecodeError:
    """The error for a fixed prefix that differs, naming the first differing byte."""
    data = buf[pos : pos + len(expected)]
    for i, (got, want) in enumerate(zip(data, expected, strict=False)):
        if got != want:
            return DecodeError(pos + i, field, f"byte 0x{got:02X}, expected 0x{want:02X}")
    return DecodeError(pos + len(data), field, "input ends")


def _emit_octet_string(var: str, field: str, sizes: tuple[int, ...] | None, indent: str) -> list[str]:
    lines = [
        "if pos >= end:",
        f"    raise DecodeError(pos, {field!r}, 'length expected, input ends')",
        "start = pos",
        "n = buf[pos]",
        "if n < 0x80:",
        "    pos += 1",
        "else:",
        f"    n, pos = long_length(buf, pos, end, {field!r})",
    ]
    if sizes is not None:
        lines += [f"if n not in {sizes!r}:", f"    raise size_error(start, {field!r}, n, {sizes!r})"]
    lines += [
        "if pos + n > end:",
        f"    raise DecodeError(start, {field!r}, f'length {{n}} runs past the end of the data "
        "({end - pos} bytes left)')",
        f"{var} = buf[pos:pos + n]",
        "pos += n",
    ]
    return [indent + line for line in lines]


def compile_struct(struct: cs.Struct, name: str = "parse") -> Callable[[bytes], dict[str, Any]]:
    """A parser for ``struct`` returning {field: value} for its value-carrying fields."""
    from .framing import End, OctetString, Prefix, Tag  # the primitives this compiler knows

    body = ["pos = 0", "end = len(buf)"]
    results = []
    for index, sub in enumerate(struct.subcons):
        inner = sub.subcon if isinstance(sub, cs.Renamed) else sub
        var = f"v{index}"
        if isinstance(inner, Tag):
            body += [
                "if pos >= end:",
                f"    raise DecodeError(pos, {inner.field!r}, 'tag expected, input ends')",
                f"if buf[pos] != {inner.value}:",
                f"    raise DecodeError(pos, {inner.field!r}, f'tag 0x{{buf[pos]:02X}}, expected 0x{inner.value:02X}')",
                "pos += 1",
            ]
        elif isinstance(inner, Prefix):
            body += [
                f"if buf[pos:pos + {len(inner.value)}] != {inner.value!r}:",
                f"    raise prefix_error(buf, pos, {inner.field!r}, {inner.value!r})",
                f"pos += {len(inner.value)}",
            ]
        elif isinstance(inner, OctetString) and inner.optional_tail:
            body += ["if pos >= end:", f"    {var} = None", "else:"]
            body += _emit_octet_string(var, inner.field, inner.sizes or (), "    ")
            results.append((sub.name, var))
        elif isinstance(inner, OctetString):
            body += _emit_octet_string(var, inner.field, inner.sizes, "")
            results.append((sub.name, var))
        elif isinstance(inner, End):
            body += [
                "if pos != end:",
                f"    raise DecodeError(pos, {inner.field!r}, f'{{end - pos}} unexpected bytes')",
            ]
        else:
            raise TypeError(f"compile_struct cannot compile {inner!r}")
    body.append("return {" + ", ".join(f"{field!r}: {var}" for field, var in results) + "}")
    source = f"def {name}(buf):\n" + "\n".join("    " + line for line in body) + "\n"
    namespace: dict[str, Any] = {
        "DecodeError": DecodeError,
        "long_length": long_length,
        "size_error": size_error,
        "prefix_error": prefix_error,
    }
    exec(compile(source, f"<compiled {name}>", "exec"), namespace)  # noqa: S102 - source built above
    parser = namespace[name]
    parser.source = source
    return parser
