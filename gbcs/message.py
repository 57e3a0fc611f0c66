"""Whole GBCS messages: bytes to the named tree of docs/tree-format.md and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .asn1 import ASN1_MESSAGE_CODES, decode_asn1, encode_asn1
from .asn1 import encrypted_elements as asn1_encrypted
from .codes import describe_message_code
from .dlms import decode_dlms, encode_dlms
from .dlms import encrypted_elements as dlms_encrypted
from .errors import DecodeError, EncodeError
from .framing import CRA_CODES, CRA_NAMES, Frame, build_apdu, build_mac_header_message, parse_frame
from .gbz import decode_gbz, encode_gbz
from .gbz import encrypted_elements as gbz_encrypted
from .other_information import OtherInformation, encode_other_information, parse_other_information

PAYLOAD_TYPES = ("dlms", "gbz", "asn1")
_ENCRYPTED_FINDERS: dict[str, Callable[[dict[str, Any]], list[tuple[str, bytes]]]] = {
    "dlms": dlms_encrypted,
    "gbz": gbz_encrypted,
    "asn1": asn1_encrypted,
}


def payload_type_of(message_code: int, content: bytes) -> str:
    """The payload encoding, by the rule of gbcs spec §3: ASN.1 codes, then GBZ, then DLMS tags."""
    if message_code in ASN1_MESSAGE_CODES:
        return "asn1"
    if content[:2] == b"\x01\x09":
        return "gbz"
    if content[:1] in (b"\xd9", b"\xda", b"\x0f"):
        return "dlms"
    return "asn1"


def decode_payload(payload_type: str, frame: Frame) -> dict[str, Any]:
    """Decode the content of ``frame`` with the codec for ``payload_type``."""
    content, base = frame.content, frame.content_offset
    if payload_type == "dlms":
        return decode_dlms(content, base)
    if payload_type == "gbz":
        return decode_gbz(content, base, frame.cra, frame.message_code)
    return decode_asn1(content, base, frame.message_code, frame.cra)


def encode_payload(payload_type: str, payload: dict[str, Any]) -> bytes:
    """Encode a payload tree with the codec for ``payload_type``."""
    if not isinstance(payload, dict):
        raise EncodeError("payload", "expected an object")
    if payload_type == "dlms":
        return encode_dlms(payload)
    if payload_type == "gbz":
        return encode_gbz(payload)
    if payload_type == "asn1":
        return encode_asn1(payload)
    raise EncodeError("payload_type", f"unknown payload type {payload_type!r}")


def encrypted_elements(payload_type: str, payload: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The encrypted elements of a payload as (JSON pointer from the message root, wire bytes)."""
    return [("/payload" + pointer, data) for pointer, data in _ENCRYPTED_FINDERS[payload_type](payload)]


def _other_information(frame: Frame) -> dict[str, Any]:
    """The supplementary fields of other-information (gbcs spec §1.4), each None when absent.

    Only the GBCS forms are accepted, so every accepted field re-encodes to the same bytes.
    """
    raw = frame.other_information
    info = parse_other_information(raw)
    if encode_other_information(info) != raw:
        offset = frame.apdu_offset + 37 + len(frame.date_time)
        reason = f"length {len(raw)} is not a GBCS form (2, 10, 18, 26, or with a certificate)"
        raise DecodeError(offset, "other-information", reason)
    srp, cert = info.supplementary_remote_party, info.certificate
    return {
        "supplementary_remote_party": srp.hex().upper() if srp else None,
        "supplementary_remote_party_counter": info.supplementary_remote_party_counter,
        "supplementary_originator_counter": info.supplementary_originator_counter,
        "certificate": cert.hex().upper() if cert else None,
    }


def blank_result(source: str | None) -> dict[str, Any]:
    """The fields every parse result has, before anything is known."""
    return {
        "source": source,
        "ok": False,
        "error": None,
        "cra": None,
        "counter": None,
        "originator": None,
        "recipient": None,
        "message_code": None,
        "use_case": None,
        "use_case_name": None,
        "mac_header": None,
        "signature": None,
        "mac": None,
        "payload_type": None,
        "payload": None,
        "signature_valid": None,
        "mac_valid": None,
        "decrypted": [],
    }


