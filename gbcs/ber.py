"""BER definite-form lengths as GBCS uses them: 1 to 5 bytes, always the shortest form.

A length below 0x80 is one byte; otherwise ``0x80 | n`` is followed by ``n`` (1..4)
big-endian bytes.  Only the shortest form is accepted, so every decoded length
re-encodes to the same bytes.
"""

from __future__ import annotations

from .errors import DecodeError

MAX_LENGTH_OCTETS = 4


def read_length(buf: bytes, pos: int, field: str, end: int | None = None) -> tuple[int, int]:
    """Read a length at ``pos``; return ``(length, position after the length)``.

    The length must also fit in the buffer (up to ``end``), so a hostile length can
    never make a caller allocate or loop beyond the input.
    """
    if end is None:
        end = len(buf)
    if pos >= end:
        raise DecodeError(pos, field, "length expected, input ends")
    first = buf[pos]
    if first < 0x80:
        length, after = first, pos + 1
    else:
        n = first & 0x7F
        if n == 0 or n > MAX_LENGTH_OCTETS:
            raise DecodeError(pos, field, f"length prefix 0x{first:02X} is not a 1-4 byte long form")
        if pos + 1 + n > end:
            raise DecodeError(pos, field, "long-form length truncated")
        length = int.from_bytes(buf[pos + 1 : pos + 1 + n], "big")
        after = pos + 1 + n
        if length < 0x80 or length < (1 << (8 * (n - 1))):
            raise DecodeError(pos, field, f"length {length} is not in its shortest form")
    if after + length > end:
        raise DecodeError(pos, field, f"length {length} runs past the end of the data ({end - after} bytes left)")
    return length, after


def encode_length(length: int) -> bytes:
    """Shortest BER definite-form encoding of ``length``."""
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > MAX_LENGTH_OCTETS:
        raise ValueError(f"length {length} needs more than {MAX_LENGTH_OCTETS} octets")
    return bytes((0x80 | len(body),)) + body
