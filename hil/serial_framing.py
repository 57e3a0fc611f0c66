"""Byte-level codecs for the serial bridge: binary frames with length and CRC-16, and GFI-style text lines.

Binary frame (docs/hil-serial.md)::

    0xA5 | TYPE | LEN (2, big-endian) | HCS (2) | PAYLOAD (LEN) | FCS (2)

HCS is the CRC-16/CCITT-FALSE of TYPE and LEN, FCS the CRC-16/CCITT-FALSE of TYPE, LEN
and PAYLOAD (both big-endian).  Text line::

    GBCS:<KEYWORD>#<argument>\\r\\n

with KEYWORD the :class:`~hil.transport.Kind` name; DATA and ALERT carry the GBCS message
in hexadecimal, DONE and DEVICE their ASCII payload, IDENT nothing.  Both decoders are
streaming (:meth:`feed` any chunk, get the complete frames) and resynchronise after garbage,
dropped or corrupted bytes; they count what they threw away.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Protocol

from .transport import Frame, Kind

SOF = 0xA5
HEADER = struct.Struct(">BBHH")  # SOF, TYPE, LEN, HCS
MAX_PAYLOAD = 16384
MAX_LINE = 2 * MAX_PAYLOAD + 32
TEXT_PREFIX = b"GBCS:"
_HEX_KINDS = frozenset({Kind.DATA, Kind.ALERT})
_LINE = re.compile(rb"GBCS:([A-Z]+)#([\x20-\x7e]*)\Z")


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _table()


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR): "123456789" -> 0x29B1."""
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


@dataclass(slots=True)
class DecoderStats:
    """What a decoder has thrown away."""

    discarded: int = 0  # bytes skipped while looking for a frame
    rejected: int = 0  # candidate frames or lines that failed a check


class Decoder(Protocol):
    stats: DecoderStats

    def feed(self, data: bytes) -> list[Frame]: ...

    def reset(self) -> None: ...


class Codec(Protocol):
    """A framing: frames to bytes, and a fresh streaming decoder."""

    name: str

    def encode(self, frame: Frame) -> bytes: ...

    def decoder(self) -> Decoder: ...


# ---------------------------------------------------------------------- binary


def encode_binary(frame: Frame) -> bytes:
    """One binary frame; ValueError when the payload is longer than MAX_PAYLOAD."""
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    head = bytes((int(frame.kind),)) + len(frame.payload).to_bytes(2, "big")
    body = head + frame.payload
    return bytes((SOF,)) + head + crc16(head).to_bytes(2, "big") + frame.payload + crc16(body).to_bytes(2, "big")


class BinaryDecoder:
    """Streaming binary-frame decoder: a bad header or FCS drops the start byte and rescans from the next."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.stats = DecoderStats()

    def reset(self) -> None:
        self.stats.discarded += len(self._buf)
        self._buf.clear()

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        buf += data
        frames: list[Frame] = []
        while True:
            start = buf.find(SOF)
            if start < 0:
                self.stats.discarded += len(buf)
                buf.clear()
                return frames
            if start:
                self.stats.discarded += start
                del buf[:start]
            if len(buf) < HEADER.size:
                return frames
            _, kind, length, hcs = HEADER.unpack_from(buf)
            if crc16(bytes(buf[1:4])) != hcs or length > MAX_PAYLOAD or kind not in Kind._value2member_map_:
                self._skip()
                continue
            end = HEADER.size + length + 2
            if len(buf) < end:
                return frames
            payload = bytes(buf[HEADER.size:end - 2])
            if crc16(bytes(buf[1:4]) + payload) != int.from_bytes(buf[end - 2:end], "big"):
                self._skip()
                continue
            frames.append(Frame(Kind(kind), payload))
            del buf[:end]

    def _skip(self) -> None:
        self.stats.rejected += 1
        self.stats.discarded += 1
        del self._buf[:1]


@dataclass(frozen=True, slots=True)
class BinaryCodec:
    name: str = "binary"

    def encode(self, frame: Frame) -> bytes:
        return encode_binary(frame)

    def decoder(self) -> BinaryDecoder:
        return BinaryDecoder()


# ---------------------------------------------------------------------- text


def encode_text(frame: Frame) -> bytes:
    """One text line (CR LF terminated)."""
    if frame.kind in _HEX_KINDS:
        argument = frame.payload.hex().upper().encode("ascii")
    else:
        argument = frame.payload
        if _LINE.fullmatch(b"GBCS:X#" + argument) is None:
            raise ValueError(f"{frame.kind.name} payload must be printable ASCII: {argument!r}")
    if len(argument) > MAX_LINE - 16:
        raise ValueError("frame too long for a text line")
    return TEXT_PREFIX + frame.kind.name.encode("ascii") + b"#" + argument + b"\r\n"


def decode_line(line: bytes) -> Frame | None:
    """The frame of one line (without its LF; a trailing CR and any leading garbage are ignored)."""
    line = line.rstrip(b"\r")
    start = line.rfind(TEXT_PREFIX)
    if start < 0:
        return None
    match = _LINE.match(line, start)
    if match is None:
        return None
    keyword, argument = match.group(1).decode("ascii"), match.group(2)
    kind = Kind.__members__.get(keyword)
    if kind is None:
        return None
    if kind in _HEX_KINDS:
        if len(argument) % 2 or not argument:
            return None
        try:
            return Frame(kind, bytes.fromhex(argument.decode("ascii")))
        except ValueError:
            return None
    return Frame(kind, argument)


class TextDecoder:
    """Streaming line decoder: lines that do not parse, and over-long lines, are dropped."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._overflow = False  # skipping the rest of an over-long line
        self.stats = DecoderStats()

    def reset(self) -> None:
        self.stats.discarded += len(self._buf)
        self._buf.clear()
        self._overflow = False

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        self._buf += data
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > MAX_LINE:
                    self.stats.discarded += len(self._buf)
                    self.stats.rejected += 1
                    self._buf.clear()
                    self._overflow = True
                return frames
            line = bytes(self._buf[:end])
            del self._buf[:end + 1]
            if self._overflow:
                self._overflow = False
                self.stats.discarded += len(line) + 1
                continue
            frame = decode_line(line)
            if frame is None:
                if line.strip():
                    self.stats.rejected += 1
                self.stats.discarded += len(line) + 1
            else:
                frames.append(frame)


@dataclass(frozen=True, slots=True)
class TextCodec:
    name: str = "text"

    def encode(self, frame: Frame) -> bytes:
        return encode_text(frame)

    def decoder(self) -> TextDecoder:
        return TextDecoder()


CODECS: dict[str, Codec] = {"binary": BinaryCodec(), "text": TextCodec()}


def codec(name: str) -> Codec:
    """The codec of a framing mode: "binary" or "text"."""
    try:
        return CODECS[name]
    except KeyError:
        raise ValueError(f"unknown framing {name!r} (binary or text)") from None
