"""GBZ payloads (gbcs spec §3.2): the extended header, the components and the GBZ alert header.

Wire layout (big-endian header numbers, little-endian ZCL fields inside components)::

    01 09 | NN | [alert code(2) UTC time(4)] | NN x component
    component: CF(1) cluster(2) length(2) body(length)
    body, plaintext:  [from-date-time(4)] ZCL header, ZCL payload
    body, encrypted:  [from-date-time(4)] 00 FC | ZCL header | length(2) | 31 IC(4) ciphertext tag(12)

Tree (see docs/tree-format.md for the general rules).  Structural keys, read by the
encoder: ``profile``, ``alert_code``, ``alert_time``, ``components`` (the count NN is
derived from it) or ``alert_data``; per component ``control`` (the whole CF byte),
``cluster``, ``from_date_time``, ``additional_header``, ``zcl``, ``ciphered_information``.
Everything else (``kind``, ``flags``, ``cluster_name``, ``*_datetime``, ``*_name`` ...)
is annotation.  A GBZ alert whose use-case data is not a list of components keeps it in
``alert_data``: ``{"format": "future_dated" | "meter_integrity" | "raw", "count": NN, ...}``.
"""

from __future__ import annotations

import struct
from typing import Any

from ..codes import describe_alert_code, describe_message_code
from ..errors import DecodeError, EncodeError
from .zcl import decode_header, decode_payload, encode_header, encode_payload, get_field
from .zcl_names import CLUSTERS, command_name
from .zcl_types import hex_bytes, utc_text

PROFILE_SE = 0x0109
CF_LAST, CF_ENCRYPTED, CF_FROM_DATE_TIME = 0x01, 0x02, 0x10
SECURITY_ELEMENT_MIN = 17  # 31 | IC(4) | tag(12) with an empty ciphertext
KINDS = {1: "command", 2: "response", 3: "alert"}
FUTURE_DATED_ALERT, METER_INTEGRITY_ALERT = 0x00CD, 0x00F2
COMPONENT_ALERTS = frozenset((0x008B,))  # alerts known to carry components (GCS53 billing data log)

_COMPONENT_HEADER = struct.Struct(">BHH")
_ALERT_HEADER = struct.Struct(">HI")
_FUTURE_DATED = struct.Struct(">BHQHBB")
_FLAG_NAMES = {CF_LAST: "last", CF_ENCRYPTED: "encrypted", CF_FROM_DATE_TIME: "from_date_time"}
_FLAGS = [[_FLAG_NAMES.get(1 << b, f"bit{b}") for b in range(8) if cf >> b & 1] for cf in range(256)]


# --- decoding -----------------------------------------------------------------------------------

def decode_gbz(data: bytes, base: int = 0, cra: int = 1, message_code: int | None = None) -> dict:
    """Decode a GBZ payload; ``base`` is the absolute offset of ``data[0]`` in the message."""
    data = bytes(data)
    n = len(data)
    if n < 3:
        raise DecodeError(base + n, "gbz.header", f"3-byte GBZ header expected, {n} bytes present")
    profile = data[0] << 8 | data[1]
    if profile != PROFILE_SE:
        raise DecodeError(base, "gbz.profile", f"profile 0x{profile:04X} is not ZigBee Smart Energy (0x0109)")
    count = data[2]
    tree: dict = {"profile": profile, "kind": KINDS.get(cra, "unknown")}
    pos = 3
    if cra == 3:
        if n < 9:
            raise DecodeError(base + 3, "gbz.alert_header", f"6-byte alert header expected, {n - 3} bytes left")
        code, when = _ALERT_HEADER.unpack_from(data, 3)
        tree["alert_code"] = code
        tree["alert_code_name"] = describe_alert_code(code)
        tree["alert_time"] = when
        tree["alert_datetime"] = utc_text(when)
        pos = 9
        alert_data = _alert_data(data, pos, count, base, message_code)
        if alert_data is not None:
            tree["alert_data"] = alert_data
            return tree
    tree["components"], tree["last_flag_consistent"] = _decode_components(data, pos, count, base)
    return tree


