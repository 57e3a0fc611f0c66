"""DLMS General Block Transfer (GBT) as GBCS uses it to segment large messages (gbcs spec §1.9).

Each block is a general-ciphering frame whose header fields are filled in (that is how a
block is told apart from a whole message, whose fields are empty) and whose ciphered
content is ``SC IC(4) E0 block-control block-number(2) block-number-ack(2) block-data``.
Block-control: bit 7 last block, bit 6 streaming, bits 5..0 window.  The block data of
blocks 1..N, concatenated in block-number order, is one complete GBCS message.

No RTDS message uses GBT, so this layout is tested with our own messages only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import construct as cs

from .errors import DecodeError
from .framing import GENERAL_CIPHERING_TAG, OctetString, Tag, parse_frame

GBT_TAG = 0xE0
DEFAULT_BLOCK_SIZE = 1200
MAX_BLOCKS = 0xFFFF

GBT_CONTENT = cs.Struct(
    "security_control" / cs.Int8ub,
    "invocation_counter" / cs.Int32ub,
    "tag" / Tag("general-block-transfer tag", GBT_TAG),
    "block_control" / cs.Int8ub,
    "block_number" / cs.Int16ub,
    "block_number_ack" / cs.Int16ub,
    "block_data" / OctetString("block-data"),
    cs.Terminated,
)

GBT_BLOCK = cs.Struct(
    "tag" / Tag("general-ciphering tag", GENERAL_CIPHERING_TAG),
    "transaction_id" / OctetString("transaction-id", (9,)),
    "originator" / OctetString("originator-system-title", (8,)),
    "recipient" / OctetString("recipient-system-title", (8,)),
    "date_time" / OctetString("date-time", (0, 12)),
    "other_information" / OctetString("other-information"),
    "key_info" / Tag("key-info (absent)", 0),
    "ciphered" / OctetString("ciphered content"),
    cs.Terminated,
)


@dataclass(frozen=True, slots=True)
class Block:
    """One GBT block."""

    transaction_id: bytes
    originator: bytes
    recipient: bytes
    other_information: bytes
    block_number: int
    last: bool
    streaming: bool
    window: int
    block_number_ack: int
    data: bytes


def is_gbt_block(buf: bytes) -> bool:
    """True for a general-ciphering frame with a non-empty transaction-id (a GBT block)."""
    return len(buf) > 2 and buf[0] == GENERAL_CIPHERING_TAG and buf[1] != 0


def parse_block(buf: bytes) -> Block:
    """Decode one GBT block; raises DecodeError with the offset."""
    try:
        outer = GBT_BLOCK.parse(buf)
        ciphered_offset = len(buf) - len(outer["ciphered"])
        try:
            inner = GBT_CONTENT.parse(outer["ciphered"])
        except DecodeError as exc:
            raise DecodeError(exc.offset + ciphered_offset, exc.field, exc.reason) from None
    except cs.ConstructError as exc:
        raise DecodeError(len(buf), "GBT block", f"truncated or trailing bytes ({exc.__class__.__name__})") from None
    control = inner["block_control"]
    if inner["block_number"] == 0:
        raise DecodeError(ciphered_offset + 7, "block-number", "block numbers start at 1")
    return Block(
        transaction_id=outer["transaction_id"],
        originator=outer["originator"],
        recipient=outer["recipient"],
        other_information=outer["other_information"],
        block_number=inner["block_number"],
        last=bool(control & 0x80),
        streaming=bool(control & 0x40),
        window=control & 0x3F,
        block_number_ack=inner["block_number_ack"],
        data=inner["block_data"],
    )


def build_blocks(message: bytes, block_size: int = DEFAULT_BLOCK_SIZE, window: int = 1,
                 security_control: int = 0x11) -> list[bytes]:
    """Split a complete GBCS message into GBT blocks carrying its routing fields."""
    if block_size < 1:
        raise ValueError("block_size must be positive")
    frame = parse_frame(message)
    chunks = [message[i : i + block_size] for i in range(0, len(message), block_size)]
    if len(chunks) > MAX_BLOCKS:
        raise ValueError(f"{len(chunks)} blocks exceed the 16-bit block number")
    transaction_id = bytes((frame.cra,)) + frame.counter.to_bytes(8, "big")
    blocks = []
    for number, chunk in enumerate(chunks, 1):
        control = (0x80 if number == len(chunks) else 0) | (window & 0x3F)
        ciphered = GBT_CONTENT.build(
            {
                "security_control": security_control,
                "invocation_counter": 0,
                "block_control": control,
                "block_number": number,
                "block_number_ack": 0,
                "block_data": chunk,
            }
        )
        blocks.append(
            GBT_BLOCK.build(
                {
                    "transaction_id": transaction_id,
                    "originator": frame.originator,
                    "recipient": frame.recipient,
                    "date_time": b"",
                    "other_information": frame.other_information[:2],
                    "ciphered": ciphered,
                }
            )
        )
    return blocks


class Reassembler:
    """Collects blocks of many transfers, in any order, and yields each message once it is complete."""

    def __init__(self, max_blocks: int = 4096) -> None:
        self.max_blocks = max_blocks
        self._pending: dict[tuple[bytes, bytes], dict[int, Block]] = {}
        self._last: dict[tuple[bytes, bytes], int] = {}

    def add(self, raw: bytes) -> bytes | None:
        """Add one block; return the whole message when this block completes it."""
        block = parse_block(raw)
        key = (block.originator, block.transaction_id)
        blocks = self._pending.setdefault(key, {})
        if block.block_number > self.max_blocks:
            raise DecodeError(0, "block-number", f"{block.block_number} exceeds the limit of {self.max_blocks}")
        previous = blocks.get(block.block_number)
        if previous is not None and previous.data != block.data:
            raise DecodeError(0, "block-number", f"block {block.block_number} received twice with different data")
        blocks[block.block_number] = block
        if block.last:
            self._last[key] = block.block_number
        last = self._last.get(key)
        if last is None or len(blocks) < last or any(n not in blocks for n in range(1, last + 1)):
            return None
        message = b"".join(blocks[n].data for n in range(1, last + 1))
        del self._pending[key], self._last[key]
        return message

    def pending(self) -> int:
        """Transfers still waiting for blocks."""
        return len(self._pending)


def reassemble(blocks: Iterable[bytes]) -> list[bytes]:
    """Every complete message from a bag of blocks (any order, many transfers)."""
    assembler = Reassembler()
    return [message for raw in blocks if (message := assembler.add(raw)) is not None]
