"""GBZ codec: corpus round trip, edits, property-based round trips and malformed input."""

from __future__ import annotations

import json
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gbcs.ber import read_length
from gbcs.errors import DecodeError, EncodeError
from gbcs.gbz import decode_gbz, decode_zcl_payload, encode_gbz, encrypted_elements
from gbcs.gbz.zcl_commands import LAYOUTS
from gbcs.gbz.zcl_layouts import BLOCK_THRESHOLDS, Layout

# Message codes whose payload is ASN.1 DER (gbcs spec §3.3), never GBZ.
ASN1_CODES = frozenset(
    [0x0008, 0x000A, 0x000B, 0x000C, 0x000D, 0x00AB, 0x000E, 0x00AF, 0x000F, 0x0010, 0x0012, 0x00CA, 0x0013,
     0x007F, 0x008C, 0x00B2, *range(0x0100, 0x010A), 0x00CB, 0x0128, 0x0129, 0x011B, 0x0124, 0x0125, 0x0126,
     0x012B]
)


# --- helpers ------------------------------------------------------------------------------------

def _content(message: bytes) -> tuple[int, int, int, bytes]:
    """(CRA, message code, absolute offset of the content, content) of a GBCS message."""
    try:
        from gbcs.framing import parse_frame
    except ImportError:  # framing layer not there yet: walk the grouping header ourselves
        return _extract(message)
    frame = parse_frame(message)
    return frame.cra, frame.message_code, frame.content_offset, frame.content


def _extract(message: bytes) -> tuple[int, int, int, bytes]:
    pos = 0
    if message[0] == 0xDD:
        _, pos = read_length(message, 7, "mac header")
        pos += 5  # SC + IC
    assert message[pos] == 0xDF
    pos += 1
    fields = []
    for _ in range(6):  # transaction-id, originator, recipient, date-time, other-information, content
        length, pos = read_length(message, pos, "field")
        fields.append((pos, message[pos:pos + length]))
        pos += length
    return fields[0][1][0], int.from_bytes(fields[4][1][:2], "big"), fields[5][0], fields[5][1]


@pytest.fixture(scope="module")
def gbz_payloads(rtds_messages: list[tuple[str, bytes]]) -> list[tuple[str, int, int, int, bytes]]:
    """(name, CRA, message code, content offset, payload) for every GBZ payload of the corpus."""
    out = []
    for name, message in rtds_messages:
        cra, code, offset, content = _content(message)
        if content[:2] == b"\x01\x09" and code not in ASN1_CODES:
            out.append((name, cra, code, offset, content))
    if not out:
        pytest.skip("no GBZ payloads in the corpus")
    return out


def component(cf: int, cluster: int, body: bytes) -> bytes:
    return bytes((cf,)) + cluster.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def gbz(*components: bytes) -> bytes:
    return b"\x01\x09" + bytes((len(components),)) + b"".join(components)


def roundtrip(data: bytes, **kw) -> dict:
    tree = decode_gbz(data, **kw)
    json.dumps(tree)
    assert encode_gbz(tree) == data
    return tree


def decodes_exactly_or_fails_cleanly(data: bytes, base: int = 1000, **kw) -> None:
    """The codec contract on arbitrary input: a DecodeError inside the input, or an exact round trip."""
    try:
        tree = decode_gbz(data, base=base, **kw)
    except DecodeError as exc:
        assert base <= exc.offset <= base + len(data), (exc.offset, base, len(data))
        return
    json.dumps(tree)
    assert encode_gbz(tree) == data


# --- corpus -------------------------------------------------------------------------------------

def test_corpus_round_trip(gbz_payloads):
    failures = []
    for name, cra, code, offset, payload in gbz_payloads:
        try:
            tree = decode_gbz(payload, base=offset, cra=cra, message_code=code)
            json.dumps(tree)
            if encode_gbz(tree) != payload:
                failures.append((name, "re-encoded bytes differ"))
        except (DecodeError, EncodeError) as exc:
            failures.append((name, str(exc)))
    assert not failures, f"{len(failures)}/{len(gbz_payloads)} failed: {failures[:5]}"


