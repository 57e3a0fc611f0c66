"""A-XDR Data and DLMS APDU codecs: property-based round trips, corpus round trips, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gbcs.dlms import decode_dlms, encode_dlms, encrypted_elements
from gbcs.dlms.axdr import MAX_DEPTH, decode_data, encode_data
from gbcs.errors import DecodeError
from gbcs.framing import parse_frame

_INT_RANGES = {
    "integer": (-(2**7), 2**7 - 1),
    "long": (-(2**15), 2**15 - 1),
    "double-long": (-(2**31), 2**31 - 1),
    "long64": (-(2**63), 2**63 - 1),
    "unsigned": (0, 2**8 - 1),
    "long-unsigned": (0, 2**16 - 1),
    "double-long-unsigned": (0, 2**32 - 1),
    "long64-unsigned": (0, 2**64 - 1),
    "enum": (0, 255),
    "bcd": (0, 255),
}
_hex = st.binary(max_size=300).map(lambda b: b.hex().upper())


def _ints() -> st.SearchStrategy[dict]:
    return st.sampled_from(sorted(_INT_RANGES)).flatmap(
        lambda name: st.integers(*_INT_RANGES[name]).map(lambda v: {"type": name, "value": v})
    )


_leaves = st.one_of(
    st.just({"type": "null"}),
    _ints(),
    st.booleans().map(lambda v: {"type": "boolean", "value": v}),
    _hex.map(lambda v: {"type": "octet-string", "value": v}),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=40).map(
        lambda v: {"type": "visible-string", "value": v}
    ),
    st.text(max_size=20).map(
        lambda v: {"type": "utf8-string", "value": v}
    ),
    st.binary(max_size=20).flatmap(
        lambda b: st.integers(max(0, len(b) * 8 - 7), len(b) * 8).map(
            lambda bits: {"type": "bit-string", "bits": bits if b else 0, "value": b.hex().upper()}
        )
    ),
    st.floats(width=32, allow_nan=False).map(lambda v: {"type": "float32", "value": v}),
    st.floats(allow_nan=False).map(lambda v: {"type": "float64", "value": v}),
    st.binary(min_size=12, max_size=12).map(lambda b: {"type": "date-time", "value": b.hex().upper()}),
    st.binary(min_size=5, max_size=5).map(lambda b: {"type": "date", "value": b.hex().upper()}),
    st.binary(min_size=4, max_size=4).map(lambda b: {"type": "time", "value": b.hex().upper()}),
)

_data = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=6).map(lambda v: {"type": "array", "value": v}),
        st.lists(children, max_size=6).map(lambda v: {"type": "structure", "value": v}),
    ),
    max_leaves=30,
)


def _compact_array() -> st.SearchStrategy[dict]:
    names = ["unsigned", "long", "double-long-unsigned", "long64", "enum"]
    members = st.lists(st.sampled_from(names), min_size=1, max_size=4)

    def build(names: list[str]) -> st.SearchStrategy[dict]:
        row = st.tuples(*(st.integers(*_INT_RANGES[n]) for n in names)).map(list)
        desc = {"type": "structure", "members": [{"type": n} for n in names]}
        return st.lists(row, max_size=20).map(
            lambda rows: {"type": "compact-array", "type_description": desc, "value": rows}
        )

    return members.flatmap(build)


def _strip(node: dict) -> dict:
    """Drop annotation keys so trees compare on structure and values only."""
    out = {k: v for k, v in node.items() if k not in ("datetime",)}
    if isinstance(out.get("value"), list) and out.get("type") in ("array", "structure"):
        out["value"] = [_strip(child) for child in out["value"]]
    return out


@given(_data)
@settings(max_examples=400)
def test_data_round_trip(node: dict) -> None:
    encoded = encode_data(node)
    decoded, end = decode_data(encoded, 0, len(encoded))
    assert end == len(encoded)
    assert encode_data(decoded) == encoded
    if not _has_nan_or_negzero(node):
        assert _strip(decoded) == _strip(node)


def _has_nan_or_negzero(node: dict) -> bool:
    value = node.get("value")
    if isinstance(value, float):
        return math.isnan(value) or (value == 0 and math.copysign(1, value) < 0)
    if isinstance(value, list):
        return any(isinstance(v, dict) and _has_nan_or_negzero(v) for v in value)
    return False


@given(_compact_array())
def test_compact_array_round_trip(node: dict) -> None:
    encoded = encode_data(node)
    decoded, end = decode_data(encoded, 0, len(encoded))
    assert end == len(encoded)
    assert decoded["value"] == node["value"]
    assert encode_data(decoded) == encoded


def test_compact_array_nested_description_round_trips() -> None:
    node = {
        "type": "compact-array",
        "type_description": {
            "type": "structure",
            "members": [{"type": "octet-string"}, {"type": "array", "count": 2, "element": {"type": "boolean"}}],
        },
        "value": [["0102", [True, False]], ["", [False, False]]],
    }
    encoded = encode_data(node)
    decoded, _ = decode_data(encoded, 0, len(encoded))
    assert decoded["value"] == node["value"]
    assert encode_data(decoded) == encoded


@given(st.binary(max_size=200))
@settings(max_examples=1500)
def test_random_bytes_never_crash(blob: bytes) -> None:
    try:
        decoded, end = decode_data(blob, 0, len(blob))
    except DecodeError as exc:
        assert 0 <= exc.offset <= len(blob)
        return
    assert encode_data(decoded) == blob[:end]


def test_deep_nesting_is_refused_with_offset() -> None:
    blob = b"\x02\x01" * 10_000 + b"\x00"
    with pytest.raises(DecodeError) as info:
        decode_data(blob, 0, len(blob))
    assert info.value.offset == 2 * MAX_DEPTH
    assert "nesting" in info.value.reason


def test_huge_length_is_refused() -> None:
    blob = b"\x09\x84\xff\xff\xff\xff" + b"\x00" * 8
    with pytest.raises(DecodeError) as info:
        decode_data(blob, 0, len(blob))
    assert info.value.offset == 1


@pytest.mark.parametrize(
    "blob",
    [
        b"\x09\x81\x05" + b"\x00" * 5,  # octet-string length written long
        b"\x09\x82\x00\x03abc",  # the 82 00 LL spelling some devices use
        b"\x01\x81\x02\x11\x01\x11\x02",  # array count written long
        b"\x02\x01\x02\x82\x00\x01\x00",  # nested structure count written long
        b"\x04\x81\x08\xff",  # bit-string bit count
        b"\x0a\x81\x02hi",  # visible-string
    ],
)
def test_long_form_lengths_are_recorded_and_reencoded(blob: bytes) -> None:
    node, end = decode_data(blob, 0, len(blob))
    assert end == len(blob)
    assert "length_octets" in str(node)
    assert encode_data(node) == blob


def test_long_form_lengths_refused_where_nothing_records_them() -> None:
    compact = b"\x13\x09\x03\x81\x01\x41"  # compact-array of octet-strings, inner length long
    with pytest.raises(DecodeError, match="shortest form"):
        decode_data(compact, 0, len(compact))
    apdu = b"\xd9\x20\x00\x00\x01\x00\x81\x01" + b"\x01\x00\x08\x00\x00\x01\x00\x00\xff\x02" + b"\x01\x00"
    with pytest.raises(DecodeError, match="shortest form"):
        decode_dlms(apdu)


def test_unknown_tag_names_offset() -> None:
    blob = b"\x02\x02\x11\x05\x2a"
    with pytest.raises(DecodeError) as info:
        decode_data(blob, 0, len(blob))
    assert info.value.offset == 4
    assert "0x2A" in info.value.reason


def _dlms_payloads(rtds_messages: list[tuple[str, bytes]]) -> list[tuple[str, bytes, int]]:
    out = []
    for name, raw in rtds_messages:
        frame = parse_frame(raw)
        if frame.content[:1] in (b"\xd9", b"\xda", b"\x0f"):
            out.append((name, frame.content, frame.content_offset))
    return out


def test_corpus_dlms_round_trip(rtds_messages: list[tuple[str, bytes]]) -> None:
    payloads = _dlms_payloads(rtds_messages)
    assert len(payloads) > 500
    for name, content, base in payloads:
        tree = decode_dlms(content, base)
        assert encode_dlms(tree) == content, name


def test_corpus_invoke_id_carries_counter(rtds_messages: list[tuple[str, bytes]]) -> None:
    """GBCS: the DLMS long-invoke-id is 0x20 then the low 24 bits of the originator counter."""
    for name, raw in rtds_messages:
        frame = parse_frame(raw)
        if frame.content[:1] in (b"\xd9", b"\xda", b"\x0f"):
            tree = decode_dlms(frame.content)
            assert tree["invoke_id"] == 0x20000000 | (frame.counter & 0xFFFFFF), name


def test_corpus_protected_data_found(rtds_messages: list[tuple[str, bytes]]) -> None:
    """Encrypted DLMS elements are found structurally and all start with SC 0x31, IC 0."""
    found = 0
    for _, content, _ in _dlms_payloads(rtds_messages):
        for pointer, wire in encrypted_elements(decode_dlms(content)):
            assert wire[:5] == b"\x31\x00\x00\x00\x00"
            assert pointer.endswith("/value")
            found += 1
    assert found >= 10


def test_edit_and_reencode(rtds_messages: list[tuple[str, bytes]]) -> None:
    for _, content, _ in _dlms_payloads(rtds_messages):
        tree = decode_dlms(content)
        if tree["apdu"] == "access-request" and tree["data"] and tree["data"][0]["type"] == "double-long-unsigned":
            tree["data"][0]["value"] = 123456
            again = decode_dlms(encode_dlms(tree))
            assert again["data"][0]["value"] == 123456
            return
    pytest.skip("no access-request with a double-long-unsigned first value in the corpus")


def test_truncations_of_corpus_payloads_name_an_offset(rtds_messages: list[tuple[str, bytes]]) -> None:
    for _, content, base in _dlms_payloads(rtds_messages)[:80]:
        for cut in range(0, len(content), max(1, len(content) // 15)):
            with pytest.raises(DecodeError) as info:
                decode_dlms(content[:cut], base)
            assert base <= info.value.offset <= base + cut
