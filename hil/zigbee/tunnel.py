"""GBCS over the Smart Energy Tunneling cluster (0x0704), encoded and decoded here.

The device (ESME, GSME ...) is the Tunneling *client*: it sends RequestTunnel to the Comms
Hub (the server), which answers RequestTunnelResponse with a tunnel id.  GBCS messages then
travel in TransferData both ways (client→server command 0x02, server→client 0x01) until
CloseTunnel.  Commands are ZCL cluster-specific frames on profile 0x0109.

Fragmentation (project framing, documented in docs/hil-zigbee.md): bellows cannot send
APS-fragmented frames, so a GBCS message longer than one TransferData is split here.  The
first data byte of every TransferData is a fragment header: bit 7 = last fragment, bits 0..6
= fragment number (mod 128).  :class:`Reassembler` joins fragments per tunnel and rejects
gaps.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .zcl import ZclFrame

# client -> server
REQUEST_TUNNEL = 0x00
CLOSE_TUNNEL = 0x01
TRANSFER_DATA_FROM_CLIENT = 0x02
TRANSFER_DATA_ERROR_FROM_CLIENT = 0x03
# server -> client
REQUEST_TUNNEL_RESPONSE = 0x00
TRANSFER_DATA_FROM_SERVER = 0x01
TRANSFER_DATA_ERROR_FROM_SERVER = 0x02
TUNNEL_CLOSURE_NOTIFICATION = 0x06

PROTOCOL_GB_HRGP = 6  # the tunnelled protocol id GBCS uses
STATUS_SUCCESS = 0x00
STATUS_BUSY = 0x01
STATUS_NO_MORE_IDS = 0x02
STATUS_PROTOCOL_NOT_SUPPORTED = 0x03
ERROR_NO_SUCH_TUNNEL = 0x00
ERROR_WRONG_DEVICE = 0x01
ERROR_DATA_OVERFLOW = 0x02

DEFAULT_FRAGMENT = 64  # GBCS bytes per TransferData (keeps the APS payload well under 82 bytes)
LAST = 0x80


class TunnelError(ValueError):
    """A Tunneling frame that cannot be decoded, or a fragment out of sequence."""


@dataclass(frozen=True, slots=True)
class RequestTunnel:
    protocol: int = PROTOCOL_GB_HRGP
    manufacturer: int = 0xFFFF
    flow_control: bool = False
    max_incoming: int = 1500

    def frame(self, tsn: int) -> ZclFrame:
        payload = struct.pack("<BHBH", self.protocol, self.manufacturer, int(self.flow_control), self.max_incoming)
        return ZclFrame(REQUEST_TUNNEL, payload, tsn)

    @classmethod
    def parse(cls, payload: bytes) -> RequestTunnel:
        if len(payload) < 6:
            raise TunnelError("RequestTunnel needs 6 bytes")
        protocol, manufacturer, flow, max_in = struct.unpack_from("<BHBH", payload)
        return cls(protocol, manufacturer, bool(flow), max_in)


@dataclass(frozen=True, slots=True)
class RequestTunnelResponse:
    tunnel_id: int
    status: int = STATUS_SUCCESS
    max_incoming: int = 1500

    def frame(self, tsn: int) -> ZclFrame:
        payload = struct.pack("<HBH", self.tunnel_id, self.status, self.max_incoming)
        return ZclFrame(REQUEST_TUNNEL_RESPONSE, payload, tsn, server_to_client=True, disable_default_response=True)

    @classmethod
    def parse(cls, payload: bytes) -> RequestTunnelResponse:
        if len(payload) < 5:
            raise TunnelError("RequestTunnelResponse needs 5 bytes")
        return cls(*struct.unpack_from("<HBH", payload))


def transfer_data(tunnel_id: int, data: bytes, tsn: int, *, from_server: bool) -> ZclFrame:
    """A TransferData frame (default response requested: it acknowledges the fragment)."""
    command = TRANSFER_DATA_FROM_SERVER if from_server else TRANSFER_DATA_FROM_CLIENT
    return ZclFrame(command, struct.pack("<H", tunnel_id) + data, tsn, server_to_client=from_server)


def parse_transfer_data(payload: bytes) -> tuple[int, bytes]:
    """(tunnel id, data) of a TransferData payload."""
    if len(payload) < 2:
        raise TunnelError("TransferData needs a tunnel id")
    return struct.unpack_from("<H", payload)[0], bytes(payload[2:])


def close_tunnel(tunnel_id: int, tsn: int) -> ZclFrame:
    return ZclFrame(CLOSE_TUNNEL, struct.pack("<H", tunnel_id), tsn)


def transfer_data_error(tunnel_id: int, status: int, tsn: int, *, from_server: bool) -> ZclFrame:
    command = TRANSFER_DATA_ERROR_FROM_SERVER if from_server else TRANSFER_DATA_ERROR_FROM_CLIENT
    return ZclFrame(command, struct.pack("<HB", tunnel_id, status), tsn, server_to_client=from_server,
                    disable_default_response=True)


def fragment(message: bytes, size: int = DEFAULT_FRAGMENT) -> list[bytes]:
    """Split a GBCS message into TransferData data fields, each with the fragment header."""
    if size < 1:
        raise ValueError("fragment size must be positive")
    chunks = [message[i:i + size] for i in range(0, len(message), size)] or [b""]
    return [bytes(((n % 128) | (LAST if n == len(chunks) - 1 else 0),)) + chunk for n, chunk in enumerate(chunks)]


@dataclass
class Reassembler:
    """Joins fragments of one direction of one tunnel; ``feed`` returns a complete message or None."""

    max_size: int = 65536
    _parts: list[bytes] = field(default_factory=list)

    def feed(self, data: bytes) -> bytes | None:
        if not data:
            raise TunnelError("empty TransferData")
        header, chunk = data[0], data[1:]
        if header & 0x7F == 0 and self._parts:  # a new message: the previous one was abandoned
            self._parts.clear()
        if header & 0x7F != len(self._parts) % 128:
            expected = len(self._parts) % 128
            self._parts.clear()
            raise TunnelError(f"fragment {header & 0x7F} out of sequence (expected {expected})")
        self._parts.append(chunk)
        if sum(map(len, self._parts)) > self.max_size:
            self._parts.clear()
            raise TunnelError("reassembled message too long")
        if header & LAST:
            message = b"".join(self._parts)
            self._parts.clear()
            return message
        return None

    def reset(self) -> None:
        self._parts.clear()