def test_corpus_components_are_named_and_decoded(gbz_payloads):
    """Corpus components get command names and a decoded payload form (hex fallback stays rare)."""
    total, unnamed, undecoded = 0, [], []
    for name, cra, code, offset, payload in gbz_payloads:
        tree = decode_gbz(payload, base=offset, cra=cra, message_code=code)
        assert tree["kind"] == {1: "command", 2: "response", 3: "alert"}[cra]
        for comp in tree.get("components", []):
            total += 1
            zcl = comp["zcl"]
            if "command_name" not in zcl:
                unnamed.append((name, comp["cluster"], zcl["command"]))
            if not comp["control"] & 0x02 and "payload" in zcl:
                undecoded.append((name, comp["cluster"], zcl["command"]))
            assert comp["control"] & 0x01 == (comp is tree["components"][-1])
    assert len(unnamed) <= total // 50, unnamed[:5]
    assert len(undecoded) <= total // 50, undecoded[:5]


def test_corpus_encrypted_elements(gbz_payloads):
    found = 0
    for _, cra, code, offset, payload in gbz_payloads:
        tree = decode_gbz(payload, base=offset, cra=cra, message_code=code)
        for pointer, blob in encrypted_elements(tree):
            found += 1
            assert blob[:5] == b"\x31\x00\x00\x00\x00" and len(blob) >= 17
            assert blob in payload
            parts = pointer.strip("/").split("/")
            assert tree[parts[0]][int(parts[1])][parts[2]] == blob.hex().upper()
            assert cra in (2, 3)
    assert found > 0


def test_corpus_truncations_fail_cleanly(gbz_payloads):
    for _, cra, code, offset, payload in gbz_payloads[::7]:
        for cut in range(len(payload)):
            decodes_exactly_or_fails_cleanly(payload[:cut], base=offset, cra=cra, message_code=code)


def test_corpus_mutations_fail_cleanly_or_round_trip(gbz_payloads):
    rng = random.Random(20240601)
    for _, cra, code, offset, payload in gbz_payloads:
        for _ in range(25):
            data = bytearray(payload)
            op = rng.randrange(3)
            i = rng.randrange(len(data))
            if op == 0:
                data[i] = rng.randrange(256)
            elif op == 1:
                del data[i]
            else:
                data.insert(i, rng.randrange(256))
            decodes_exactly_or_fails_cleanly(bytes(data), base=offset, cra=cra, message_code=code)
        decodes_exactly_or_fails_cleanly(payload + b"\x00", base=offset, cra=cra, message_code=code)


# --- edits --------------------------------------------------------------------------------------

def test_edit_read_attributes_response_value():
    body = bytes.fromhex("080001") + bytes.fromhex("0000") + b"\x00\x25" + (12345).to_bytes(6, "little")
    data = gbz(component(0x01, 0x0702, body))
    tree = roundtrip(data, cra=2)
    rec = tree["components"][0]["zcl"]["records"][0]
    assert rec["attribute_name"] == "CurrentSummationDelivered" and rec["value"] == 12345
    rec["value"] = 987654321
    rec["attribute_name"] = "ignored annotation"
    again = decode_gbz(encode_gbz(tree), cra=2)
    assert again["components"][0]["zcl"]["records"][0]["value"] == 987654321


def test_edit_string_changes_lengths():
    message = b"Reset"
    body = bytes.fromhex("090000") + struct.pack("<IBIH", 1, 0, 0, 0xFFFF) + bytes((len(message),)) + message
    data = gbz(component(0x01, 0x0703, body))
    tree = roundtrip(data)
    fields = tree["components"][0]["zcl"]["fields"]
    assert fields["message_text"] == "Reset"
    fields["message"] = b"Hello, world".hex()
    out = encode_gbz(tree)
    assert len(out) == len(data) + 7
    assert decode_gbz(out)["components"][0]["zcl"]["fields"]["message_text"] == "Hello, world"