def _decode_components(data: bytes, pos: int, count: int, base: int) -> tuple[list[dict], bool]:
    """``count`` components up to the end of ``data``; also whether CF bit 0 marks exactly the last one."""
    n = len(data)
    components = []
    consistent = True
    for i in range(count):
        if pos + 5 > n:
            raise DecodeError(base + pos, f"gbz.components[{i}]",
                              f"5-byte component header expected, {n - pos} bytes left")
        cf, cluster, length = _COMPONENT_HEADER.unpack_from(data, pos)
        if (cf & CF_LAST) != (i == count - 1):
            consistent = False
        start = pos + 5
        end = start + length
        if end > n:
            raise DecodeError(base + pos + 3, f"gbz.components[{i}].length",
                              f"length {length} runs past the end ({n - start} bytes left)")
        components.append(_decode_component(data, start, end, cf, cluster, base, i))
        pos = end
    if pos != n:
        raise DecodeError(base + pos, "gbz", f"{n - pos} trailing bytes after {count} components")
    return components, consistent


def _decode_component(data: bytes, pos: int, end: int, cf: int, cluster: int, base: int, index: int) -> dict:
    comp: dict = {"control": cf, "flags": list(_FLAGS[cf]), "cluster": cluster, "cluster_name": CLUSTERS.get(cluster)}
    if cf & CF_FROM_DATE_TIME:
        if pos + 4 > end:
            raise DecodeError(base + pos, f"gbz.components[{index}].from_date_time", "4-byte from-date-time truncated")
        when = int.from_bytes(data[pos:pos + 4], "big")
        comp["from_date_time"] = when
        comp["from_date_time_iso"] = utc_text(when)
        pos += 4
    if cf & CF_ENCRYPTED:
        return _decode_encrypted(data, pos, end, comp, cluster, base, index)
    zcl, pos = decode_header(cluster, data, pos, end, base, index)
    comp["zcl"] = decode_payload(cluster, zcl, data, pos, end, base)
    return comp


def _decode_encrypted(data: bytes, pos: int, end: int, comp: dict, cluster: int, base: int, index: int) -> dict:
    """Additional header, clear ZCL header, ciphered-information length and the security element."""
    field = f"gbz.components[{index}]"
    if pos + 2 > end:
        raise DecodeError(base + pos, field + ".additional_header", "2-byte additional header truncated")
    comp["additional_header"] = {"control": data[pos], "frame_counter": data[pos + 1]}
    zcl, pos = decode_header(cluster, data, pos + 2, end, base, index)
    comp["zcl"] = zcl
    if pos + 2 > end:
        raise DecodeError(base + pos, field + ".ciphered_length", "2-byte ciphered-information length truncated")
    length = data[pos] << 8 | data[pos + 1]
    pos += 2
    if length != end - pos:
        raise DecodeError(base + pos - 2, field + ".ciphered_length",
                          f"ciphered-information length {length} does not match the {end - pos} bytes left")
    if length < SECURITY_ELEMENT_MIN:
        raise DecodeError(base + pos, field + ".ciphered_information",
                          f"{length} bytes cannot hold 31 | IC(4) | tag(12)")
    comp["ciphered_information"] = data[pos:end].hex().upper()
    return comp


def _alert_data(data: bytes, pos: int, count: int, base: int, message_code: int | None) -> dict | None:
    """Use-case data of a GBZ alert that is not a list of components, or None when it is."""
    rest = len(data) - pos
    if message_code == FUTURE_DATED_ALERT and rest == _FUTURE_DATED.size:
        tag, code, counter, cluster, fc, command = _FUTURE_DATED.unpack_from(data, pos)
        described = describe_message_code(code)
        return {"format": "future_dated", "count": count, "tag": tag, "message_code": code,
                "message_code_name": described.name if described else None, "originator_counter": counter,
                "cluster": cluster, "cluster_name": CLUSTERS.get(cluster), "frame_control": fc,
                "command": command, "command_name": command_name(cluster, fc, command)}
    if message_code == METER_INTEGRITY_ALERT and rest == 2:
        return {"format": "meter_integrity", "count": count, "reason": data[pos] << 8 | data[pos + 1]}
    if message_code in COMPONENT_ALERTS:
        return None
    try:
        _decode_components(data, pos, count, base)
    except DecodeError:
        return {"format": "raw", "count": count, "hex": data[pos:].hex().upper()}
    return None


