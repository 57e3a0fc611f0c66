"""ASN.1 DER payloads of GBCS (spec section 3.3), decoded with asn1tools and gbcs.asn.

``decode_asn1`` gives a typed view ``{"asn1_type": name, "value": ...}`` when the GBCS
module has a type for the message code and CRA flag that decodes the payload *and*
re-encodes to exactly the same bytes; otherwise a generic TLV view
``{"asn1_type": None, "tlv": {...}}`` (see tlv.py).  Both encode back with
``encode_asn1``, which reads only structural keys.

RTDS device responses write lengths 128..255 as ``82 00 LL`` (BER, not DER).  The
typed view then carries ``"length_octets": {tlv path: n}`` for those TLVs (path:
child indices from the top TLV "0", joined by "."), and the encoder writes them so.
When a typed type exists but does not fit, the generic view says why in
``typed_error`` (descriptive only).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asn1tools
from asn1tools.codecs import ber as _ber
from asn1tools.codecs import der as _der
from asn1tools.codecs import (
    restricted_generalized_time_from_datetime,
    restricted_generalized_time_to_datetime,
    restricted_utc_time_from_datetime,
    restricted_utc_time_to_datetime,
)

from ..ber import encode_length
from ..errors import DecodeError, EncodeError
from . import tlv as _tlv

View = tuple[Callable[[Any], Any], Callable[[Any, str], Any]]
"""``(to_json, from_json)``: asn1tools value -> JSON, and JSON (with its path) -> asn1tools value."""

MODULE_PATH = Path(__file__).with_name("gbcs.asn")
MODULE_NAME = "GBCS-Payloads"

COMMAND, RESPONSE, ALERT = 1, 2, 3

# (message codes, command type, response type, alert type)
_USE_CASES: tuple[tuple[tuple[int, ...], str | None, str | None, str | None], ...] = (
    ((0x0008, 0x011B), "ProvideSecurityCredentialDetailsCommand", "ProvideSecurityCredentialDetailsResponse", None),
    (
        tuple(range(0x0100, 0x010A)) + (0x0125, 0x0126),
        "UpdateSecurityCredentialsCommand",
        "UpdateSecurityCredentialsResponse",
        None,
    ),
    ((0x00CB, 0x0124), None, None, "UpdateSecurityCredentialsAlert"),
    ((0x000A,), "IssueSecurityCredentialsCommand", "IssueSecurityCredentialsResponse", None),
    ((0x000B,), "UpdateDeviceCertificateCommand", "UpdateDeviceCertificateResponse", None),
    ((0x000C,), "ProvideDeviceCertificateCommand", "ProvideDeviceCertificateResponse", None),
    ((0x000D, 0x00AB, 0x000E, 0x00AF), "JoinCommand", "JoinResponse", None),
    ((0x000F, 0x0010), "UnjoinCommand", "UnjoinResponse", None),
    ((0x0012,), "ActivateFirmwareCommand", "ActivateFirmwareResponse", None),
    ((0x00CA,), None, None, "FutureDatedFirmwareActivationAlert"),
    ((0x0013,), "ReadDeviceJoinDetailsCommand", "ReadDeviceJoinDetailsResponse", None),
    ((0x007F,), "SetClockCommand", "SetClockResponse", None),
    ((0x008C,), "RestoreGPFDeviceLogCommand", "RestoreGPFDeviceLogResponse", None),
    ((0x00B2,), None, None, "GPFDeviceLogBackupAlert"),
    ((0x0128,), None, None, "FirmwareTransferAlert"),
    ((0x0129,), "ReadFirmwareVersionCommand", "ReadFirmwareVersionResponse", None),
    ((0x012B,), None, None, "ReadFirmwareVersionAlert"),
)


def _type_table() -> dict[tuple[int, int], str]:
    table: dict[tuple[int, int], str] = {}
    for codes, command, response, alert in _USE_CASES:
        for code in codes:
            for cra, name in ((COMMAND, command), (RESPONSE, response), (ALERT, alert)):
                if name is not None:
                    table[(code, cra)] = name
    return table


TYPE_FOR: dict[tuple[int, int], str] = _type_table()
"""GBCS module type of each (message code, CRA flag) payload."""

ASN1_MESSAGE_CODES: frozenset[int] = frozenset(code for code, _ in TYPE_FOR)
"""Message codes whose payload is ASN.1 DER (spec section 3.3, including the newer codes)."""


def candidate_types(message_code: int | None, cra: int) -> tuple[str, ...]:
    """Module types to try for a payload: the one for the CRA flag, else any for the code."""
    if message_code is None:
        return ()
    exact = TYPE_FOR.get((message_code, cra))
    if exact is not None:
        return (exact,)
    return tuple(dict.fromkeys(name for (code, _), name in TYPE_FOR.items() if code == message_code))


# ----------------------------------------------------------------------------- module


class _Lossless(dict):
    """Identity mapping for every integer: an extensible ENUMERATED keeps unknown values.

    asn1tools decodes an ENUMERATED value outside the named list as None, which cannot be
    re-encoded; GBCS devices may send codes we have no name for, so the number is kept.
    """

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and not isinstance(key, bool)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        raise KeyError(key)


class _BoundedArray:
    """SEQUENCE OF / SET OF decoding that stops on an element with an unexpected tag.

    asn1tools 0.169 loops for ever (appending without end) when an element of a
    SEQUENCE OF does not have the element type's tag; this version refuses it instead.
    """

    element_type: Any

    def decode_content(self, data: bytearray, offset: int, length: int) -> tuple[list[Any], int]:
        decoded = []
        end = offset + length
        while offset < end:
            element, after = self.element_type.decode(data, offset)
            if after <= offset or element is _ber.TAG_MISMATCH:
                raise _ber.DecodeError("unexpected element in SEQUENCE OF", offset=offset)
            decoded.append(element)
            offset = after
        return decoded, offset


_ARRAY_TYPES = getattr(_der, "ArrayType", ())  # asn1tools internals: patched only where found


@functools.cache
def _bounded_class(cls: type) -> type:
    return type(f"Bounded{cls.__name__}", (_BoundedArray, cls), {})


def _harden(compiled: Any) -> None:
    """Adjust the compiled asn1tools types: lossless extensible enumerations, bounded arrays."""
    seen: set[int] = set()
    stack = [t.type for t in compiled.types.values()]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, _ber.Enumerated) and getattr(node, "has_extension_marker", False):
            node.value_to_data = _Lossless()
            node.data_to_value = _Lossless()
        if isinstance(node, _ARRAY_TYPES) and not isinstance(node, _BoundedArray):
            node.__class__ = _bounded_class(type(node))
        for attr in ("root_members", "members"):
            stack.extend(getattr(node, attr, None) or ())
        for addition in getattr(node, "additions", None) or ():
            stack.extend(addition if isinstance(addition, list) else [addition])
        for attr in ("element_type", "inner"):
            stack.append(getattr(node, attr, None))


class Schema:
    """The compiled GBCS module and the JSON views of its types."""

    def __init__(self, text: str) -> None:
        parsed = asn1tools.parse_string(text)
        self.types: dict[str, dict[str, Any]] = parsed[MODULE_NAME]["types"]
        self.compiled = asn1tools.compile_dict(parsed, "der", numeric_enums=True)
        _harden(self.compiled)
        self._views: dict[str, View] = {}

    def view(self, name: str) -> View:
        """``(to_json, from_json)`` for a named type."""
        found = self._views.get(name)
        if found is None:
            found = self._views[name] = self._build(name, self.types[name])
        return found

    # -- building the converters

    def _resolve(self, desc: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """Follow references to named types: ``(name of the last named type, descriptor)``."""
        name = None
        hops = 0
        while desc["type"] in self.types and hops < 32:
            name = desc["type"]
            merged = dict(self.types[name])
            for key in ("named-numbers", "named-bits", "values"):
                if key in desc:
                    merged[key] = desc[key]
            desc = merged
            hops += 1
        return name, desc

    def _build(self, name: str | None, desc: dict[str, Any]) -> View:
        ref, resolved = self._resolve(desc)
        if ref is not None and ref != name:
            return self.view(ref)
        if name == "Certificate":
            return _certificate_view()
        kind = resolved["type"]
        if kind in ("SEQUENCE", "SET"):
            return self._sequence(resolved)
        if kind in ("SEQUENCE OF", "SET OF"):
            return self._sequence_of(resolved)
        if kind == "CHOICE":
            return self._choice(resolved)
        if kind in ("INTEGER", "ENUMERATED"):
            if kind == "ENUMERATED":
                names = {v[0]: v[1] for v in resolved["values"] if isinstance(v, (list, tuple))}
                names = {num: n for n, num in names.items()}
            else:
                names = {num: n for n, num in resolved.get("named-numbers", {}).items()}
            return _integer_view(names)
        if kind == "BIT STRING":
            return _bit_string_view([(n, int(bit)) for n, bit in resolved.get("named-bits", [])])
        simple = _SIMPLE_VIEWS.get(kind)
        if simple is None:
            raise ValueError(f"gbcs.asn: no JSON view for ASN.1 type {kind}")
        return simple

    def _member_view(self, member: dict[str, Any]) -> View:
        if member["type"] in self.types:
            return self.view(member["type"])
        return self._build(None, member)

    def _sequence(self, desc: dict[str, Any]) -> View:
        members = []
        for member in desc["members"]:
            if not isinstance(member, dict):
                continue  # extension marker
            to_json, from_json = self._member_view(member)
            resolved = self._resolve(member)[1]
            optional = bool(member.get("optional")) or "default" in member
            members.append((member["name"], to_json, from_json, optional, resolved["type"] == "NULL"))

        def to_json(value: dict[str, Any]) -> dict[str, Any]:
            return {name: conv(value[name]) for name, conv, _, _, _ in members if name in value}

        def from_json(obj: Any, path: str) -> dict[str, Any]:
            if not isinstance(obj, dict):
                raise EncodeError(path, "expected an object")
            out = {}
            for name, _, conv, optional, is_null in members:
                if name not in obj or (obj[name] is None and optional and not is_null):
                    if not optional:
                        raise EncodeError(f"{path}/{name}", "required member missing")
                    continue
                out[name] = conv(obj[name], f"{path}/{name}")
            return out

        return to_json, from_json

    def _sequence_of(self, desc: dict[str, Any]) -> View:
        item_to, item_from = self._member_view(desc["element"])

        def to_json(value: list[Any]) -> list[Any]:
            return [item_to(item) for item in value]

        def from_json(obj: Any, path: str) -> list[Any]:
            if not isinstance(obj, list):
                raise EncodeError(path, "expected a list")
            return [item_from(item, f"{path}/{i}") for i, item in enumerate(obj)]

        return to_json, from_json

    def _choice(self, desc: dict[str, Any]) -> View:
        alternatives = {m["name"]: self._member_view(m) for m in desc["members"] if isinstance(m, dict)}

        def to_json(value: tuple[str, Any]) -> dict[str, Any]:
            name, inner = value
            return {"choice": name, "value": alternatives[name][0](inner)}

        def from_json(obj: Any, path: str) -> tuple[str, Any]:
            if not isinstance(obj, dict) or obj.get("choice") not in alternatives:
                raise EncodeError(path, f"expected {{'choice': one of {sorted(alternatives)}, 'value': ...}}")
            name = obj["choice"]
            return name, alternatives[name][1](obj.get("value"), f"{path}/value")

        return to_json, from_json


# ----------------------------------------------------------------------------- leaf views


def _integer_view(names: dict[int, str]) -> View:
    """Plain INTEGER -> int; with named numbers -> ``{"value": n, "name": str | None}``."""

    def from_json(obj: Any, path: str) -> int:
        if isinstance(obj, dict):
            path += "/value"
            obj = obj.get("value")
        if not isinstance(obj, int) or isinstance(obj, bool):
            raise EncodeError(path, "expected an integer")
        return obj

    if not names:
        return (lambda value: value), from_json
    return (lambda value: {"value": value, "name": names.get(value)}), from_json


def _bit_string_view(named: list[tuple[str, int]]) -> View:
    """BIT STRING -> ``{"hex", "bits"}`` (+ ``names`` of the set named bits)."""

    def to_json(value: tuple[bytes, int]) -> dict[str, Any]:
        data, bits = value
        out: dict[str, Any] = {"hex": bytes(data).hex().upper(), "bits": bits}
        if named:
            out["names"] = [n for n, bit in named if bit < bits and data[bit >> 3] & (0x80 >> (bit & 7))]
        return out

    def from_json(obj: Any, path: str) -> tuple[bytes, int]:
        if not isinstance(obj, dict):
            raise EncodeError(path, "expected {'hex': ..., 'bits': n}")
        data = _tlv.hex_bytes(obj.get("hex"), path + "/hex")
        bits = obj.get("bits")
        if not isinstance(bits, int) or isinstance(bits, bool) or len(data) != (bits + 7) // 8:
            raise EncodeError(path + "/bits", f"must be a bit count that fills {len(data)} bytes")
        return data, bits

    return to_json, from_json


def _hex_view() -> View:
    return (lambda value: bytes(value).hex().upper()), _tlv.hex_bytes


def _any_view() -> View:
    """ANY: the raw TLV as hex; on encode it must be exactly one well-formed TLV."""

    def from_json(obj: Any, path: str) -> bytes:
        data = _tlv.hex_bytes(obj, path)
        try:
            if len(_tlv.split_tlvs(data)) != 1:
                raise EncodeError(path, "expected exactly one DER value")
        except DecodeError as exc:
            raise EncodeError(path, f"not a DER value: {exc}") from None
        return data

    return (lambda value: bytes(value).hex().upper()), from_json


def _time_view(
    to_text: Callable[[Any], str], from_text: Callable[[str], Any]
) -> View:
    def from_json(obj: Any, path: str) -> Any:
        if not isinstance(obj, str):
            raise EncodeError(path, "expected a time string such as 20300115090000Z")
        try:
            return from_text(obj)
        except Exception:  # asn1tools raises assorted errors on bad text
            raise EncodeError(path, f"not a DER time: {obj!r}") from None

    return to_text, from_json


def _generalized_time_text(value: Any) -> str:
    """DER GeneralizedTime text of a decoded value (same text as asn1tools writes, faster)."""
    if value.year < 1000:
        return restricted_generalized_time_from_datetime(value)
    if value.tzinfo is not None:
        value -= value.utcoffset()
    text = f"{value.year:04d}{value.month:02d}{value.day:02d}{value.hour:02d}{value.minute:02d}{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def _typed_leaf(kind: type, what: str) -> View:
    def from_json(obj: Any, path: str) -> Any:
        if not isinstance(obj, kind) or (kind is not bool and isinstance(obj, bool)):
            raise EncodeError(path, f"expected {what}")
        return obj

    return (lambda value: value), from_json


def _null_from_json(obj: Any, path: str) -> None:
    if obj is not None:
        raise EncodeError(path, "expected null")
    return None


_SIMPLE_VIEWS: dict[str, View] = {
    "OCTET STRING": _hex_view(),
    "ANY": _any_view(),
    "NULL": ((lambda value: None), _null_from_json),
    "BOOLEAN": _typed_leaf(bool, "true or false"),
    "OBJECT IDENTIFIER": _typed_leaf(str, "a dotted OID string"),
    "GeneralizedTime": _time_view(_generalized_time_text, restricted_generalized_time_to_datetime),
    "UTCTime": _time_view(restricted_utc_time_from_datetime, restricted_utc_time_to_datetime),
    **{
        kind: _typed_leaf(str, "a string")
        for kind in ("UTF8String", "PrintableString", "IA5String", "VisibleString", "NumericString")
    },
}

_CERT_PARTS = ("tbsCertificate", "signatureAlgorithm", "signatureValue")


def _certificate_view() -> View:
    """Certificate -> ``{"der": hex of the whole certificate, "eui": subject EUI-64 or None}``."""

    def to_json(value: dict[str, Any]) -> dict[str, Any]:
        body = b"".join(bytes(value[part]) for part in _CERT_PARTS)
        der = b"\x30" + encode_length(len(body)) + body
        return {"der": der.hex().upper(), "eui": _tlv.certificate_eui(bytes(value["tbsCertificate"]))}

    def from_json(obj: Any, path: str) -> dict[str, bytes]:
        if isinstance(obj, dict):
            path += "/der"
            obj = obj.get("der")
        data = _tlv.hex_bytes(obj, path)
        try:
            cls, constructed, tag, start, stop, _ = _tlv.read_header(data, 0, len(data), 0)
            parts = _tlv.split_tlvs(data[start:stop]) if (cls, constructed, tag) == (0, True, 16) else []
        except DecodeError as exc:
            raise EncodeError(path, f"not a DER certificate: {exc}") from None
        if stop != len(data) or len(parts) != 3:
            raise EncodeError(path, "a certificate is one SEQUENCE of exactly three DER values")
        return dict(zip(_CERT_PARTS, parts, strict=True))

    return to_json, from_json


# ----------------------------------------------------------------------------- API


@functools.cache
def schema() -> Schema:
    """The GBCS module, compiled on first use (about 0.1 s) and kept."""
    return Schema(MODULE_PATH.read_text(encoding="utf-8"))


def _typed(data: bytes, name: str) -> dict[str, Any]:
    """Typed view of ``data`` as module type ``name``; raises anything when it does not fit.

    It fits when re-encoding the decoded value gives ``data`` again, allowing only for
    lengths written longer than needed, which are recorded in ``length_octets``.
    """
    sch = schema()
    compiled = sch.compiled.types[name]
    value = compiled.decode(data)
    tree = {"asn1_type": name, "value": sch.view(name)[0](value)}
    canonical = bytes(compiled.encode(value))
    if canonical != data:
        spellings = _tlv.length_spellings(data, canonical)
        if not spellings:
            raise ValueError("payload is not the encoding of the decoded value")
        tree["length_octets"] = spellings
    return tree


def decode_asn1(data: bytes, base: int = 0, message_code: int | None = None, cra: int = 1) -> dict:
    """Decode a DER payload: typed view when the GBCS module fits exactly, else generic TLVs."""
    data = bytes(data)
    reasons = []
    for name in candidate_types(message_code, cra):
        try:
            return _typed(data, name)
        except Exception as exc:  # asn1tools raises many kinds; any of them means "does not fit"
            reasons.append(f"{name}: {exc}")
    tree: dict[str, Any] = {"asn1_type": None, "tlv": _tlv.decode_tlv(data, base)}
    if reasons:
        tree["typed_error"] = "; ".join(reasons)
    return tree


def encode_asn1(tree: dict) -> bytes:
    """Encode a tree from ``decode_asn1`` (typed or generic); EncodeError when it cannot."""
    if not isinstance(tree, dict):
        raise EncodeError("", "an ASN.1 payload tree must be an object")
    name = tree.get("asn1_type")
    if name is None:
        if "tlv" not in tree:
            raise EncodeError("/tlv", "generic tree without 'tlv'")
        return _tlv.encode_tlv(tree["tlv"])
    sch = schema()
    if not isinstance(name, str) or name not in sch.types:
        raise EncodeError("/asn1_type", f"unknown GBCS ASN.1 type {name!r}")
    if "value" not in tree:
        raise EncodeError("/value", "typed tree without 'value'")
    value = sch.view(name)[1](tree["value"], "/value")
    spellings = tree.get("length_octets") or {}
    if not isinstance(spellings, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 4
        for k, v in spellings.items()
    ):
        raise EncodeError("/length_octets", "expected {tlv path: 0..4}")
    try:
        canonical = bytes(sch.compiled.types[name].encode(value))
    except Exception as exc:  # asn1tools encode errors (ranges, types)
        raise EncodeError("/value", f"{name}: {exc}") from None
    return _tlv.respell(canonical, spellings)


def encrypted_elements(tree: dict) -> list[tuple[str, bytes]]:
    """GBCS never encrypts elements inside ASN.1 payloads, so there are none."""
    return []