def decode_message(buf: bytes, source: str | None = None) -> dict[str, Any]:
    """Decode a whole GBCS message; never raises on bad input (``ok`` false and ``error`` set)."""
    result = blank_result(source)
    try:
        frame = parse_frame(buf)
        fill_from_frame(result, frame)
        payload_type = payload_type_of(frame.message_code, frame.content)
        result["payload_type"] = payload_type
        result["payload"] = decode_payload(payload_type, frame)
    except DecodeError as exc:
        result["error"] = str(exc)
        result["error_offset"] = exc.offset
        return result
    result["ok"] = True
    return result


def fill_from_frame(result: dict[str, Any], frame: Frame) -> None:
    """Copy the framing fields into a parse result."""
    code = frame.message_code
    row = describe_message_code(code)
    signature = frame.signature
    result.update(
        cra=CRA_NAMES[frame.cra],
        counter=frame.counter,
        originator=frame.originator.hex().upper(),
        recipient=frame.recipient.hex().upper(),
        message_code=code,
        use_case=row.use_case if row else None,
        use_case_name=row.name if row else None,
        mac_header=frame.mac_header,
        security_control=frame.security_control,
        invocation_counter=frame.invocation_counter,
        date_time=frame.date_time.hex().upper() if frame.date_time else None,
        other_information=_other_information(frame),
        signature_form="absent" if signature is None else ("null" if not signature else "present"),
        signature=signature.hex().upper() if signature else None,
        mac=frame.mac.hex().upper() if frame.mac is not None else None,
    )


# ---------------------------------------------------------------- encoding


def _hex_field(tree: dict[str, Any], key: str, size: int | None = None) -> bytes:
    value = tree.get(key)
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise EncodeError(key, f"expected hex, got {value!r}") from None
    if size is not None and len(raw) != size:
        raise EncodeError(key, f"expected {size} bytes, got {len(raw)}")
    return raw


def other_information_bytes(tree: dict[str, Any]) -> bytes:
    """Rebuild other-information from the message code and the supplementary fields."""
    info = tree.get("other_information") or {}
    try:
        code = int(tree["message_code"])
        srp = bytes.fromhex(info["supplementary_remote_party"]) if info.get("supplementary_remote_party") else None
        cert = info.get("certificate")
        if not 0 <= code <= 0xFFFF or (srp is not None and len(srp) != 8):
            raise ValueError("message code 0..65535 and an 8-byte supplementary remote party expected")
        fields = OtherInformation(
            code,
            srp,
            _optional_int(info.get("supplementary_remote_party_counter")),
            _optional_int(info.get("supplementary_originator_counter")),
            bytes.fromhex(cert) if cert else None,
        )
        return encode_other_information(fields)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise EncodeError("other_information", str(exc)) from None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def encode_apdu(tree: dict[str, Any], content: bytes | None = None, signature: bytes | None | str = "tree") -> bytes:
    """The general-signing APDU of a message tree (content and signature may be supplied instead)."""
    cra = tree.get("cra")
    if cra not in CRA_CODES:
        raise EncodeError("cra", f"expected command, response or alert, got {cra!r}")
    if content is None:
        content = encode_payload(tree.get("payload_type"), tree.get("payload"))
    if signature == "tree":
        form = tree.get("signature_form", "present" if tree.get("signature") else "null")
        if form == "present":
            signature = _hex_field(tree, "signature", 64)
        elif form == "null":
            signature = b""
        elif form == "absent":
            signature = None
        else:
            raise EncodeError("signature_form", f"expected present, null or absent, got {form!r}")
    try:
        counter = int(tree["counter"])
        return build_apdu(
            CRA_CODES[cra],
            counter,
            _hex_field(tree, "originator", 8),
            _hex_field(tree, "recipient", 8),
            bytes.fromhex(tree.get("date_time") or ""),
            other_information_bytes(tree),
            content,
            signature,  # type: ignore[arg-type]
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise EncodeError("header", f"cannot encode: {exc}") from None


def encode_message(tree: dict[str, Any]) -> bytes:
    """Encode a parse result back to the exact message bytes."""
    apdu = encode_apdu(tree)
    if not tree.get("mac_header"):
        return apdu
    mac = _hex_field(tree, "mac", 12)
    sc = tree.get("security_control", 0x11)
    ic = tree.get("invocation_counter", 0)
    if not isinstance(sc, int) or not 0 <= sc <= 255 or not isinstance(ic, int) or not 0 <= ic < 2**32:
        raise EncodeError("security_control", "SC must be 0..255 and IC 0..2^32-1")
    return build_mac_header_message(apdu, mac, sc, ic)
