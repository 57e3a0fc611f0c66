"""Just enough ZCL for the Smart Energy HAN: frame headers, Read Attributes, Default Response.

zigpy has no Smart Energy profile and leaves most SE clusters as stubs, so the bridge and
the fake devices encode these frames themselves (pure Python, no zigpy).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SE_PROFILE = 0x0109
ZDO_PROFILE = 0x0000
BASIC = 0x0000
TIME = 0x000A
KEEP_ALIVE = 0x0025
TUNNELING = 0x0704
KEY_ESTABLISHMENT = 0x0800

READ_ATTRIBUTES = 0x00
READ_ATTRIBUTES_RESPONSE = 0x01
DEFAULT_RESPONSE = 0x0B

SUCCESS = 0x00
UNSUPPORTED_ATTRIBUTE = 0x86

# ZCL data types used here
UINT8, UINT16, UINT32, MAP8, UTC_TIME, CHAR_STRING = 0x20, 0x21, 0x23, 0x18, 0xE2, 0x42
ZIGBEE_EPOCH = 946684800  # 2000-01-01T00:00:00Z in Unix seconds


class ZclError(ValueError):
    """A ZCL frame too short or malformed to decode."""


@dataclass(frozen=True, slots=True)
class ZclFrame:
    """One ZCL frame: header fields and the command payload."""

    command: int
    payload: bytes = b""
    tsn: int = 0
    cluster_specific: bool = True
    server_to_client: bool = False
    disable_default_response: bool = False
    manufacturer: int | None = None

    def encode(self) -> bytes:
        control = (0x01 if self.cluster_specific else 0x00) | (0x04 if self.manufacturer is not None else 0)
        control |= (0x08 if self.server_to_client else 0) | (0x10 if self.disable_default_response else 0)
        head = bytes((control,))
        if self.manufacturer is not None:
            head += struct.pack("<H", self.manufacturer)
        return head + bytes((self.tsn & 0xFF, self.command)) + self.payload

    @classmethod
    def decode(cls, data: bytes) -> ZclFrame:
        if len(data) < 3:
            raise ZclError(f"ZCL frame too short: {data.hex()}")
        control, offset, manufacturer = data[0], 1, None
        if control & 0x04:
            if len(data) < 5:
                raise ZclError("manufacturer-specific ZCL frame too short")
            manufacturer, offset = struct.unpack_from("<H", data, 1)[0], 3
        return cls(command=data[offset + 1], payload=bytes(data[offset + 2:]), tsn=data[offset],
                   cluster_specific=bool(control & 0x01), server_to_client=bool(control & 0x08),
                   disable_default_response=bool(control & 0x10), manufacturer=manufacturer)

    def reply(self, command: int, payload: bytes = b"", *, cluster_specific: bool = True) -> ZclFrame:
        """A frame in the opposite direction with the same TSN."""
        return ZclFrame(command, payload, self.tsn, cluster_specific, not self.server_to_client, True,
                        self.manufacturer)


def default_response(request: ZclFrame, status: int = SUCCESS) -> ZclFrame:
    """The Default Response to ``request`` (command id and status)."""
    return request.reply(DEFAULT_RESPONSE, bytes((request.command, status)), cluster_specific=False)


def read_attributes(attribute_ids: list[int], tsn: int = 0, *, server_to_client: bool = False) -> ZclFrame:
    """A global Read Attributes request."""
    payload = b"".join(struct.pack("<H", a) for a in attribute_ids)
    return ZclFrame(READ_ATTRIBUTES, payload, tsn, False, server_to_client)


def encode_value(type_id: int, value: int | str) -> bytes:
    """A ZCL attribute value of one of the few types served here."""
    if type_id in (UINT8, MAP8):
        return struct.pack("<B", int(value))
    if type_id == UINT16:
        return struct.pack("<H", int(value))
    if type_id in (UINT32, UTC_TIME):
        return struct.pack("<I", int(value))
    if type_id == CHAR_STRING:
        raw = str(value).encode()
        return bytes((len(raw),)) + raw
    raise ZclError(f"unsupported ZCL type 0x{type_id:02X}")


_SIZES = {UINT8: 1, MAP8: 1, UINT16: 2, UINT32: 4, UTC_TIME: 4}


def read_attributes_response(request: ZclFrame, values: dict[int, tuple[int, int | str]]) -> ZclFrame:
    """Answer a Read Attributes request from ``values`` (attribute id -> (type, value))."""
    out = bytearray()
    for (attribute,) in struct.iter_unpack("<H", request.payload[: len(request.payload) // 2 * 2]):
        if attribute in values:
            type_id, value = values[attribute]
            out += struct.pack("<HBB", attribute, SUCCESS, type_id) + encode_value(type_id, value)
        else:
            out += struct.pack("<HB", attribute, UNSUPPORTED_ATTRIBUTE)
    return request.reply(READ_ATTRIBUTES_RESPONSE, bytes(out), cluster_specific=False)


def parse_read_attributes_response(payload: bytes) -> dict[int, int | str | None]:
    """Attribute id -> value (None when the status was not SUCCESS)."""
    result: dict[int, int | str | None] = {}
    offset = 0
    while offset + 3 <= len(payload):
        attribute, status = struct.unpack_from("<HB", payload, offset)
        offset += 3
        if status != SUCCESS:
            result[attribute] = None
            continue
        type_id = payload[offset]
        offset += 1
        if type_id == CHAR_STRING:
            size = payload[offset]
            result[attribute] = payload[offset + 1: offset + 1 + size].decode(errors="replace")
            offset += 1 + size
        elif type_id in _SIZES:
            size = _SIZES[type_id]
            result[attribute] = int.from_bytes(payload[offset: offset + size], "little")
            offset += size
        else:
            raise ZclError(f"unsupported ZCL type 0x{type_id:02X} in a response")
    return result


def time_attributes(unix_seconds: float) -> dict[int, tuple[int, int | str]]:
    """The Time cluster as a HAN time source serves it (Time, TimeStatus master|synchronised)."""
    zigbee_time = int(unix_seconds) - ZIGBEE_EPOCH
    return {0x0000: (UTC_TIME, zigbee_time), 0x0001: (MAP8, 0x03), 0x0007: (UINT32, zigbee_time)}


def keep_alive_attributes(base_minutes: int = 10, jitter_seconds: int = 60) -> dict[int, tuple[int, int | str]]:
    """The Keep-Alive cluster attributes (TC Keep-Alive Base and Jitter)."""
    return {0x0000: (UINT8, base_minutes), 0x0001: (UINT16, jitter_seconds)}
