"""One ZCL frame inside a GBZ component: header (frame control, [manufacturer], sequence, command) and payload.

Payload forms in the tree (exactly one is present after decoding):

* ``records``: profile-wide attribute record commands (read/write/report/configure)
* ``fields``: a fixed layout (Default Response, Discover Attributes, cluster commands)
* ``payload``: hex, for everything else; a cluster-specific payload that does not fit
  its layout exactly also lands here, with the reason in ``undecoded`` (annotation)
"""

from __future__ import annotations

from typing import Any

from ..errors import DecodeError, EncodeError
from .zcl_commands import LAYOUTS, PROFILE_LAYOUTS
from .zcl_layouts import Layout, read_layout, write_layout
from .zcl_names import COMMANDS, PROFILE_COMMANDS
from .zcl_records import DECODERS, encode_records
from .zcl_types import hex_bytes, int_bytes

FRAME_TYPES = ("profile-wide", "cluster-specific", "reserved-2", "reserved-3")
DIRECTIONS = ("client-to-server", "server-to-client")
MANUFACTURER_SPECIFIC = 0x04
# per frame-control value: (frame type, direction, disable default response), computed once
_FC_NOTES = [(FRAME_TYPES[fc & 3], DIRECTIONS[(fc >> 3) & 1], bool(fc & 0x10)) for fc in range(256)]
_CLUSTER_COMMANDS = {(cluster, direction, cmd): name
                     for (cluster, direction), table in COMMANDS.items() for cmd, name in table.items()}


def decode_header(cluster: int, data: bytes, pos: int, end: int, base: int, index: int) -> tuple[dict, int]:
    """Decode the ZCL header of component ``index`` at ``pos``; return ``(header, position of the payload)``."""
    if pos + 3 > end:
        raise DecodeError(base + pos, f"gbz.components[{index}].zcl",
                          f"3-byte ZCL header expected, {end - pos} bytes left")
    fc = data[pos]
    frame_type, direction, no_default = _FC_NOTES[fc]
    zcl: dict = {"frame_control": fc, "frame_type": frame_type, "direction": direction,
                 "disable_default_response": no_default}
    if fc & MANUFACTURER_SPECIFIC:
        if pos + 5 > end:
            raise DecodeError(base + pos, f"gbz.components[{index}].zcl",
                              f"5-byte ZCL header expected, {end - pos} bytes left")
        zcl["manufacturer_code"] = data[pos + 1] | data[pos + 2] << 8
        pos += 2
    command = data[pos + 2]
    zcl["sequence"] = data[pos + 1]
    zcl["command"] = command
    kind = fc & 3
    if kind == 0:
        name = PROFILE_COMMANDS.get(command)
    else:
        name = _CLUSTER_COMMANDS.get((cluster, fc >> 3 & 1, command)) if kind == 1 else None
    if name is not None:
        zcl["command_name"] = name
    return zcl, pos + 3


def _layout_for(cluster: int, fc: int, command: int) -> Layout | None:
    if fc & MANUFACTURER_SPECIFIC:
        return None
    if fc & 3 == 0:
        return PROFILE_LAYOUTS.get(command)
    if fc & 3 == 1:
        return LAYOUTS.get((cluster, (fc >> 3) & 1, command))
    return None


def decode_payload(cluster: int, zcl: dict, data: bytes, pos: int, end: int, base: int) -> dict:
    """Decode the ZCL payload ``data[pos:end]`` into ``zcl`` in one of the three payload forms."""
    fc = zcl["frame_control"]
    command = zcl["command"]
    if fc & 7 == 0:  # profile-wide, not manufacturer specific
        decoder = DECODERS.get(command)
        if decoder is not None:
            zcl.update(decoder(cluster, data, pos, end, base))
            return zcl
        spec = PROFILE_LAYOUTS.get(command)
        if spec is not None:
            zcl["fields"] = read_layout(spec, data, pos, end, base)
            return zcl
    elif fc & 7 == 1:
        spec = LAYOUTS.get((cluster, fc >> 3 & 1, command))
        if spec is not None:
            try:
                zcl["fields"] = read_layout(spec, data, pos, end, base)
            except DecodeError as exc:
                zcl["payload"] = data[pos:end].hex().upper()
                zcl["undecoded"] = str(exc)
            return zcl
    zcl["payload"] = data[pos:end].hex().upper()
    return zcl


def decode_zcl_payload(cluster: int, frame_control: int, command: int, payload: bytes, base: int = 0) -> dict:
    """Decode a bare ZCL payload (e.g. the plaintext of an encrypted GBZ component)."""
    zcl = {"frame_control": frame_control, "command": command}
    decode_payload(cluster, zcl, payload, 0, len(payload), base)
    del zcl["frame_control"], zcl["command"]
    return zcl


def get_field(obj: Any, key: str, path: str) -> Any:
    """``obj[key]`` for an encoder, with an EncodeError naming the path when it is missing."""
    if not isinstance(obj, dict):
        raise EncodeError(path, "object expected")
    try:
        return obj[key]
    except KeyError:
        raise EncodeError(f"{path}/{key}", "field missing") from None


def encode_header(zcl: Any, path: str) -> bytes:
    """Frame control, [manufacturer code], sequence, command id."""
    fc = get_field(zcl, "frame_control", path)
    out = int_bytes(fc, 1, False, f"{path}/frame_control")
    if fc & MANUFACTURER_SPECIFIC:
        out += int_bytes(get_field(zcl, "manufacturer_code", path), 2, False, f"{path}/manufacturer_code")
    out += int_bytes(get_field(zcl, "sequence", path), 1, False, f"{path}/sequence")
    return out + int_bytes(get_field(zcl, "command", path), 1, False, f"{path}/command")


def encode_payload(cluster: int, zcl: dict, path: str) -> bytes:
    """The ZCL payload from whichever payload form the tree holds."""
    if "payload" in zcl:
        return hex_bytes(zcl["payload"], f"{path}/payload")
    fc, command = zcl["frame_control"], zcl["command"]
    if fc & 3 == 0 and not fc & MANUFACTURER_SPECIFIC and command in DECODERS:
        return encode_records(command, zcl, path)
    spec = _layout_for(cluster, fc, command)
    if spec is not None and "fields" in zcl:
        return write_layout(spec, zcl["fields"], f"{path}/fields")
    raise EncodeError(path, "no payload: 'payload' hex or the decoded form of this command expected")
