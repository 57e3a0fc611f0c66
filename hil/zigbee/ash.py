"""ASH (Asynchronous Serial Host) framing, written for the NCP side of the link.

An ASH frame is ``control ‖ data ‖ CRC`` where the CRC is CRC-CCITT (poly 0x1021, init
0xFFFF, big-endian) over control and data; DATA payloads are XOR-ed with a pseudo-random
LFSR sequence (seed 0x42, taps 0xB8); reserved bytes are escaped (0x7D, byte ^ 0x20) and
0x7E ends a frame.  :class:`AshDecoder` splits a byte stream into frames the way an NCP
does (CANCEL discards the frame in progress, SUBSTITUTE marks it bad, XON/XOFF are dropped).
Pure Python, no bellows.
"""

from __future__ import annotations

from dataclasses import dataclass

FLAG = 0x7E
ESCAPE = 0x7D
XON = 0x11
XOFF = 0x13
SUBSTITUTE = 0x18
CANCEL = 0x1A
RESERVED = frozenset({FLAG, ESCAPE, XON, XOFF, SUBSTITUTE, CANCEL})

RST = 0xC0
RSTACK = 0xC1
ERROR = 0xC2
ASH_VERSION = 2
RESET_POWER_ON = 0x02  # NCP reset codes used by the fake
RESET_SOFTWARE = 0x0B
RESET_ASSERT = 0x06


class AshError(ValueError):
    """A frame that cannot be decoded (bad CRC, bad escape, unknown control byte)."""


def crc_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-CCITT (XMODEM polynomial 0x1021, MSB first) with the given initial value."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _lfsr(length: int) -> bytes:
    out, rand = bytearray(), 0x42
    for _ in range(length):
        out.append(rand)
        rand = (rand >> 1) ^ 0xB8 if rand & 1 else rand >> 1
    return bytes(out)


PSEUDO_RANDOM = _lfsr(256)


def randomise(data: bytes) -> bytes:
    """XOR with the ASH pseudo-random sequence (its own inverse)."""
    if len(data) > len(PSEUDO_RANDOM):
        raise AshError(f"DATA payload of {len(data)} bytes is longer than 256")
    return bytes(a ^ b for a, b in zip(data, PSEUDO_RANDOM, strict=False))


def stuff(data: bytes) -> bytes:
    """Escape reserved bytes."""
    out = bytearray()
    for byte in data:
        if byte in RESERVED:
            out += bytes((ESCAPE, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


def unstuff(data: bytes) -> bytes:
    """Undo :func:`stuff`; an escape must be followed by an escaped reserved byte."""
    out, escaped = bytearray(), False
    for byte in data:
        if escaped:
            value = byte ^ 0x20
            if value not in RESERVED:
                raise AshError(f"invalid escaped byte 0x{value:02X}")
            out.append(value)
            escaped = False
        elif byte == ESCAPE:
            escaped = True
        else:
            out.append(byte)
    if escaped:
        raise AshError("frame ends inside an escape")
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded ASH frame. ``kind`` is DATA, ACK, NAK, RST, RSTACK or ERROR."""

    kind: str
    frm_num: int = 0
    ack_num: int = 0
    re_tx: bool = False
    ready: bool = True  # ACK/NAK nRdy clear
    data: bytes = b""  # DATA: the de-randomised EZSP frame; RSTACK/ERROR: version, reset code

    @property
    def control(self) -> int:
        if self.kind == "DATA":
            return (self.frm_num & 7) << 4 | int(self.re_tx) << 3 | (self.ack_num & 7)
        if self.kind in ("ACK", "NAK"):
            return (0x80 if self.kind == "ACK" else 0xA0) | int(not self.ready) << 3 | (self.ack_num & 7)
        return {"RST": RST, "RSTACK": RSTACK, "ERROR": ERROR}[self.kind]


def data_frame(frm_num: int, ack_num: int, ezsp: bytes, re_tx: bool = False) -> Frame:
    return Frame("DATA", frm_num, ack_num, re_tx, True, ezsp)


def ack(ack_num: int) -> Frame:
    return Frame("ACK", ack_num=ack_num)


def nak(ack_num: int) -> Frame:
    return Frame("NAK", ack_num=ack_num)


def rstack(reset_code: int = RESET_SOFTWARE) -> Frame:
    return Frame("RSTACK", data=bytes((ASH_VERSION, reset_code)))


def error(reset_code: int = RESET_ASSERT) -> Frame:
    return Frame("ERROR", data=bytes((ASH_VERSION, reset_code)))


def frame_body(frame: Frame) -> bytes:
    """Control, (randomised) data and CRC, before stuffing."""
    payload = randomise(frame.data) if frame.kind == "DATA" else frame.data
    body = bytes((frame.control,)) + payload
    return body + crc_ccitt(body).to_bytes(2, "big")


def encode(frame: Frame) -> bytes:
    """The frame as it goes on the wire: stuffed and terminated by a flag."""
    return stuff(frame_body(frame)) + bytes((FLAG,))


def decode_body(body: bytes) -> Frame:
    """Decode an unstuffed frame (control ‖ data ‖ CRC)."""
    if len(body) < 3:
        raise AshError(f"frame too short: {body.hex()}")
    if crc_ccitt(body[:-2]).to_bytes(2, "big") != body[-2:]:
        raise AshError(f"bad CRC in {body.hex()}")
    control, data = body[0], body[1:-2]
    if control & 0x80 == 0:
        return Frame("DATA", control >> 4 & 7, control & 7, bool(control & 8), True, randomise(data))
    if control & 0xE0 in (0x80, 0xA0):
        return Frame("ACK" if control & 0xE0 == 0x80 else "NAK", ack_num=control & 7, ready=not control & 8)
    kinds = {RST: "RST", RSTACK: "RSTACK", ERROR: "ERROR"}
    if control not in kinds:
        raise AshError(f"unknown control byte 0x{control:02X}")
    if control == RST and data:
        raise AshError("RST carries no data")
    if control != RST and len(data) != 2:
        raise AshError(f"{kinds[control]} needs version and reset code")
    return Frame(kinds[control], data=data)


class AshDecoder:
    """Feed bytes, get frames (and a count of frames that failed to decode)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._discard = False
        self.errors: list[tuple[bytes, str]] = []  # (raw frame, reason) of bad frames

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        for byte in data:
            if byte == FLAG:
                raw, bad = bytes(self._buffer), self._discard
                self._buffer.clear()
                self._discard = False
                if raw and not bad:
                    try:
                        frames.append(decode_body(unstuff(raw)))
                    except AshError as exc:
                        self.errors.append((raw, str(exc)))
                elif raw:
                    self.errors.append((raw, "substitute byte"))
            elif byte == CANCEL:
                self._buffer.clear()
                self._discard = False
            elif byte == SUBSTITUTE:
                self._discard = True
            elif byte in (XON, XOFF):
                continue
            else:
                self._buffer.append(byte)
                if len(self._buffer) > 1024:  # runaway garbage: keep the tail
                    del self._buffer[:-512]
        return frames