def test_edit_cluster_command_field_and_entries():
    body = bytes.fromhex("090705") + struct.pack("<IIIIBBB", 0, 7, 0xFFFFFFFE, 1, 0, 1, 0)
    body += b"".join(bytes((i,)) + (100 * i).to_bytes(4, "little") for i in range(3))
    tree = roundtrip(gbz(component(0x01, 0x0700, body)))
    fields = tree["components"][0]["zcl"]["fields"]
    assert [p["price"] for p in fields["prices"]] == [0, 100, 200]
    fields["prices"].append({"tier_block_id": 9, "price": 4242})
    fields["issuer_event_id"] = 8
    again = decode_gbz(encode_gbz(tree))["components"][0]["zcl"]["fields"]
    assert again["issuer_event_id"] == 8 and again["prices"][-1] == {"tier_block_id": 9, "price": 4242}


# --- structure ----------------------------------------------------------------------------------

def test_control_field_bits_and_from_date_time():
    when = 0x1C0E6C00
    body = when.to_bytes(4, "big") + bytes.fromhex("010008") + struct.pack("<IB", 0xFFFFFFFE, 5)
    data = gbz(component(0x11 | 0x40, 0x0705, body))
    tree = roundtrip(data)
    comp = tree["components"][0]
    assert comp["control"] == 0x51
    assert comp["flags"] == ["last", "from_date_time", "bit6"]
    assert comp["from_date_time"] == when
    assert comp["from_date_time_iso"] == "2014-12-01T00:00:00Z"
    assert comp["zcl"]["command_name"] == "GetTopUpLog"
    assert tree["last_flag_consistent"] is True


def test_last_flag_inconsistency_is_kept_and_reported():
    data = gbz(component(0x01, 0x0000, bytes.fromhex("0000000400")), component(0x00, 0x0000, bytes.fromhex("000100")))
    tree = roundtrip(data)
    assert tree["last_flag_consistent"] is False


def test_encrypted_component():
    blob = b"\x31\x00\x00\x00\x00" + bytes(range(20)) + b"\xAA" * 12
    body = b"\x00\x02" + bytes.fromhex("180001") + len(blob).to_bytes(2, "big") + blob
    data = gbz(component(0x03, 0x0702, body))
    tree = roundtrip(data, cra=2)
    comp = tree["components"][0]
    assert comp["additional_header"] == {"control": 0, "frame_counter": 2}
    assert comp["zcl"]["command_name"] == "ReadAttributesResponse"
    assert encrypted_elements(tree) == [("/components/0/ciphered_information", blob)]
    # a ciphered length that does not match the component is refused with its offset
    bad = bytearray(data)
    bad[3 + 5 + 2 + 3 + 1] ^= 1  # low byte of the ciphered-information length
    with pytest.raises(DecodeError) as exc:
        decode_gbz(bytes(bad), base=100)
    assert exc.value.offset == 100 + 3 + 5 + 2 + 3


def test_decrypted_plaintext_decodes():
    """The GCS13a worked example (gbcs spec §2.5): plaintext of a Read Attributes Response."""
    plain = bytes.fromhex("02030022E80300" "01030022010000" "0003003001" "00000025393000000000")
    out = decode_zcl_payload(0x0702, 0x18, 0x01, plain)
    values = {r["attribute_name"]: r["value"] for r in out["records"]}
    assert values == {"Divisor": 1000, "Multiplier": 1, "UnitOfMeasure": 1, "CurrentSummationDelivered": 12345}


def test_alert_with_component():
    body = bytes.fromhex("090000") + struct.pack("<IBIH", 1, 0, 0, 1) + b"\x02Hi"
    data = b"\x01\x09\x01" + bytes.fromhex("8F0A") + (473385600).to_bytes(4, "big") + component(0x01, 0x0703, body)
    tree = roundtrip(data, cra=3, message_code=0x008B)
    assert tree["alert_code"] == 0x8F0A and tree["alert_datetime"] == "2015-01-01T00:00:00Z"
    assert tree["components"][0]["zcl"]["fields"]["message_text"] == "Hi"


