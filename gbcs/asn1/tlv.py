"""Generic DER TLV walker: the fallback view of any ASN.1 payload, and its encoder.

A node is ``{"class", "constructed", "tag", "value"}`` where ``value`` is upper-case
hex for a primitive and a list of nodes for a constructed encoding.  Universal types
get descriptive keys (``type``, ``integer``, ``oid``, ``text``) that the encoder
ignores.  Definite lengths only (1-4 length octets); a length written longer than
needed, as GBCS devices do (``82 00 83``), is recorded in ``length_octets`` so the
node re-encodes to the same bytes.  Tag numbers must be in their shortest form.
Nesting is limited to MAX_DEPTH levels.
"""

from __future__ import annotations

import functools
from typing import Any

from ..errors import DecodeError, EncodeError

MAX_DEPTH = 64
MAX_TAG_OCTETS = 4  # tag numbers up to 2**28 - 1
MAX_LENGTH_OCTETS = 4

CLASS_NAMES = ("universal", "application", "context", "private")
_CLASS_NUMBERS = {name: i for i, name in enumerate(CLASS_NAMES)}

UNIVERSAL_NAMES = {
    1: "BOOLEAN",
    2: "INTEGER",
    3: "BIT STRING",
    4: "OCTET STRING",
    5: "NULL",
    6: "OBJECT IDENTIFIER",
    7: "ObjectDescriptor",
    8: "EXTERNAL",
    9: "REAL",
    10: "ENUMERATED",
    12: "UTF8String",
    13: "RELATIVE-OID",
    16: "SEQUENCE",
    17: "SET",
    18: "NumericString",
    19: "PrintableString",
    20: "TeletexString",
    22: "IA5String",
    23: "UTCTime",
    24: "GeneralizedTime",
    26: "VisibleString",
    27: "GeneralString",
    30: "BMPString",
}
_TEXT_TAGS = {12, 18, 19, 20, 22, 23, 24, 26, 27}


def read_header(data: bytes, pos: int, end: int, base: int) -> tuple[int, bool, int, int, int, int]:
    """Read one tag and length at ``pos``.

    Returns ``(class, constructed, tag, content start, content end, length octets)``, the
    last being 0 for the short form and n for ``0x80|n`` followed by n octets.  A long
    form that is longer than needed is accepted (GBCS devices write ``82 00 LL``) and
    reported through that count.  Raises DecodeError (absolute offset) for a truncated
    or oversized header, an indefinite length, and a length that runs past ``end``.
    """
    if pos >= end:
        raise DecodeError(base + pos, "asn1.tag", "tag expected, input ends")
    first = data[pos]
    pos += 1
    tag = first & 0x1F
    if tag == 0x1F:
        tag = 0
        count = 0
        while True:
            if pos >= end:
                raise DecodeError(base + pos, "asn1.tag", "high tag number truncated")
            octet = data[pos]
            if count == 0 and octet == 0x80:
                raise DecodeError(base + pos, "asn1.tag", "high tag number is not in its shortest form")
            pos += 1
            count += 1
            if count > MAX_TAG_OCTETS:
                raise DecodeError(base + pos - 1, "asn1.tag", f"tag number longer than {MAX_TAG_OCTETS} octets")
            tag = (tag << 7) | (octet & 0x7F)
            if not octet & 0x80:
                break
        if tag < 0x1F:
            raise DecodeError(base + pos - 1, "asn1.tag", f"tag number {tag} must use the one-octet form")
    if pos >= end:
        raise DecodeError(base + pos, "asn1.length", "length expected, input ends")
    octet = data[pos]
    if octet < 0x80:
        octets, length, start = 0, octet, pos + 1
    else:
        octets = octet & 0x7F
        if octets == 0:
            raise DecodeError(base + pos, "asn1.length", "indefinite length is not allowed in DER")
        if octets > MAX_LENGTH_OCTETS:
            raise DecodeError(base + pos, "asn1.length", f"length prefix 0x{octet:02X} is not a 1-4 byte long form")
        start = pos + 1 + octets
        if start > end:
            raise DecodeError(base + pos, "asn1.length", "long-form length truncated")
        length = int.from_bytes(data[pos + 1 : start], "big")
    if start + length > end:
        raise DecodeError(
            base + pos, "asn1.length", f"length {length} runs past the end of the data ({end - start} bytes left)"
        )
    return first >> 6, bool(first & 0x20), tag, start, start + length, octets


def length_octets(length: int) -> int:
    """Octets after the first length octet in the shortest form (0 = short form)."""
    return 0 if length < 0x80 else (length.bit_length() + 7) // 8