# --- encoding -----------------------------------------------------------------------------------

def _be(obj: Any, key: str, size: int, path: str) -> bytes:
    value = get_field(obj, key, path)
    if not isinstance(value, int) or not 0 <= value < 1 << (8 * size):
        raise EncodeError(f"{path}/{key}", f"integer 0..{(1 << (8 * size)) - 1} expected")
    return value.to_bytes(size, "big")


def encode_gbz(tree: dict) -> bytes:
    """Encode a GBZ tree; only structural keys are read (see the module docstring)."""
    if not isinstance(tree, dict):
        raise EncodeError("", "object expected")
    out = [_be({"profile": tree.get("profile", PROFILE_SE)}, "profile", 2, "")]
    components = tree.get("components")
    if components is not None:
        if not isinstance(components, list) or len(components) > 0xFF:
            raise EncodeError("/components", "list of at most 255 components expected")
        out.append(bytes((len(components),)))
    else:
        alert_data = get_field(tree, "alert_data", "")
        out.append(_be(alert_data, "count", 1, "/alert_data"))
    if "alert_code" in tree:
        out.append(_be(tree, "alert_code", 2, "") + _be(tree, "alert_time", 4, ""))
    if components is not None:
        out += [_encode_component(c, f"/components/{i}") for i, c in enumerate(components)]
    else:
        out.append(_encode_alert_data(tree["alert_data"], "/alert_data"))
    return b"".join(out)


def _encode_component(comp: Any, path: str) -> bytes:
    cf = _be(comp, "control", 1, path)
    control = cf[0]
    cluster = _be(comp, "cluster", 2, path)
    body = []
    if control & CF_FROM_DATE_TIME:
        body.append(_be(comp, "from_date_time", 4, path))
    zcl = get_field(comp, "zcl", path)
    if control & CF_ENCRYPTED:
        header = get_field(comp, "additional_header", path)
        body.append(_be(header, "control", 1, f"{path}/additional_header"))
        body.append(_be(header, "frame_counter", 1, f"{path}/additional_header"))
        body.append(encode_header(zcl, f"{path}/zcl"))
        blob = hex_bytes(get_field(comp, "ciphered_information", path), f"{path}/ciphered_information")
        if not SECURITY_ELEMENT_MIN <= len(blob) <= 0xFFFF:
            raise EncodeError(f"{path}/ciphered_information", "17..65535 bytes expected")
        body += [len(blob).to_bytes(2, "big"), blob]
    else:
        body.append(encode_header(zcl, f"{path}/zcl"))
        body.append(encode_payload(comp["cluster"], zcl, f"{path}/zcl"))
    raw = b"".join(body)
    if len(raw) > 0xFFFF:
        raise EncodeError(path, f"component body of {len(raw)} bytes exceeds 65535")
    return cf + cluster + len(raw).to_bytes(2, "big") + raw


def _encode_alert_data(alert_data: Any, path: str) -> bytes:
    fmt = get_field(alert_data, "format", path)
    if fmt == "future_dated":
        return b"".join((_be(alert_data, "tag", 1, path), _be(alert_data, "message_code", 2, path),
                         _be(alert_data, "originator_counter", 8, path), _be(alert_data, "cluster", 2, path),
                         _be(alert_data, "frame_control", 1, path), _be(alert_data, "command", 1, path)))
    if fmt == "meter_integrity":
        return _be(alert_data, "reason", 2, path)
    if fmt == "raw":
        return hex_bytes(get_field(alert_data, "hex", path), f"{path}/hex")
    raise EncodeError(f"{path}/format", f"unknown alert data format {fmt!r}")


def encrypted_elements(tree: dict) -> list[tuple[str, bytes]]:
    """``(JSON pointer relative to the GBZ tree, 31 | IC | ciphertext | tag)`` for each encrypted component."""
    out = []
    for i, comp in enumerate(tree.get("components") or ()):
        if comp.get("control", 0) & CF_ENCRYPTED and "ciphered_information" in comp:
            out.append((f"/components/{i}/ciphered_information", bytes.fromhex(comp["ciphered_information"])))
    return out
