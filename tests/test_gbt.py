"""GBT block transfer: build and reassemble (no RTDS message uses GBT, so our own messages)."""

from __future__ import annotations

import random

import pytest

from gbcs.errors import DecodeError
from gbcs.framing import build_apdu, build_mac_header_message, parse_frame
from gbcs.gbt import Reassembler, build_blocks, is_gbt_block, parse_block, reassemble


def _message(size: int, counter: int = 0x3E8) -> bytes:
    apdu = build_apdu(1, counter, bytes.fromhex("90B3D51F30010000"), bytes.fromhex("00DB1234567890A0"),
                      b"", b"\x00\x19", bytes(range(256)) * (size // 256) + bytes(size % 256), b"")
    return build_mac_header_message(apdu, bytes(12))


@pytest.mark.parametrize(("size", "block_size"), [(10, 1200), (3000, 1200), (5000, 100), (2400, 1200)])
def test_out_of_order_reassembly(size: int, block_size: int) -> None:
    message = _message(size)
    blocks = build_blocks(message, block_size)
    assert len(blocks) == -(-len(message) // block_size)
    assert all(is_gbt_block(b) for b in blocks) and not is_gbt_block(message)
    random.Random(size).shuffle(blocks)
    assert reassemble(blocks) == [message]


def test_block_fields() -> None:
    message = _message(3000)
    blocks = [parse_block(raw) for raw in build_blocks(message, 1200)]
    assert [b.block_number for b in blocks] == [1, 2, 3]
    assert [b.last for b in blocks] == [False, False, True]
    frame = parse_frame(message)
    assert all(b.originator == frame.originator and b.transaction_id[1:] == frame.counter.to_bytes(8, "big")
               for b in blocks)


def test_interleaved_transfers_and_duplicates() -> None:
    first, second = _message(3000, 1), _message(2000, 2)
    blocks = build_blocks(first, 500) + build_blocks(second, 500)
    blocks += blocks[:3]  # duplicates are harmless
    random.Random(7).shuffle(blocks)
    assembler = Reassembler()
    done = [m for raw in blocks if (m := assembler.add(raw)) is not None]
    assert sorted(done) == sorted([first, second])


def test_missing_block_keeps_transfer_pending() -> None:
    blocks = build_blocks(_message(3000), 1000)
    assembler = Reassembler()
    assert [assembler.add(raw) for raw in blocks[1:]] == [None] * (len(blocks) - 1)
    assert assembler.pending() == 1


def test_conflicting_duplicate_is_refused() -> None:
    blocks = build_blocks(_message(3000), 1000)
    other = build_blocks(_message(3000)[:-1] + b"\x01", 1000)
    assembler = Reassembler()
    assembler.add(blocks[-1])
    with pytest.raises(DecodeError, match="different data"):
        assembler.add(other[-1])


def test_truncated_block_names_offset() -> None:
    raw = build_blocks(_message(3000), 1000)[0]
    with pytest.raises(DecodeError) as info:
        parse_block(raw[:-5])
    assert 0 < info.value.offset < len(raw)
