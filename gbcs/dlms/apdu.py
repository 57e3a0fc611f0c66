"""DLMS APDUs carried as GBCS payloads: access-request, access-response and data-notification."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..ber import encode_length
from ..errors import DecodeError, EncodeError
from .axdr import decode_data, encode_data, read_count
from .cosem import describe_descriptor, format_obis, parse_obis

APDU_TAGS = {0xD9: "access-request", 0xDA: "access-response", 0x0F: "data-notification"}
_APDU_BY_NAME = {name: tag for tag, name in APDU_TAGS.items()}
REQUEST_KINDS = {1: "get", 2: "set", 3: "action", 4: "get-with-selection", 5: "set-with-selection"}
_REQUEST_BY_NAME = {name: code for code, name in REQUEST_KINDS.items()}
RESPONSE_KINDS = {1: "get", 2: "set", 3: "action"}
_RESPONSE_BY_NAME = {name: code for code, name in RESPONSE_KINDS.items()}
DATA_ACCESS_RESULTS = {
    0: "success", 1: "hardware-fault", 2: "temporary-failure", 3: "read-write-denied", 4: "object-undefined",
    9: "object-class-inconsistent", 11: "object-unavailable", 12: "type-unmatched", 13: "scope-of-access-violated",
    14: "data-block-unavailable", 15: "long-get-aborted", 16: "no-long-get-in-progress", 17: "long-set-aborted",
    18: "no-long-set-in-progress", 19: "data-block-number-invalid", 250: "other-reason",
}
ACTION_RESULTS = {
    0: "success", 1: "hardware-fault", 2: "temporary-failure", 3: "read-write-denied", 4: "object-undefined",
    9: "object-class-inconsistent", 11: "object-unavailable", 12: "type-unmatched", 13: "scope-of-access-violated",
    14: "data-block-unavailable", 15: "long-action-aborted", 16: "no-long-action-in-progress", 250: "other-reason",
}


def decode_dlms(data: bytes, base: int = 0) -> dict[str, Any]:
    """Decode a DLMS GBCS payload; offsets in errors are ``base`` + position in ``data``."""
    try:
        tree, pos = _decode(data)
    except DecodeError as exc:
        raise DecodeError(exc.offset + base, exc.field, exc.reason) from None
    if pos != len(data):
        raise DecodeError(base + pos, "dlms", f"{len(data) - pos} unexpected bytes after the APDU")
    return tree


def _decode(buf: bytes) -> tuple[dict[str, Any], int]:
    end = len(buf)
    if end < 6:
        raise DecodeError(0, "dlms apdu", f"APDU of {end} bytes is shorter than tag + invoke-id + date-time")
    tag = buf[0]
    name = APDU_TAGS.get(tag)
    if name is None:
        raise DecodeError(0, "dlms apdu", f"unknown APDU tag 0x{tag:02X}")
    liiap = int.from_bytes(buf[1:5], "big")
    dt_len, pos = read_count(buf, 5, end, "date-time")
    if pos + dt_len > end:
        raise DecodeError(5, "date-time", "runs past the end of the APDU")
    tree: dict[str, Any] = {
        "apdu": name,
        "invoke_id": liiap,
        "date_time": buf[pos : pos + dt_len].hex().upper() if dt_len else None,
    }
    pos += dt_len
    if tag == 0x0F:
        tree["notification"], pos = decode_data(buf, pos, end)
    elif tag == 0xD9:
        tree["requests"], pos = _decode_request_specs(buf, pos, end)
        tree["data"], pos = _decode_data_list(buf, pos, end, "request data")
    else:
        if pos >= end:
            raise DecodeError(pos, "access-request-specification", "presence flag expected, input ends")
        flag = buf[pos]
        pos += 1
        if flag == 0:
            tree["requests"] = None
        elif flag == 1:
            tree["requests"], pos = _decode_request_specs(buf, pos, end)
        else:
            raise DecodeError(pos - 1, "access-request-specification", f"presence flag 0x{flag:02X} is not 0 or 1")
        tree["data"], pos = _decode_data_list(buf, pos, end, "response data")
        tree["results"], pos = _decode_response_specs(buf, pos, end)
    return tree, pos


def _decode_data_list(buf: bytes, pos: int, end: int, field: str) -> tuple[list[dict[str, Any]], int]:
    count, pos = read_count(buf, pos, end, field + " count")
    if count > end - pos:
        raise DecodeError(pos, field, f"{count} elements cannot fit in {end - pos} bytes")
    items = []
    for _ in range(count):
        item, pos = decode_data(buf, pos, end)
        items.append(item)
    return items, pos


def _decode_request_specs(buf: bytes, pos: int, end: int) -> tuple[list[dict[str, Any]], int]:
    count, pos = read_count(buf, pos, end, "request-specification count")
    if count * 10 > end - pos:
        raise DecodeError(pos, "request-specification", f"{count} specifications cannot fit in {end - pos} bytes")
    specs = []
    for _ in range(count):
        start = pos
        if pos + 10 > end:
            raise DecodeError(pos, "request-specification", "10 bytes expected (choice, class, OBIS, member)")
        if buf[pos] not in REQUEST_KINDS:
            raise DecodeError(pos, "request-specification", f"unknown choice 0x{buf[pos]:02X}")
        spec: dict[str, Any] = dict(_describe_spec(buf[pos : pos + 10]))
        kind = spec["kind"]
        pos += 10
        if kind in ("get-with-selection", "set-with-selection"):
            if pos >= end:
                raise DecodeError(pos, "access-selector", "input ends")
            spec["selector"] = buf[pos]
            spec["selector_parameters"], pos = decode_data(buf, pos + 1, end)
        if pos == start:  # pragma: no cover - every branch advances
            raise DecodeError(pos, "request-specification", "no progress")
        specs.append(spec)
    return specs, pos


@lru_cache(maxsize=4096)
def _describe_spec(raw: bytes) -> tuple[tuple[str, Any], ...]:
    """The named fields of a 10-byte request specification (choice, class, OBIS, member); cached."""
    kind = REQUEST_KINDS[raw[0]]
    class_id = int.from_bytes(raw[1:3], "big")
    obis = raw[3:9]
    spec: dict[str, Any] = {"kind": kind, "class_id": class_id, "obis": format_obis(obis)}
    spec["method" if kind == "action" else "attribute"] = raw[9]
    spec.update(describe_descriptor(kind, class_id, obis, raw[9]))
    return tuple(spec.items())


def _decode_response_specs(buf: bytes, pos: int, end: int) -> tuple[list[dict[str, Any]], int]:
    count, pos = read_count(buf, pos, end, "response-specification count")
    if count * 2 > end - pos:
        raise DecodeError(pos, "response-specification", f"{count} results cannot fit in {end - pos} bytes")
    results = []
    for _ in range(count):
        kind = RESPONSE_KINDS.get(buf[pos])
        if kind is None:
            raise DecodeError(pos, "response-specification", f"unknown choice 0x{buf[pos]:02X}")
        code = buf[pos + 1]
        table = ACTION_RESULTS if kind == "action" else DATA_ACCESS_RESULTS
        result: dict[str, Any] = {"kind": kind, "result": code}
        if code in table:
            result["result_name"] = table[code]
        results.append(result)
        pos += 2
    return results, pos


# ---------------------------------------------------------------- encoding


def encode_dlms(tree: dict[str, Any]) -> bytes:
    """Encode a DLMS payload tree (the inverse of :func:`decode_dlms`)."""
    name = tree.get("apdu")
    if name not in _APDU_BY_NAME:
        raise EncodeError("payload/apdu", f"unknown APDU {name!r}")
    try:
        invoke_id = int(tree["invoke_id"]).to_bytes(4, "big")
        date_time = bytes.fromhex(tree.get("date_time") or "")
    except (KeyError, ValueError, OverflowError, TypeError) as exc:
        raise EncodeError("payload", f"bad invoke_id or date_time: {exc}") from None
    out = [bytes((_APDU_BY_NAME[name],)), invoke_id, encode_length(len(date_time)), date_time]
    if name == "data-notification":
        out.append(encode_data(tree.get("notification"), "payload/notification"))
    elif name == "access-request":
        out.append(_encode_request_specs(tree.get("requests")))
        out.append(_encode_data_list(tree.get("data"), "payload/data"))
    else:
        requests = tree.get("requests")
        out.append(b"\x00" if requests is None else b"\x01" + _encode_request_specs(requests))
        out.append(_encode_data_list(tree.get("data"), "payload/data"))
        out.append(_encode_response_specs(tree.get("results")))
    return b"".join(out)


def _encode_data_list(items: Any, path: str) -> bytes:
    if not isinstance(items, list):
        raise EncodeError(path, "expected a list of Data elements")
    return encode_length(len(items)) + b"".join(encode_data(item, f"{path}/{i}") for i, item in enumerate(items))


def _encode_request_specs(specs: Any) -> bytes:
    if not isinstance(specs, list):
        raise EncodeError("payload/requests", "expected a list of request specifications")
    out = [encode_length(len(specs))]
    for i, spec in enumerate(specs):
        path = f"payload/requests/{i}"
        kind = spec.get("kind")
        if kind not in _REQUEST_BY_NAME:
            raise EncodeError(path, f"unknown request kind {kind!r}")
        try:
            member = spec["method" if kind == "action" else "attribute"]
            out.append(
                bytes((_REQUEST_BY_NAME[kind],))
                + int(spec["class_id"]).to_bytes(2, "big")
                + parse_obis(spec["obis"])
                + bytes((member,))
            )
            if kind in ("get-with-selection", "set-with-selection"):
                out.append(bytes((spec["selector"],)))
                out.append(encode_data(spec["selector_parameters"], path + "/selector_parameters"))
        except (KeyError, ValueError, OverflowError, TypeError) as exc:
            raise EncodeError(path, f"bad request specification: {exc}") from None
    return b"".join(out)


def _encode_response_specs(results: Any) -> bytes:
    if not isinstance(results, list):
        raise EncodeError("payload/results", "expected a list of results")
    out = [encode_length(len(results))]
    for i, result in enumerate(results):
        kind = result.get("kind")
        if kind not in _RESPONSE_BY_NAME:
            raise EncodeError(f"payload/results/{i}", f"unknown result kind {kind!r}")
        try:
            out.append(bytes((_RESPONSE_BY_NAME[kind], result["result"])))
        except (KeyError, ValueError, TypeError) as exc:
            raise EncodeError(f"payload/results/{i}", f"bad result: {exc}") from None
    return b"".join(out)


# ---------------------------------------------------------------- encrypted elements


def _is_protection_parameters(node: dict[str, Any]) -> bool:
    """An array of (protection-type enum, protection-options structure) pairs."""
    if node.get("type") != "array" or not node["value"]:
        return False
    first = node["value"][0]
    return (
        first.get("type") == "structure"
        and len(first["value"]) == 2
        and first["value"][0].get("type") == "enum"
        and first["value"][1].get("type") == "structure"
    )


def encrypted_elements(tree: dict[str, Any]) -> list[tuple[str, bytes]]:
    """Protected-data octet strings that follow their protection parameters (GBCS protected data)."""
    found: list[tuple[str, bytes]] = []
    if "notification" in tree:
        _search(tree["notification"], ["notification"], found)
    for i, item in enumerate(tree.get("data") or ()):
        _search(item, ["data", i], found)
    return found


_CONTAINERS = ("structure", "array")


def _search(node: dict[str, Any], trail: list[Any], found: list[tuple[str, bytes]]) -> None:
    """Depth-first search of one Data tree; ``trail`` is the path so far, formatted only on a match.

    Depth is bounded by the decoder's nesting limit.
    """
    if node.get("type") not in _CONTAINERS:
        return
    previous: dict[str, Any] | None = None
    for i, member in enumerate(node["value"]):
        kind = member.get("type")
        if kind == "octet-string":
            value = member["value"]
            if (
                previous is not None
                and len(value) >= 34
                and int(value[:2], 16) & 0x20
                and _is_protection_parameters(previous)
            ):
                path = "/".join(str(step) for step in trail)
                found.append((f"/{path}/value/{i}/value", bytes.fromhex(value)))
        elif kind in _CONTAINERS:
            trail += ("value", i)
            _search(member, trail, found)
            del trail[-2:]
        previous = member
