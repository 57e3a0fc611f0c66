"""Profile-wide ZCL commands made of attribute records (read, write, report, configure reporting).

Each decoder returns ``{"records": [...]}`` (or ``{"fields": {"status": s}}`` for the
one-byte "all succeeded" form of the write / configure-reporting responses) and raises
DecodeError with an absolute offset on anything that does not parse exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import DecodeError, EncodeError
from .zcl_names import DATA_TYPES, STATUS, attribute_info
from .zcl_types import ANALOG, KNOWN_TYPES, annotate, int_bytes, read_value, write_value

READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
WRITE_ATTRIBUTES, WRITE_UNDIVIDED, WRITE_RESPONSE, WRITE_NO_RESPONSE = 0x02, 0x03, 0x04, 0x05
CONFIGURE_REPORTING, CONFIGURE_REPORTING_RESPONSE = 0x06, 0x07
READ_REPORTING_CONFIGURATION, READ_REPORTING_CONFIGURATION_RESPONSE = 0x08, 0x09
REPORT_ATTRIBUTES = 0x0A


def _record(cluster: int, attribute: int) -> dict:
    rec: dict = {"attribute": attribute}
    info = attribute_info(cluster, attribute)
    if info is not None:
        rec["attribute_name"] = info[0]
        if info[2]:
            rec["unit"] = info[2]
    return rec


def _need(data_end: int, pos: int, size: int, base: int, field: str, what: str) -> None:
    if pos + size > data_end:
        raise DecodeError(base + pos, field, f"{what} truncated ({data_end - pos} of {size} bytes left)")


def _typed_value(rec: dict, data: bytes, pos: int, end: int, base: int, field: str) -> int:
    """Read ``type | value`` into ``rec``; return the position after it."""
    _need(end, pos, 1, base, field, "data type")
    type_id = data[pos]
    if type_id not in KNOWN_TYPES:
        raise DecodeError(base + pos, field, f"unknown ZCL data type 0x{type_id:02X}, value length not determinable")
    value, pos = read_value(data, pos + 1, end, type_id, base, field)
    rec["type"] = type_id
    rec["type_name"] = DATA_TYPES.get(type_id)
    rec["value"] = value
    annotate(rec, type_id, value)
    return pos


def _read_attributes(cluster: int, data: bytes, pos: int, end: int, base: int) -> dict:
    if (end - pos) & 1:
        raise DecodeError(base + end - 1, "zcl.records", "odd payload length: attribute ids are 2 bytes")
    return {"records": [_record(cluster, data[p] | data[p + 1] << 8) for p in range(pos, end, 2)]}


def _read_attributes_response(cluster: int, data: bytes, pos: int, end: int, base: int) -> dict:
    records = []
    while pos < end:
        field = f"zcl.records[{len(records)}]"
        _need(end, pos, 3, base, field, "attribute status record")
        rec = _record(cluster, data[pos] | data[pos + 1] << 8)
        status = data[pos + 2]
        rec["status"] = status
        rec["status_name"] = STATUS.get(status)
        pos += 3
        if status == 0:
            pos = _typed_value(rec, data, pos, end, base, field)
        records.append(rec)
    return {"records": records}


def _write_attributes(cluster: int, data: bytes, pos: int, end: int, base: int) -> dict:
    records = []
    while pos < end:
        field = f"zcl.records[{len(records)}]"
        _need(end, pos, 2, base, field, "attribute id")
        rec = _record(cluster, data[pos] | data[pos + 1] << 8)
        pos = _typed_value(rec, data, pos + 2, end, base, field)
        records.append(rec)
    return {"records": records}


def _status_records(cluster: int, data: bytes, pos: int, end: int, base: int, with_direction: bool) -> dict:
    """Write / configure-reporting response: one status byte, or ``status [direction] attribute`` records."""
    if end - pos == 1:
        return {"fields": {"status": data[pos], "status_name": STATUS.get(data[pos])}}
    size = 4 if with_direction else 3
    if (end - pos) % size:
        raise DecodeError(base + pos, "zcl.records", f"{end - pos} bytes are not whole {size}-byte status records")
    records = []
    for p in range(pos, end, size):
        rec = _record(cluster, data[p + size - 2] | data[p + size - 1] << 8)
        rec["status"] = data[p]
        rec["status_name"] = STATUS.get(data[p])
        if with_direction:
            rec["direction"] = data[p + 1]
        records.append(rec)
    return {"records": records}


def _reporting_body(rec: dict, direction: int, data: bytes, pos: int, end: int, base: int, field: str) -> int:
    """The direction-dependent part of a reporting configuration record."""
    if direction == 0:
        _need(end, pos, 5, base, field, "reporting configuration")
        type_id = data[pos]
        rec["type"] = type_id
        rec["type_name"] = DATA_TYPES.get(type_id)
        rec["min_interval"] = data[pos + 1] | data[pos + 2] << 8
        rec["max_interval"] = data[pos + 3] | data[pos + 4] << 8
        pos += 5
        if type_id in ANALOG:
            rec["reportable_change"], pos = read_value(data, pos, end, type_id, base, field)
        return pos
    if direction == 1:
        _need(end, pos, 2, base, field, "timeout period")
        rec["timeout"] = data[pos] | data[pos + 1] << 8
        return pos + 2
    raise DecodeError(base + pos - 3, field, f"reporting direction {direction} is neither 0 nor 1")


def _configure_reporting(cluster: int, data: bytes, pos: int, end: int, base: int) -> dict:
    records = []
    while pos < end:
        field = f"zcl.records[{len(records)}]"
        _need(end, pos, 3, base, field, "reporting record")
        direction = data[pos]
        rec = _record(cluster, data[pos + 1] | data[pos + 2] << 8)
        rec["direction"] = direction
        pos = _reporting_body(rec, direction, data, pos + 3, end, base, field)
        records.append(rec)
    return {"records": records}


def _read_reporting_configuration(cluster: int, data: bytes, pos: int, end: int, base: int) -> dict:
    if (end - pos) % 3:
        raise DecodeError(base + pos, "zcl.records", f"{end - pos} bytes are not whole 3-byte records")
    records = []
    for p in range(pos, end, 3):
        rec = _record(cluster, data[p + 1] | data[p + 2] << 8)
        rec["direction"] = data[p]
        records.append(rec)
    return {"records": records}


def _read_reporting_configuration_response(cluster: int, data: bytes, pos: int, end: int, base: int) -> dict:
    records = []
    while pos < end:
        field = f"zcl.records[{len(records)}]"
        _need(end, pos, 4, base, field, "reporting configuration record")
        status, direction = data[pos], data[pos + 1]
        rec = _record(cluster, data[pos + 2] | data[pos + 3] << 8)
        rec["status"] = status
        rec["status_name"] = STATUS.get(status)
        rec["direction"] = direction
        pos += 4
        if status == 0:
            pos = _reporting_body(rec, direction, data, pos, end, base, field)
        records.append(rec)
    return {"records": records}


Decoder = Callable[[int, bytes, int, int, int], dict]

DECODERS: dict[int, Decoder] = {
    READ_ATTRIBUTES: _read_attributes,
    READ_ATTRIBUTES_RESPONSE: _read_attributes_response,
    WRITE_ATTRIBUTES: _write_attributes,
    WRITE_UNDIVIDED: _write_attributes,
    WRITE_RESPONSE: lambda c, d, p, e, b: _status_records(c, d, p, e, b, False),
    WRITE_NO_RESPONSE: _write_attributes,
    CONFIGURE_REPORTING: _configure_reporting,
    CONFIGURE_REPORTING_RESPONSE: lambda c, d, p, e, b: _status_records(c, d, p, e, b, True),
    READ_REPORTING_CONFIGURATION: _read_reporting_configuration,
    READ_REPORTING_CONFIGURATION_RESPONSE: _read_reporting_configuration_response,
    REPORT_ATTRIBUTES: _write_attributes,
}


# --- encoders -----------------------------------------------------------------------------------

def _get(rec: dict, key: str, path: str) -> Any:
    try:
        return rec[key]
    except KeyError:
        raise EncodeError(f"{path}/{key}", "field missing") from None


def _u8(rec: dict, key: str, path: str) -> bytes:
    return int_bytes(_get(rec, key, path), 1, False, f"{path}/{key}")


def _u16(rec: dict, key: str, path: str) -> bytes:
    return int_bytes(_get(rec, key, path), 2, False, f"{path}/{key}")


def _typed(rec: dict, path: str) -> bytes:
    type_id = _get(rec, "type", path)
    return _u8(rec, "type", path) + write_value(type_id, rec.get("value"), f"{path}/value")


def _reporting_bytes(rec: dict, direction: Any, path: str) -> bytes:
    if direction == 0:
        type_id = _get(rec, "type", path)
        out = _u8(rec, "type", path) + _u16(rec, "min_interval", path) + _u16(rec, "max_interval", path)
        if type_id in ANALOG:
            out += write_value(type_id, _get(rec, "reportable_change", path), f"{path}/reportable_change")
        return out
    if direction == 1:
        return _u16(rec, "timeout", path)
    raise EncodeError(f"{path}/direction", "reporting direction must be 0 or 1")


def _encode_record(command: int, rec: Any, path: str) -> bytes:
    if not isinstance(rec, dict):
        raise EncodeError(path, "record object expected")
    attr = _u16(rec, "attribute", path)
    if command == READ_ATTRIBUTES:
        return attr
    if command == READ_ATTRIBUTES_RESPONSE:
        status = _get(rec, "status", path)
        return attr + _u8(rec, "status", path) + (_typed(rec, path) if status == 0 else b"")
    if command in (WRITE_ATTRIBUTES, WRITE_UNDIVIDED, WRITE_NO_RESPONSE, REPORT_ATTRIBUTES):
        return attr + _typed(rec, path)
    if command == WRITE_RESPONSE:
        return _u8(rec, "status", path) + attr
    if command == CONFIGURE_REPORTING_RESPONSE:
        return _u8(rec, "status", path) + _u8(rec, "direction", path) + attr
    if command == READ_REPORTING_CONFIGURATION:
        return _u8(rec, "direction", path) + attr
    direction = _get(rec, "direction", path)
    if command == CONFIGURE_REPORTING:
        return _u8(rec, "direction", path) + attr + _reporting_bytes(rec, direction, path)
    # READ_REPORTING_CONFIGURATION_RESPONSE
    status = _get(rec, "status", path)
    head = _u8(rec, "status", path) + _u8(rec, "direction", path) + attr
    return head + (_reporting_bytes(rec, direction, path) if status == 0 else b"")


def encode_records(command: int, zcl: dict, path: str) -> bytes:
    """Encode the payload of a record-based profile-wide command from ``records`` or ``fields``."""
    if "records" not in zcl:
        fields = _get(zcl, "fields", path)
        if command not in (WRITE_RESPONSE, CONFIGURE_REPORTING_RESPONSE) or not isinstance(fields, dict):
            raise EncodeError(f"{path}/records", "record list expected")
        return _u8(fields, "status", f"{path}/fields")
    records = zcl["records"]
    if not isinstance(records, list):
        raise EncodeError(f"{path}/records", "list expected")
    return b"".join(_encode_record(command, rec, f"{path}/records/{i}") for i, rec in enumerate(records))