def encode_header(cls: int, constructed: bool, tag: int, length: int, octets: int | None = None) -> bytes:
    """Identifier and length octets of one TLV.

    ``octets`` asks for a long-form length with that many octets (0 = short form); None
    or a count too small for ``length`` gives the shortest form.
    """
    first = (cls << 6) | (0x20 if constructed else 0)
    if tag < 0x1F:
        out = bytearray((first | tag,))
    else:
        groups = []
        while True:
            groups.append(tag & 0x7F)
            tag >>= 7
            if not tag:
                break
        groups.reverse()
        out = bytearray((first | 0x1F,))
        out.extend(g | 0x80 for g in groups[:-1])
        out.append(groups[-1])
    need = length_octets(length)
    if need > MAX_LENGTH_OCTETS:
        raise ValueError(f"length {length} needs more than {MAX_LENGTH_OCTETS} octets")
    if octets is None or octets < need or octets > MAX_LENGTH_OCTETS:
        octets = need
    if octets == 0:
        out.append(length)
    else:
        out.append(0x80 | octets)
        out += length.to_bytes(octets, "big")
    return bytes(out)


def split_tlvs(data: bytes, base: int = 0) -> list[bytes]:
    """Split ``data`` into its top-level TLVs (each one complete, raw)."""
    out = []
    pos, end = 0, len(data)
    while pos < end:
        stop = read_header(data, pos, end, base)[4]
        out.append(data[pos:stop])
        pos = stop
    return out


def oid_text(content: bytes) -> str | None:
    """Dotted form of an OBJECT IDENTIFIER body, or None when it is malformed."""
    if not content or content[-1] & 0x80:
        return None
    arcs: list[int] = []
    value = 0
    fresh = True
    for octet in content:
        if fresh and octet == 0x80:
            return None  # non-minimal arc
        value = (value << 7) | (octet & 0x7F)
        fresh = not octet & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _annotate(node: dict[str, Any], tag: int, content: bytes) -> None:
    name = UNIVERSAL_NAMES.get(tag)
    if name is None:
        return
    node["type"] = name
    if tag in (2, 10):
        if content:
            node["integer"] = int.from_bytes(content, "big", signed=True)
    elif tag == 1:
        if len(content) == 1:
            node["boolean"] = content[0] != 0
    elif tag == 6:
        text = oid_text(content)
        if text is not None:
            node["oid"] = text
    elif tag in _TEXT_TAGS:
        node["text"] = content.decode("utf-8" if tag == 12 else "latin-1", errors="replace")


def _walk(data: bytes, pos: int, end: int, base: int, depth: int) -> tuple[dict[str, Any], int]:
    if depth > MAX_DEPTH:
        raise DecodeError(base + pos, "asn1.tlv", f"nesting deeper than {MAX_DEPTH} levels")
    cls, constructed, tag, start, stop, octets = read_header(data, pos, end, base)
    node: dict[str, Any] = {"class": CLASS_NAMES[cls], "constructed": constructed, "tag": tag}
    if constructed:
        children = []
        at = start
        while at < stop:
            child, at = _walk(data, at, stop, base, depth + 1)
            children.append(child)
        node["value"] = children
        if cls == 0 and tag in UNIVERSAL_NAMES:
            node["type"] = UNIVERSAL_NAMES[tag]
    else:
        content = data[start:stop]
        node["value"] = content.hex().upper()
        if cls == 0:
            _annotate(node, tag, content)
    if octets != length_octets(stop - start):
        node["length_octets"] = octets
    return node, stop


def decode_tlv(data: bytes, base: int = 0) -> dict[str, Any]:
    """Walk one complete DER value filling ``data``; DecodeError on anything else.

    A node whose length is written longer than needed carries ``length_octets`` (the
    number of octets after ``0x80|n``) so that it re-encodes to the same bytes.
    """
    if not data:
        raise DecodeError(base, "asn1", "empty ASN.1 payload")
    node, stop = _walk(data, 0, len(data), base, 0)
    if stop != len(data):
        raise DecodeError(base + stop, "asn1", f"{len(data) - stop} bytes follow the DER value")
    return node


