"""Framing: MAC header and grouping header, every other-information form, signatures, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gbcs.errors import DecodeError
from gbcs.framing import build_apdu, build_mac_header_message, parse_frame

ORIGINATOR = bytes.fromhex("90B3D51F30010000")
RECIPIENT = bytes.fromhex("00DB1234567890A0")


def _rebuild(raw: bytes) -> bytes:
    frame = parse_frame(raw)
    apdu = build_apdu(frame.cra, frame.counter, frame.originator, frame.recipient, frame.date_time,
                      frame.other_information, frame.content, frame.signature)
    if frame.mac_header:
        return build_mac_header_message(apdu, frame.mac, frame.security_control, frame.invocation_counter)
    return apdu


def test_corpus_frames_rebuild_exactly(rtds_messages: list[tuple[str, bytes]]) -> None:
    for name, raw in rtds_messages:
        assert _rebuild(raw) == raw, name


def test_corpus_cra_agrees_with_file_kind(rtds_messages: list[tuple[str, bytes]]) -> None:
    kinds = {"_COMMAND_": 1, "_PRECOMMAND_": 1, "_RESPONSE_": 2, "_ALERT_": 3}
    for name, raw in rtds_messages:
        expected = [cra for marker, cra in kinds.items() if marker in name.split("/")[-1]]
        assert parse_frame(raw).cra == expected[-1], name


def test_corpus_precommands_have_no_signature_element(rtds_messages: list[tuple[str, bytes]]) -> None:
    precommands = [raw for name, raw in rtds_messages if "_PRECOMMAND_" in name]
    assert precommands
    for raw in precommands:
        frame = parse_frame(raw)
        assert frame.signature is None and not frame.mac_header


def test_worked_example_error_response() -> None:
    """gbcs spec §1.5: ECS17b error response, 84 bytes, annotated field by field."""
    raw = bytes.fromhex(
        "DD000000000000" "4C" "1100000000" "DF" "0902" "00000000000003E9" "0800DB1234567890A0"
        "0890B3D51F30010000" "0C07DF0101FF000000008000FF" "020027" "0C" "DA20 0003E9 0000 0100 0103 01".replace(" ", "")
        + "00" "A56C9AB1129E72330FF1A08A"
    )
    frame = parse_frame(raw)
    assert (frame.cra, frame.counter, frame.message_code) == (2, 1001, 0x27)
    assert frame.originator == RECIPIENT and frame.recipient == ORIGINATOR
    assert frame.date_time.hex().upper() == "07DF0101FF000000008000FF"
    assert frame.signature == b"" and frame.mac.hex().upper() == "A56C9AB1129E72330FF1A08A"
    assert frame.content == bytes.fromhex("DA200003E90000010001 0301".replace(" ", ""))
    assert raw[frame.content_offset : frame.content_offset + len(frame.content)] == frame.content


@pytest.mark.parametrize("other_len", [2, 10, 18, 26, 424])
@pytest.mark.parametrize("signature", [None, b"", bytes(range(64))])
@pytest.mark.parametrize("content_len", [0, 5, 127, 128, 255, 256, 70000])
def test_every_form_round_trips(other_len: int, signature: bytes | None, content_len: int) -> None:
    other = (0x0027).to_bytes(2, "big") + bytes(range(other_len - 2 if other_len < 258 else 0)) + bytes(
        max(0, other_len - 2 - 256)
    )
    other = other[:other_len].ljust(other_len, b"\x30")
    content = bytes(content_len)
    apdu = build_apdu(1, 0x3E8, ORIGINATOR, RECIPIENT, b"", other, content, signature)
    for raw in (apdu, build_mac_header_message(apdu, bytes(12))):
        frame = parse_frame(raw)
        assert frame.other_information == other
        assert frame.content == content
        assert frame.signature == signature
        assert _rebuild(raw) == raw


def test_five_byte_length_prefix_is_bounded() -> None:
    apdu = build_apdu(1, 1, ORIGINATOR, RECIPIENT, b"", b"\x00\x27", bytes(16), b"")
    content_length_at = 33  # DF, tid(10), originator(9), recipient(9), date-time(1), other-info(3)
    assert apdu[content_length_at] == 16
    bad = apdu[:content_length_at] + b"\x84\xff\xff\xff\xff" + bytes(16)
    with pytest.raises(DecodeError) as info:
        parse_frame(bad)
    assert info.value.offset == content_length_at and info.value.field == "content"


@pytest.mark.parametrize(
    ("raw", "offset", "field"),
    [
        (b"", 0, "message"),
        (b"\x42", 0, "message"),
        (b"\xdf\x09\x01", 1, "transaction-id"),
        (b"\xdd\x00\x00\x00\x00\x00\x00\x05\x11\x00", 7, "ciphered content"),
        (b"\xdd\x00\x00\x00\x01\x00\x00", 4, "general-ciphering header (empty fields, no key-info)"),
    ],
)
def test_bad_input_names_offset_and_field(raw: bytes, offset: int, field: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_frame(raw)
    assert (info.value.offset, info.value.field) == (offset, field)


def test_wrong_eui_length_is_refused() -> None:
    apdu = build_apdu(1, 1, ORIGINATOR, RECIPIENT, b"", b"\x00\x27", b"\x00", b"")
    bad = apdu[:11] + b"\x07" + apdu[12:]
    with pytest.raises(DecodeError) as info:
        parse_frame(bad)
    assert info.value.offset == 11 and "expected 8" in info.value.reason


def test_trailing_bytes_after_signature_are_refused() -> None:
    apdu = build_apdu(1, 1, ORIGINATOR, RECIPIENT, b"", b"\x00\x27", b"\x00", b"")
    with pytest.raises(DecodeError) as info:
        parse_frame(apdu + b"\x00")
    assert info.value.offset == len(apdu)


@given(st.binary(max_size=120))
@settings(max_examples=2000)
def test_random_input_only_raises_decode_error(blob: bytes) -> None:
    try:
        parse_frame(blob)
    except DecodeError as exc:
        assert 0 <= exc.offset <= len(blob)


def test_corpus_mutations_never_crash(rtds_messages: list[tuple[str, bytes]]) -> None:
    """Flip bits and inflate/deflate every length byte of the header area of many messages."""
    for _, raw in rtds_messages[::7]:
        for i in range(min(len(raw), 60)):
            for delta in (1, -1, 0x80):
                mutated = bytearray(raw)
                mutated[i] = (mutated[i] + delta) & 0xFF
                try:
                    parse_frame(bytes(mutated))
                except DecodeError as exc:
                    assert 0 <= exc.offset <= len(raw)
