"""The few DER pieces the key store needs that ``cryptography`` does not expose (hardwareModuleName)."""

from __future__ import annotations

HARDWARE_MODULE_NAME = "1.3.6.1.5.5.7.8.4"
DEVICE_HW_TYPE = "1.2.826.0.1.8641679.1.2.2.1"


def read_tlv(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, position after) of the DER element at ``pos``; raises ValueError if malformed."""
    if pos + 2 > len(data):
        raise ValueError("DER element truncated")
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise ValueError("DER value truncated")
    return tag, data[pos : pos + length], pos + length


def encode_tlv(tag: int, value: bytes) -> bytes:
    """One DER element."""
    n = len(value)
    if n < 0x80:
        return bytes((tag, n)) + value
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(body))) + body + value


def encode_oid(dotted: str) -> bytes:
    """DER OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return encode_tlv(0x06, bytes(out))


def decode_oid(body: bytes) -> str:
    """Dotted form of an OBJECT IDENTIFIER body."""
    if not body:
        raise ValueError("empty OID")
    first = body[0] // 40 if body[0] < 80 else 2
    arcs = [first, body[0] - 40 * first]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(a) for a in arcs)


def hardware_module_name(eui: bytes, hw_type: str = DEVICE_HW_TYPE) -> bytes:
    """HardwareModuleName ::= SEQUENCE { hwType OID, hwSerialNum OCTET STRING } with the device EUI."""
    return encode_tlv(0x30, encode_oid(hw_type) + encode_tlv(0x04, eui))


def parse_hardware_module_name(value: bytes) -> tuple[str, bytes]:
    """(hwType, hwSerialNum) from a HardwareModuleName; raises ValueError if malformed."""
    tag, body, end = read_tlv(value)
    if tag != 0x30 or end != len(value):
        raise ValueError("HardwareModuleName is not one SEQUENCE")
    tag, oid, pos = read_tlv(body)
    if tag != 0x06:
        raise ValueError("hwType is not an OID")
    tag, serial, pos = read_tlv(body, pos)
    if tag != 0x04 or pos != len(body):
        raise ValueError("hwSerialNum is not an OCTET STRING")
    return decode_oid(oid), serial