def test_future_dated_alert():
    data = bytes.fromhex("0109018F66388188900E006B00000000000003ED07000906")
    tree = roundtrip(data, cra=3, message_code=0x00CD)
    alert = tree["alert_data"]
    assert alert["format"] == "future_dated"
    assert (alert["message_code"], alert["originator_counter"], alert["cluster"]) == (0x006B, 1005, 0x0700)
    assert alert["command_name"] == "PublishBlockThresholds"
    alert["originator_counter"] = 1006
    assert encode_gbz(tree)[-5:-4] == b"\xEE"


def test_alert_without_data_and_raw_alert_data():
    assert roundtrip(bytes.fromhex("0109008F301C374A80"), cra=3)["components"] == []
    tree = roundtrip(bytes.fromhex("01090181A01C374A800005"), cra=3, message_code=0x00F2)
    assert tree["alert_data"] == {"format": "meter_integrity", "count": 1, "reason": 5}
    tree = roundtrip(bytes.fromhex("0109018F721C374A800920") + b"\xA1" * 32, cra=3, message_code=0x00CF)
    assert tree["alert_data"]["format"] == "raw"


def test_manufacturer_specific_header():
    body = bytes((0x05,)) + (0x1234).to_bytes(2, "little") + bytes((7, 0x42)) + b"\xDE\xAD"
    tree = roundtrip(gbz(component(0x01, 0x0702, body)))
    zcl = tree["components"][0]["zcl"]
    assert zcl["manufacturer_code"] == 0x1234 and zcl["payload"] == "DEAD"


def test_profile_wide_commands():
    cases = {
        # write attributes: octet string, invalid char string, enum
        "000102" + "0703" + "4103414243" + "1100" + "42FF" + "0006" + "3002": "records",
        "000104" + "00": "fields",  # write attributes response, all succeeded
        "000104" + "860300" + "870603": "records",
        # configure reporting: analog with reportable change, discrete, and direction 1 (timeout)
        "000106" + "00" + "0000" + "25" + "0100" + "1000" + "010000000000" + "00" + "1400" + "30" + "0100" + "1000"
        + "01" + "0000" + "3C00": "records",
        "000107" + "00": "fields",
        "000107" + "8C000000": "records",
        "000108" + "000000": "records",
        "000109" + "00000000" + "21" + "0100" + "0200" + "0500" + "86010100": "records",
        "00010A" + "0000" + "25" + "010203040506": "records",
        "00010B" + "0581": "fields",
        "00010C" + "000010": "fields",
        "00010D" + "01" + "000025" + "010025": "fields",
        "000111" + "0001": "payload",  # discover commands received: kept as hex
    }
    for hexbody, form in cases.items():
        tree = roundtrip(gbz(component(0x01, 0x0702, bytes.fromhex(hexbody))))
        assert form in tree["components"][0]["zcl"], hexbody


