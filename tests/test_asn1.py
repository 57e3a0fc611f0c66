"""ASN.1 DER payload codec (gbcs.asn1): typed GBCS views, generic TLV fallback, bad input."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from asn1tools.codecs import restricted_generalized_time_from_datetime as text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gbcs.asn1 import ASN1_MESSAGE_CODES, decode_asn1, encode_asn1, encrypted_elements
from gbcs.asn1 import tlv as tlv_mod
from gbcs.asn1.codec import TYPE_FOR, schema
from gbcs.ber import encode_length
from gbcs.errors import DecodeError, EncodeError
from gbcs.framing import parse_frame

SPEC_ASN1_CODES = (
    {0x0008, 0x000A, 0x000B, 0x000C, 0x000D, 0x00AB, 0x000E, 0x00AF, 0x000F, 0x0010, 0x0012, 0x00CA, 0x0013}
    | {0x007F, 0x008C, 0x00B2, 0x00CB, 0x0128, 0x0129, 0x011B, 0x0124, 0x0125, 0x0126, 0x012B}
    | set(range(0x0100, 0x010A))
)

Payload = tuple[str, int, int, bytes, int]  # name, message code, CRA, content, absolute offset


def _payloads(rtds_messages: list[tuple[str, bytes]]) -> list[Payload]:
    out = []
    for name, raw in rtds_messages:
        frame = parse_frame(raw)
        if frame.message_code in ASN1_MESSAGE_CODES:
            out.append((name, frame.message_code, frame.cra, frame.content, frame.content_offset))
    return out


@pytest.fixture(scope="module")
def payloads(rtds_messages: list[tuple[str, bytes]]) -> list[Payload]:
    found = _payloads(rtds_messages)
    if not found:
        pytest.skip("no ASN.1 payloads in the corpus")
    return found


def _find(payloads: list[Payload], fragment: str) -> Payload:
    for item in payloads:
        if fragment in item[0]:
            return item
    pytest.skip(f"{fragment} not in the corpus")


def _strip(node: dict) -> dict:
    """A generic node with only its structural keys."""
    out = {k: node[k] for k in ("class", "constructed", "tag") if k in node}
    out["value"] = [_strip(c) for c in node["value"]] if node["constructed"] else node["value"]
    if "length_octets" in node:
        out["length_octets"] = node["length_octets"]
    return out


# ----------------------------------------------------------------------------- API and tables


def test_message_codes_match_the_spec_list() -> None:
    assert ASN1_MESSAGE_CODES == frozenset(SPEC_ASN1_CODES)
    assert all(name in schema().types for name in TYPE_FOR.values())


def test_schema_is_compiled_once() -> None:
    assert schema() is schema()


def test_no_encrypted_elements() -> None:
    assert encrypted_elements(decode_asn1(b"\x05\x00", 0, 0x0013, 1)) == []


# ----------------------------------------------------------------------------- corpus


def test_corpus_payloads_are_typed_and_round_trip(payloads: list[Payload]) -> None:
    generic = []
    for name, code, cra, content, offset in payloads:
        tree = decode_asn1(content, offset, code, cra)
        if tree["asn1_type"] is None:
            generic.append((name, tree.get("typed_error")))
        assert tree["asn1_type"] == TYPE_FOR.get((code, cra), tree["asn1_type"]), name
        again = json.loads(json.dumps(tree))
        assert encode_asn1(again) == content, name
    assert generic == []


def test_corpus_generic_view_round_trips(payloads: list[Payload]) -> None:
    for name, _, _, content, offset in payloads:
        tree = decode_asn1(content, offset, None)
        assert tree["asn1_type"] is None
        assert encode_asn1(json.loads(json.dumps(tree))) == content, name


def test_join_command_view(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = _find(payloads, "CS03CCritical_8.7.1_SUCCESS_COMMAND")
    tree = decode_asn1(content, offset, code, cra)
    assert tree["asn1_type"] == "JoinCommand"
    value = tree["value"]
    assert value["joinMethodAndRole"] == {"value": 3, "name": "methodC"}
    assert value["otherDeviceEntityId"] == "00DB123456789098"
    assert value["otherDeviceType"] == {"value": 5, "name": "ppmid"}
    cert = value["otherDeviceCertificate"]
    assert cert["der"].startswith("3082") and cert["eui"] == "00DB123456789098"


def test_change_of_supplier_command_view(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = _find(payloads, "CS02bSupplierByTransCoS_6.23_CANCELLATION_SUCCESS_COMMAND")
    value = decode_asn1(content, offset, code, cra)["value"]
    control = value["authorisingRemotePartyControl"]
    assert control["credentialsReplacementMode"] == {"value": 7, "name": "supplierByTransCoS"}
    cell = control["authorisingRemotePartyTACellIdentifier"]
    assert cell["remotePartyRole"]["name"] == "transitionalCoS"
    assert cell["keyUsage"] == {"hex": "80", "bits": 1, "names": ["digitalSignature"]}
    assert control["authorisingRemotePartySeqNumber"] == 6003
    assert value["executionDateTime"] == "99991231235959Z"
    assert len(value["certificationPathCertificates"]) == 1
    for replacement in value["replacements"]:
        assert replacement["replacementCertificate"]["eui"] == "90B3D51F30030000"
        assert replacement["targetTrustAnchorCell"]["remotePartyRole"]["name"] == "supplier"


def test_device_length_spelling_is_kept(payloads: list[Payload]) -> None:
    """RTDS devices write lengths 128..255 as 82 00 LL: recorded, not refused."""
    _, code, cra, content, offset = _find(payloads, "CS02bNOByNO_6.15.1_SUCCESS_RESPONSE")
    assert content[:4] == bytes.fromhex("30820083")
    tree = decode_asn1(content, offset, code, cra)
    assert tree["asn1_type"] == "UpdateSecurityCredentialsResponse"
    assert tree["length_octets"] == {"0": 2}
    assert encode_asn1(tree) == content
    plain = dict(tree)
    del plain["length_octets"]
    assert encode_asn1(plain) == bytes.fromhex("308183") + content[4:]


def test_unnamed_enumeration_values_are_kept(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = _find(payloads, "CS02fMAC_6.24.1_ERROR_RESPONSE")
    tree = decode_asn1(content, offset, code, cra)
    detail = tree["value"][0]
    assert detail["status"] == {"value": 127, "name": None}
    detail["status"] = {"value": 0, "name": "anything"}
    assert decode_asn1(encode_asn1(tree), 0, code, cra)["value"][0]["status"] == {"value": 0, "name": "success"}


# ----------------------------------------------------------------------------- editing


def test_edit_typed_value_and_reencode(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = _find(payloads, "CS03A1_8.7.1_ERROR_COMMAND")
    tree = decode_asn1(content, offset, code, cra)
    edited = copy.deepcopy(tree)
    edited["value"]["otherDeviceEntityId"] = "00DB1234567890FF"
    edited["value"]["otherDeviceType"] = {"value": 1, "name": "stale name, ignored"}
    out = encode_asn1(edited)
    assert out != content and len(out) == len(content)
    again = decode_asn1(out, 0, code, cra)["value"]
    assert again["otherDeviceEntityId"] == "00DB1234567890FF"
    assert again["otherDeviceType"] == {"value": 1, "name": "esme"}
    # plain integers are accepted where a named integer is shown
    edited["value"]["otherDeviceType"] = 1
    assert encode_asn1(edited) == out


def test_edit_time_and_certificate(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = _find(payloads, "CS02bSupplierBySupplier_6.15.1_FUTURE_DATED_SUCCESS_COMMAND")
    tree = decode_asn1(content, offset, code, cra)
    tree["value"]["executionDateTime"] = "20310101000000Z"
    cert = tree["value"]["certificationPathCertificates"][0]
    tree["value"]["certificationPathCertificates"][0] = cert["der"]  # bare hex is accepted too
    out = encode_asn1(tree)
    assert out == content.replace(b"20300115000000Z", b"20310101000000Z")
    assert decode_asn1(out, 0, code, cra)["value"]["executionDateTime"] == "20310101000000Z"


def test_annotations_are_ignored_by_the_encoder(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = _find(payloads, "CS02aMAC_6.24.1_SUCCESS_RESPONSE")
    tree = decode_asn1(content, offset, code, cra)
    text = json.dumps(tree).replace('"supplier"', '"bogus"').replace('"digitalSignature"', '"x"')
    assert encode_asn1(json.loads(text)) == content
    generic = decode_asn1(content, offset)
    text = json.dumps(generic).replace('"SEQUENCE"', '"nonsense"').replace('"integer": 2', '"integer": 99')
    assert encode_asn1(json.loads(text)) == content


def test_build_typed_payloads_from_scratch() -> None:
    tree = {
        "asn1_type": "ActivateFirmwareCommand",
        "value": {
            "manufacturerImageHash": "AB" * 32,
            "originatorCounter": 1000,
            "executionDateTime": "20300115090000Z",
        },
    }
    data = encode_asn1(tree)
    assert data[:2] == b"\x30\x37" and data.endswith(b"20300115090000Z")
    back = decode_asn1(data, 0, 0x0012, 1)
    assert back["value"] == tree["value"]
    response = {"asn1_type": "ActivateFirmwareResponse", "value": {"choice": "commandAccepted", "value": None}}
    assert encode_asn1(response) == b"\x05\x00"
    assert decode_asn1(b"\x05\x00", 0, 0x0012, 2) == response


@pytest.mark.parametrize(
    ("tree", "path"),
    [
        ({"asn1_type": "NoSuchType", "value": 1}, "/asn1_type"),
        ({"asn1_type": "JoinCommand"}, "/value"),
        (
            {"asn1_type": "JoinCommand", "value": {"joinMethodAndRole": 0, "otherDeviceType": 0}},
            "/value/otherDeviceEntityId",
        ),
        ({"asn1_type": "UnjoinCommand", "value": "XYZ"}, "/value"),
        ({"asn1_type": "UnjoinResponse", "value": True}, "/value"),
        ({"asn1_type": "ActivateFirmwareResponse", "value": {"choice": "nope"}}, "/value"),
        ({"asn1_type": "SetClockCommand", "value": {"validityIntervalStart": "tomorrow", "validityIntervalEnd": "x"}},
         "/value/validityIntervalStart"),
        ({"asn1_type": "IssueSecurityCredentialsCommand", "value": {"keyUsage": {"hex": "80", "bits": 9}}},
         "/value/keyUsage/bits"),
        ({"asn1_type": "UpdateDeviceCertificateCommand", "value": {"der": "3003020101"}}, "/value/der"),
        ({"asn1_type": None, "tlv": {"class": "weird", "constructed": False, "tag": 2, "value": "00"}}, "/tlv/class"),
        ({"asn1_type": None, "tlv": {"class": "universal", "constructed": True, "tag": 16, "value": "00"}},
         "/tlv/value"),
        ({"asn1_type": None}, "/tlv"),
    ],
)
def test_encode_errors_name_the_path(tree: dict, path: str) -> None:
    with pytest.raises(EncodeError) as info:
        encode_asn1(tree)
    assert info.value.path == path


# ----------------------------------------------------------------------------- generic view


def test_generic_view_annotates_universal_types() -> None:
    data = bytes.fromhex("3023" "0203008F66" "06072A8648CE3D0201" "180F32303330303131353039303030305A" "A0020500")
    tree = decode_asn1(data, 40, 0x9999, 1)
    assert tree["asn1_type"] is None and "typed_error" not in tree
    seq = tree["tlv"]
    assert (seq["class"], seq["constructed"], seq["tag"], seq["type"]) == ("universal", True, 16, "SEQUENCE")
    integer, oid, time, ctx = seq["value"]
    assert integer["integer"] == 0x8F66 and integer["value"] == "008F66"
    assert oid["oid"] == "1.2.840.10045.2.1"
    assert time["text"] == "20300115090000Z"
    assert (ctx["class"], ctx["tag"], ctx["value"][0]["type"]) == ("context", 0, "NULL")
    assert encode_asn1(tree) == data


def test_payload_that_does_not_fit_falls_back_to_generic() -> None:
    data = bytes.fromhex("3003020100")  # a SEQUENCE where JoinResponse is an INTEGER
    tree = decode_asn1(data, 0, 0x000D, 2)
    assert tree["asn1_type"] is None and "JoinResponse" in tree["typed_error"]
    assert encode_asn1(tree) == data
    non_der = bytes.fromhex("02020001")  # INTEGER 1 with a redundant leading zero
    tree = decode_asn1(non_der, 0, 0x000D, 2)
    assert tree["asn1_type"] is None and encode_asn1(tree) == non_der


def test_sequence_of_with_a_foreign_element_does_not_hang() -> None:
    """asn1tools 0.169 loops for ever here unless its SEQUENCE OF decoding is bounded."""
    data = bytes.fromhex("300E" "300702010403020308" "3003040100")
    tree = decode_asn1(data, 0, 0x0008, 1)
    assert tree["asn1_type"] is None and encode_asn1(tree) == data


def test_high_tag_numbers_and_long_lengths() -> None:
    data = bytes.fromhex("9F8148820003") + b"abc"
    tree = decode_asn1(data, 0)
    node = tree["tlv"]
    assert (node["class"], node["tag"], node["length_octets"], node["value"]) == ("context", 200, 2, "616263")
    assert encode_asn1(tree) == data


# ----------------------------------------------------------------------------- bad input


def _nested(levels: int) -> bytes:
    inner = b"\x05\x00"
    for _ in range(levels):
        inner = b"\x30" + encode_length(len(inner)) + inner
    return inner


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"", 0),
        (bytes.fromhex("3084FFFFFFFF"), 1),
        (bytes.fromhex("3085FFFFFFFFFF"), 1),
        (bytes.fromhex("308000000500"), 1),
        (bytes.fromhex("30050201"), 1),
        (bytes.fromhex("3003020500"), 3),
        (bytes.fromhex("0500FF"), 2),
        (bytes.fromhex("1F800100"), 1),
        (bytes.fromhex("1F0500"), 1),
        (bytes.fromhex("1F"), 1),
        (bytes.fromhex("1F8181818101"), 5),
        (bytes.fromhex("3081"), 1),
        (bytes.fromhex("30"), 1),
    ],
)
@pytest.mark.parametrize("code", [None, 0x000D, 0x0102])
def test_bad_input_raises_decode_error_at_absolute_offset(data: bytes, offset: int, code: int | None) -> None:
    with pytest.raises(DecodeError) as info:
        decode_asn1(data, 1000, code, 1)
    assert info.value.offset == 1000 + offset


def test_deep_nesting_is_refused() -> None:
    decode_asn1(_nested(tlv_mod.MAX_DEPTH), 0)
    with pytest.raises(DecodeError) as info:
        decode_asn1(_nested(tlv_mod.MAX_DEPTH + 5), 7, 0x0013, 2)
    assert info.value.field == "asn1.tlv" and 7 < info.value.offset < 7 + 2 * tlv_mod.MAX_DEPTH + 20


def _check_outcome(data: bytes, base: int, code: int | None, cra: int) -> None:
    """Any input either decodes to a tree that re-encodes to it, or raises DecodeError inside it."""
    try:
        tree = decode_asn1(data, base, code, cra)
    except DecodeError as exc:
        assert base <= exc.offset <= base + len(data)
        return
    assert encode_asn1(tree) == data


def _length_positions(data: bytes) -> list[int]:
    """Offsets of the length octets of every TLV (for length mutations)."""
    found = []
    stack = [(0, len(data))]
    while stack:
        pos, end = stack.pop()
        while pos < end:
            _, constructed, _, start, stop, octets = tlv_mod.read_header(data, pos, end, 0)
            found.append(start - 1 - octets)
            if constructed:
                stack.append((start, stop))
            pos = stop
    return found


def test_mutated_corpus_payloads(payloads: list[Payload]) -> None:
    rng = random.Random(20240601)
    for _, code, cra, content, offset in payloads:
        mutants = [content[:cut] for cut in {0, 1, 2, len(content) // 2, len(content) - 1}]
        for _ in range(8):
            flipped = bytearray(content)
            flipped[rng.randrange(len(content))] ^= 1 << rng.randrange(8)
            mutants.append(bytes(flipped))
        positions = _length_positions(content)
        for pos in rng.sample(positions, min(6, len(positions))):
            for delta in (1, -1, 0x40):
                changed = bytearray(content)
                changed[pos] = (changed[pos] + delta) & 0xFF
                mutants.append(bytes(changed))
        mutants.append(content[:1] + bytes.fromhex("84FFFFFFFF") + content[2:])
        mutants.append(content + b"\x00")
        for mutant in mutants:
            _check_outcome(mutant, offset, code, cra)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=200),
    code=st.sampled_from([None, 0x9999, *sorted(SPEC_ASN1_CODES)]),
    cra=st.integers(1, 3),
    base=st.integers(0, 5000),
)
def test_random_bytes(data: bytes, code: int | None, cra: int, base: int) -> None:
    _check_outcome(data, base, code, cra)


_PRIMITIVE = st.builds(
    lambda cls, tag, value, octets: {"class": cls, "constructed": False, "tag": tag, "value": value.hex().upper()}
    | ({"length_octets": octets} if octets is not None else {}),
    st.sampled_from(tlv_mod.CLASS_NAMES),
    st.integers(0, 300),
    st.binary(max_size=20),
    st.sampled_from([None, 1, 2, 3]),
)


def _constructed(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(
        lambda cls, tag, kids: {"class": cls, "constructed": True, "tag": tag, "value": kids},
        st.sampled_from(tlv_mod.CLASS_NAMES),
        st.integers(0, 300),
        st.lists(children, max_size=4),
    )


@settings(max_examples=300, deadline=None)
@given(node=st.recursive(_PRIMITIVE, _constructed, max_leaves=20))
def test_generic_trees_round_trip(node: dict) -> None:
    data = encode_asn1({"asn1_type": None, "tlv": node})
    tree = decode_asn1(data, 0)
    assert encode_asn1(tree) == data
    if tree["asn1_type"] is None:
        assert _strip(tree["tlv"]) == _strip_expected(node)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    node=st.recursive(_PRIMITIVE, _constructed, max_leaves=12),
    key=st.sampled_from(sorted(TYPE_FOR)),
    base=st.integers(0, 5000),
)
def test_well_formed_but_wrong_shapes(node: dict, key: tuple[int, int], base: int) -> None:
    """Valid TLVs of any shape under every typed message code: typed, generic, never stuck."""
    data = encode_asn1({"asn1_type": None, "tlv": node})
    _check_outcome(data, base, *key)


def _strip_expected(node: dict) -> dict:
    """What the decoder reports for a node: length_octets only where it is not the shortest form."""
    out = {k: node[k] for k in ("class", "constructed", "tag")}
    if node["constructed"]:
        out["value"] = [_strip_expected(c) for c in node["value"]]
        size = len(b"".join(encode_asn1({"asn1_type": None, "tlv": c}) for c in node["value"]))
    else:
        out["value"] = node["value"]
        size = len(node["value"]) // 2
    octets = node.get("length_octets")
    if octets is not None and octets >= tlv_mod.length_octets(size) and octets != tlv_mod.length_octets(size):
        out["length_octets"] = octets
    return out


@settings(max_examples=200, deadline=None)
@given(
    method=st.integers(-5, 300),
    entity=st.binary(min_size=0, max_size=20),
    device=st.integers(0, 2**40),
    code=st.sampled_from([0x000D, 0x00AB, 0x000E, 0x00AF]),
)
def test_typed_join_commands_round_trip(method: int, entity: bytes, device: int, code: int) -> None:
    value = {"joinMethodAndRole": method, "otherDeviceEntityId": entity.hex().upper(), "otherDeviceType": device}
    data = encode_asn1({"asn1_type": "JoinCommand", "value": value})
    tree = decode_asn1(data, 0, code, 1)
    assert tree["asn1_type"] == "JoinCommand"
    got = tree["value"]
    assert got["joinMethodAndRole"]["value"] == method and got["otherDeviceType"]["value"] == device
    assert got["otherDeviceEntityId"] == value["otherDeviceEntityId"]
    assert encode_asn1(tree) == data


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(1000, 1, 1)),
    end=st.datetimes(min_value=dt.datetime(1000, 1, 1)),
)
def test_typed_times_round_trip(start: dt.datetime, end: dt.datetime) -> None:
    value = {"validityIntervalStart": text(start), "validityIntervalEnd": text(end)}
    data = encode_asn1({"asn1_type": "SetClockCommand", "value": value})
    tree = decode_asn1(data, 0, 0x007F, 1)
    assert tree == {"asn1_type": "SetClockCommand", "value": value}


def test_accepts_bytes_like_input(payloads: list[Payload]) -> None:
    _, code, cra, content, offset = payloads[0]
    expected = decode_asn1(content, offset, code, cra)
    assert decode_asn1(bytearray(content), offset, code, cra) == expected
    assert decode_asn1(memoryview(content), offset, code, cra) == expected


def test_module_file_ships_with_the_package() -> None:
    assert (Path(tlv_mod.__file__).parent / "gbcs.asn").is_file()
