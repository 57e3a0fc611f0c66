"""NIST SP 800-56A single-step (concatenation) KDF with the GBCS OtherInfo (spec §2.3)."""

from __future__ import annotations

import hashlib

ALGORITHM_ID = bytes.fromhex("60857406080300")
USE_COMMAND = 1
USE_RESPONSE = 2
USE_ALERT = 3
USE_ENCRYPTION = 4
_COUNTER_1 = b"\x00\x00\x00\x01"
_sha256 = hashlib.sha256


def other_info(originator: bytes, use: int, counter: int, recipient: bytes) -> bytes:
    """The 33-byte OtherInfo: AlgorithmID ‖ originator ‖ 09 ‖ use ‖ counter(8) ‖ recipient."""
    if len(originator) != 8 or len(recipient) != 8:
        raise ValueError("system titles must be 8 bytes")
    return ALGORITHM_ID + originator + b"\x09" + bytes((use,)) + counter.to_bytes(8, "big") + recipient


def derive_key(shared_secret: bytes, originator: bytes, use: int, counter: int, recipient: bytes) -> bytes:
    """K = leftmost 128 bits of SHA-256(00000001 ‖ Z ‖ OtherInfo)."""
    info = other_info(originator, use, counter, recipient)
    return _sha256(_COUNTER_1 + shared_secret + info).digest()[:16]