def test_all_data_types_round_trip():
    values = {
        0x10: "01", 0x18: "FF", 0x19: "0102", 0x1B: "01020304", 0x1F: "0102030405060708",
        0x20: "01", 0x22: "010203", 0x25: "010203040506", 0x27: "0102030405060708",
        0x28: "FF", 0x2A: "FFFFFF", 0x2D: "FEFFFFFFFFFF", 0x2F: "0000000000000080",
        0x30: "02", 0x31: "0201", 0x38: "003C", 0x39: "0000803F", 0x3A: "000000000000F03F",
        0x41: "03414243", 0x42: "FF", 0x43: "0300414243", 0x44: "FFFF",
        0x48: "210300" "0100" "0200" "0300", 0x4C: "0200" "2001" "420141", 0x50: "20FFFF", 0x51: "200100" "07",
        0xE0: "0C1E0000", 0xE1: "730314FF", 0xE2: "80BD0F1C", 0xE8: "0207", 0xE9: "0000", 0xEA: "01020304",
        0xF0: "A190785634122B00", 0xF1: "00" * 16, 0x00: "",
    }
    records = b"".join(b"\x00\x00" + bytes((t,)) + bytes.fromhex(v) for t, v in values.items())
    tree = roundtrip(gbz(component(0x01, 0x0000, bytes.fromhex("00000A") + records)))
    got = {r["type"]: r for r in tree["components"][0]["zcl"]["records"]}
    assert got[0x39]["value"] == 1.0 and got[0x38]["value"] == 1.0
    assert got[0x2F]["value"] == -(1 << 63)
    assert got[0x42]["value"] is None
    assert got[0x48]["value"] == {"element_type": 0x21, "elements": [1, 2, 3]}
    assert got[0x4C]["value"] == [{"type": 0x20, "value": 1}, {"type": 0x42, "value": "41"}]
    assert got[0xE2]["datetime"] == "2014-12-02T00:00:00Z"
    assert got[0x50]["value"] == {"element_type": 0x20, "elements": None}
    assert got[0x00]["value"] is None
    assert got[0xE1]["date"] == "2015-03-20"


def test_non_finite_float_is_kept_as_hex():
    data = gbz(component(0x01, 0x0000, bytes.fromhex("00000A") + b"\x00\x00\x39" + bytes.fromhex("0100C07F")))
    tree = roundtrip(data)
    assert tree["components"][0]["zcl"]["records"][0]["value"] == "0100C07F"


def _wire_for(spec: Layout, rng: random.Random, optional: int) -> bytes:
    """Random bytes that fit ``spec``: every field, ``optional`` of the optional ones, and a tail."""
    out = b""
    for i, (_, size, _, _) in enumerate(spec.fields):
        if i >= spec.opt_from + optional:
            return out  # no tail after missing optional fields
        if size:
            out += rng.randbytes(size)
        else:
            n = rng.choice([0, 1, 5, 20])
            out += bytes((n,)) + rng.randbytes(n)
    if spec.tail is None:
        return out
    _, kind, sub = spec.tail
    for _ in range(rng.randrange(4)):
        if kind == "entries":
            out += _wire_for(sub, rng, len(sub.fields))
        elif kind == "ints":
            out += rng.randbytes(sub)
        elif kind == "hex":
            out += rng.randbytes(rng.randrange(1, 9))
        elif sub is BLOCK_THRESHOLDS:
            n = rng.randrange(16)
            out += bytes((rng.randrange(16) << 4 | n,)) + rng.randbytes(6 * n)
    return out


def test_every_cluster_layout_decodes_and_round_trips():
    rng = random.Random(7)
    for (cluster, direction, command), spec in LAYOUTS.items():
        for _ in range(20):
            optional = rng.randrange(len(spec.fields) - spec.opt_from + 1)
            header = bytes((0x09 if direction else 0x01, rng.randrange(256), command))
            tree = roundtrip(gbz(component(0x01, cluster, header + _wire_for(spec, rng, optional))))
            zcl = tree["components"][0]["zcl"]
            if spec.tail is None or spec.tail[1] != "custom" or spec.tail[2] is BLOCK_THRESHOLDS:
                assert "fields" in zcl, (hex(cluster), direction, command, zcl.get("undecoded"))


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("hexdata", "offset"),
    [
        ("", 0),
        ("0109", 2),
        ("020901", 0),  # not the SE profile
        ("010901", 3),  # count 1, no component
        ("01090101070200", 3),  # component header truncated
        ("010901010702000500", 6),  # component length runs past the end
        ("01090101070200010000", 8),  # body shorter than a ZCL header
        ("010901010702000308000100", 11),  # one trailing byte
        ("0109010107020007080001000000FF", 14),  # unknown data type 0xFF
        ("0109010107020006080000010203", 13),  # read attributes: odd length
        ("0109010107020009080001000000250102", 15),  # uint48 value truncated
        ("0109010107020006080001000000", 14),  # data type missing
    ],
)
def test_decode_errors_have_absolute_offsets(hexdata, offset):
    with pytest.raises(DecodeError) as exc:
        decode_gbz(bytes.fromhex(hexdata), base=500)
    assert exc.value.offset == 500 + offset, str(exc.value)