def encode_tlv(node: Any, path: str = "/tlv", depth: int = 0) -> bytes:
    """Encode a generic node (structural keys: class, constructed, tag, value, length_octets)."""
    if depth > MAX_DEPTH:
        raise EncodeError(path, f"nesting deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict):
        raise EncodeError(path, "a TLV node must be an object")
    cls_key = node.get("class")
    cls = _CLASS_NUMBERS.get(cls_key) if isinstance(cls_key, str) else cls_key
    if not isinstance(cls, int) or isinstance(cls, bool) or not 0 <= cls <= 3:
        raise EncodeError(path + "/class", f"unknown tag class {cls_key!r}")
    tag = node.get("tag")
    if not isinstance(tag, int) or isinstance(tag, bool) or not 0 <= tag < 1 << (7 * MAX_TAG_OCTETS):
        raise EncodeError(path + "/tag", f"bad tag number {tag!r}")
    constructed = node.get("constructed")
    if not isinstance(constructed, bool):
        raise EncodeError(path + "/constructed", "must be true or false")
    octets = node.get("length_octets")
    if octets is not None and (not isinstance(octets, int) or isinstance(octets, bool) or not 0 <= octets <= 4):
        raise EncodeError(path + "/length_octets", "must be 0..4")
    value = node.get("value")
    if constructed:
        if not isinstance(value, list):
            raise EncodeError(path + "/value", "a constructed value must be a list of nodes")
        content = b"".join(encode_tlv(child, f"{path}/value/{i}", depth + 1) for i, child in enumerate(value))
    else:
        content = hex_bytes(value, path + "/value")
    try:
        return encode_header(cls, constructed, tag, len(content), octets) + content
    except ValueError as exc:
        raise EncodeError(path, str(exc)) from None


def hex_bytes(value: Any, path: str) -> bytes:
    """Bytes from a hex string, EncodeError otherwise."""
    if not isinstance(value, str):
        raise EncodeError(path, "expected a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise EncodeError(path, "not a hex string") from None


# ----------------------------------------------------------------------------- length spellings


def length_spellings(data: bytes, canonical: bytes) -> dict[str, int] | None:
    """Where ``data`` equals ``canonical`` except for longer-than-needed lengths, say where.

    Returns ``{tlv path: length octets}`` for each TLV of ``data`` whose length is not in
    the shortest form (path: child indices joined by ".", the top TLV being "0"), or
    None when the two differ in anything but length spellings.
    """
    spellings: dict[str, int] = {}
    # (pos in data, end in data, pos in canonical, end in canonical, path prefix)
    stack = [(0, len(data), 0, len(canonical), "")]
    try:
        while stack:
            pa, ea, pb, eb, prefix = stack.pop()
            index = 0
            while pa < ea or pb < eb:
                if pa >= ea or pb >= eb:
                    return None
                ha = read_header(data, pa, ea, 0)
                hb = read_header(canonical, pb, eb, 0)
                if ha[:3] != hb[:3]:
                    return None
                if ha[4] - pa == hb[4] - pb and data[pa : ha[4]] == canonical[pb : hb[4]]:
                    pa, pb = ha[4], hb[4]
                    index += 1
                    continue
                path = f"{prefix}{index}"
                if ha[5] != length_octets(ha[4] - ha[3]):
                    spellings[path] = ha[5]
                if ha[1]:
                    stack.append((ha[3], ha[4], hb[3], hb[4], path + "."))
                elif data[ha[3] : ha[4]] != canonical[hb[3] : hb[4]]:
                    return None
                pa, pb = ha[4], hb[4]
                index += 1
    except DecodeError:
        return None
    return spellings


def respell(canonical: bytes, spellings: dict[str, int]) -> bytes:
    """Rewrite the lengths of the TLVs named in ``spellings`` (see length_spellings)."""
    if not spellings:
        return canonical
    wanted = set()
    for path in spellings:
        parts = path.split(".")
        wanted.update(".".join(parts[: i + 1]) for i in range(len(parts)))

    def rebuild(pos: int, end: int, prefix: str) -> bytes:
        out = []
        index = 0
        while pos < end:
            cls, constructed, tag, start, stop, _ = read_header(canonical, pos, end, 0)
            path = f"{prefix}{index}"
            if path not in wanted:
                out.append(canonical[pos:stop])
            else:
                content = rebuild(start, stop, path + ".") if constructed else canonical[start:stop]
                out.append(encode_header(cls, constructed, tag, len(content), spellings.get(path)) + content)
            pos = stop
            index += 1
        return b"".join(out)

    return rebuild(0, len(canonical), "")


_HW_MODULE_NAME = bytes.fromhex("06082B06010505070804")  # id-on-hardwareModuleName
_X500_UNIQUE_ID = bytes.fromhex("060355042D")  # id-at-x500UniqueIdentifier


@functools.lru_cache(maxsize=512)
def certificate_eui(tbs: bytes) -> str | None:
    """EUI-64 named by a GBCS certificate, from its raw TBSCertificate TLV, or None.

    Device certificates carry it in the subjectAltName otherName hardwareModuleName
    (``hwSerialNum``, 8 octets); organisation certificates in the subject's
    x500UniqueIdentifier (BIT STRING ``00 || EUI``), found as the last one in the TBS
    (the subject follows the issuer).  A best-effort annotation: any surprise gives
    None.  The same certificates recur in every message of a party, so it is cached.
    """
    try:
        at = tbs.find(_HW_MODULE_NAME)
        if at >= 0:
            rest = tbs[at + len(_HW_MODULE_NAME) :]
            # [0] { SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING } }
            inner, inner_end = read_header(rest, 0, len(rest), 0)[3:5]
            seq, seq_end = read_header(rest, inner, inner_end, 0)[3:5]
            oid_end = read_header(rest, seq, seq_end, 0)[4]
            _, _, tag, serial, serial_end, _ = read_header(rest, oid_end, seq_end, 0)
            if tag == 4 and serial_end - serial == 8:
                return rest[serial:serial_end].hex().upper()
            return None
        at = tbs.rfind(_X500_UNIQUE_ID)
        if at >= 0:
            value = tbs[at + len(_X500_UNIQUE_ID) : at + len(_X500_UNIQUE_ID) + 11]
            if value[:3] == b"\x03\x09\x00" and len(value) == 11:
                return value[3:].hex().upper()
        return None
    except DecodeError:
        return None