def test_unknown_type_error_offset():
    with pytest.raises(DecodeError) as exc:
        decode_gbz(gbz(component(0x01, 0x0702, bytes.fromhex("080001") + bytes.fromhex("000000FF00"))), base=10)
    assert exc.value.offset == 10 + 3 + 5 + 3 + 3 and "0xFF" in exc.value.reason


def test_nesting_is_bounded():
    value = b"\x00\x00"  # an empty structure
    for _ in range(40):
        value = b"\x01\x00\x4C" + value  # a structure whose one member is the previous structure
    body = bytes.fromhex("00000A") + b"\x00\x00\x4C" + value
    with pytest.raises(DecodeError) as exc:
        decode_gbz(gbz(component(0x01, 0x0000, body)))
    assert "nested" in exc.value.reason


def test_array_count_beyond_data_is_refused():
    body = bytes.fromhex("00000A") + b"\x00\x00\x48\x20\xFE\xFF\x01"
    with pytest.raises(DecodeError):
        decode_gbz(gbz(component(0x01, 0x0000, body)))


def test_cluster_payload_not_matching_its_layout_is_kept_as_hex():
    body = bytes.fromhex("090000") + b"\x01\x02"  # DisplayMessage far too short
    tree = roundtrip(gbz(component(0x01, 0x0703, body)))
    zcl = tree["components"][0]["zcl"]
    assert zcl["payload"] == "0102" and "undecoded" in zcl


def test_encode_errors():
    tree = decode_gbz(gbz(component(0x01, 0x0702, bytes.fromhex("0800010000002001"))))
    tree["components"][0]["zcl"]["records"][0]["value"] = 256
    with pytest.raises(EncodeError) as exc:
        encode_gbz(tree)
    assert exc.value.path == "/components/0/zcl/records/0/value"
    del tree["components"][0]["zcl"]["records"][0]["type"]
    with pytest.raises(EncodeError):
        encode_gbz(tree)
    with pytest.raises(EncodeError):
        encode_gbz({"components": [{"control": 1, "cluster": 0x0702}]})
    with pytest.raises(EncodeError):
        encode_gbz([])


# --- property-based -----------------------------------------------------------------------------

def _int_strategy(size: int, signed: bool) -> st.SearchStrategy[int]:
    bits = 8 * size
    return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else st.integers(0, (1 << bits) - 1)


_SIZED = {t: (t - 0x18 + 1, False) for t in range(0x18, 0x20)}
_SIZED.update({t: (t - 0x20 + 1, False) for t in range(0x20, 0x28)})
_SIZED.update({t: (t - 0x28 + 1, True) for t in range(0x28, 0x30)})
_SIZED.update({0x30: (1, False), 0x31: (2, False), 0xE2: (4, False), 0xE8: (2, False)})


@st.composite
def typed_value(draw) -> tuple[int, bytes, object]:
    """(type id, wire bytes, expected tree value) built independently of the codec."""
    kind = draw(st.sampled_from(["int", "ostr", "cstr", "long", "float", "array"]))
    if kind == "int":
        type_id = draw(st.sampled_from(sorted(_SIZED)))
        size, signed = _SIZED[type_id]
        value = draw(_int_strategy(size, signed))
        return type_id, value.to_bytes(size, "little", signed=signed), value
    if kind in ("ostr", "cstr"):
        raw = draw(st.binary(max_size=254))
        return (0x41 if kind == "ostr" else 0x42), bytes((len(raw),)) + raw, raw.hex().upper()
    if kind == "long":
        raw = draw(st.binary(max_size=300))
        return 0x43, len(raw).to_bytes(2, "little") + raw, raw.hex().upper()
    if kind == "float":
        value = draw(st.floats(width=32, allow_nan=False, allow_infinity=False))
        return 0x39, struct.pack("<f", value), value
    elements = draw(st.lists(st.integers(0, 0xFFFF), max_size=20))
    wire = b"\x21" + len(elements).to_bytes(2, "little") + b"".join(e.to_bytes(2, "little") for e in elements)
    return 0x48, wire, {"element_type": 0x21, "elements": elements}


@st.composite
def read_response_component(draw) -> tuple[bytes, list]:
    records, expected = [], []
    for _ in range(draw(st.integers(0, 6))):
        attr = draw(st.integers(0, 0xFFFF))
        status = draw(st.sampled_from([0, 0, 0, 0x86, 0xC0]))
        if status:
            records.append(attr.to_bytes(2, "little") + bytes((status,)))
            expected.append((attr, status, None, None))
        else:
            type_id, wire, value = draw(typed_value())
            records.append(attr.to_bytes(2, "little") + bytes((0, type_id)) + wire)
            expected.append((attr, 0, type_id, value))
    fc = draw(st.sampled_from([0x08, 0x18]))
    body = bytes((fc, draw(st.integers(0, 255)), 0x01)) + b"".join(records)
    if draw(st.booleans()):
        body = draw(st.integers(0, 0xFFFFFFFF)).to_bytes(4, "big") + body
        return body, expected + ["dt"]
    return body, expected


@settings(max_examples=200, deadline=None)
@given(st.lists(read_response_component(), min_size=0, max_size=4),
       st.sampled_from([0x0000, 0x0700, 0x0702, 0x0705, 0x1234]))
def test_property_read_attributes_response_round_trip(components, cluster):
    parts = []
    for i, (body, expected) in enumerate(components):
        cf = (0x10 if expected and expected[-1] == "dt" else 0) | (1 if i == len(components) - 1 else 0)
        parts.append(component(cf, cluster, body))
    data = gbz(*parts)
    tree = roundtrip(data, cra=2, base=77)
    for comp, (_, expected) in zip(tree["components"], components, strict=True):
        expected = [e for e in expected if e != "dt"]
        got = [(r["attribute"], r["status"], r.get("type"), r.get("value")) for r in comp["zcl"]["records"]]
        assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.sampled_from([1, 2, 3]), st.sampled_from([None, 0x008B, 0x00CD, 0x00F2]))
def test_property_arbitrary_bytes(tail, cra, code):
    decodes_exactly_or_fails_cleanly(b"\x01\x09" + tail, cra=cra, message_code=code)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.sampled_from([0x0700, 0x0702, 0x0703, 0x0705, 0x0707, 0x0708, 0x0709, 0x0704]),
       st.sampled_from([0x01, 0x09, 0x19, 0x00, 0x08]), st.integers(0, 0x10), st.binary(max_size=60))
def test_property_random_zcl_payloads(cf, cluster, fc, command, payload):
    cf &= ~0x02  # plaintext; the encrypted form is covered separately
    data = gbz(component(cf | 0x01, cluster, bytes((fc, 0, command)) + payload))
    decodes_exactly_or_fails_cleanly(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=17, max_size=200), st.integers(0, 255), st.integers(0, 0xFFFFFFFF), st.booleans())
def test_property_encrypted_round_trip(blob, counter, when, dated):
    body = (when.to_bytes(4, "big") if dated else b"") + bytes((0, counter)) + bytes.fromhex("190006")
    body += len(blob).to_bytes(2, "big") + blob
    data = gbz(component(0x03 | (0x10 if dated else 0), 0x0702, body))
    tree = roundtrip(data, cra=2, base=5)
    assert encrypted_elements(tree) == [("/components/0/ciphered_information", blob)]
