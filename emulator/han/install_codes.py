"""ZigBee install codes (requirements §4, han-hil §1): length and CRC-16/X-25 checks, and the TC link key.

An install code on the wire (or on a device label) is the random code followed by its
CRC-16/X-25, least significant byte first.  Validation checks the length first (SMETS2+:
exactly 16 octets; SMETS1: 6, 8, 12 or 16 octets, each plus the 2-octet CRC), then the CRC.
The Trust Centre link key is the ZigBee AES-MMO hash of the whole code including its CRC.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CRC_LENGTH = 2
SMETS2 = "SMETS2"  # SMETS2 and later (SMETS2+): GBCS register_device key is octet-string(16)
SMETS1 = "SMETS1"
CODE_LENGTHS: dict[str, frozenset[int]] = {
    SMETS2: frozenset({16}),
    SMETS1: frozenset({6, 8, 12, 16}),
}
BLOCK = 16

# reasons an install code is refused
LENGTH = "length"
CRC = "crc"
GENERATION = "generation"


class InstallCodeError(ValueError):
    """An install code refused; ``reason`` is ``length``, ``crc`` or ``generation``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"install code {reason}: {message}")
        self.reason = reason


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25: poly 0x1021 reflected (0x8408), init 0xFFFF, final XOR 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def crc_bytes(code: bytes) -> bytes:
    """The two CRC octets as appended to ``code`` (least significant first)."""
    return crc16_x25(code).to_bytes(2, "little")


def with_crc(code: bytes) -> bytes:
    """``code`` followed by its CRC."""
    return bytes(code) + crc_bytes(code)


def allowed_lengths(generation: str) -> frozenset[int]:
    """The code lengths (octets, without the CRC) a device generation accepts."""
    try:
        return CODE_LENGTHS[generation]
    except KeyError:
        raise InstallCodeError(GENERATION, f"unknown device generation {generation!r}") from None


def check_length(code: bytes, generation: str = SMETS2) -> bytes:
    """Check the length of a code *without* CRC (as CCS01 / DUIS carry it); returns it."""
    lengths = allowed_lengths(generation)
    if len(code) not in lengths:
        wanted = " or ".join(str(n) for n in sorted(lengths))
        raise InstallCodeError(LENGTH, f"{len(code)} octets; {generation} needs {wanted} octets plus the CRC")
    return bytes(code)


def validate(code_with_crc: bytes, generation: str = SMETS2) -> bytes:
    """Check an install code with its CRC: length first, then CRC; returns the code without CRC."""
    data = bytes(code_with_crc)
    lengths = allowed_lengths(generation)
    if len(data) - CRC_LENGTH not in lengths:
        wanted = " or ".join(str(n + CRC_LENGTH) for n in sorted(lengths))
        raise InstallCodeError(LENGTH, f"{len(data)} octets with CRC; {generation} needs {wanted}")
    code, stored = data[:-CRC_LENGTH], data[-CRC_LENGTH:]
    expected = crc_bytes(code)
    if stored != expected:
        raise InstallCodeError(CRC, f"CRC {stored.hex().upper()} does not match {expected.hex().upper()}")
    return code


def _mmo_padding(length: int) -> bytes:
    """ZigBee AES-MMO padding of a ``length``-octet message: 0x80, zeros, then the bit length."""
    bits = length * 8
    if bits < 1 << 16:  # 16-bit length field; message + padding = 14 mod 16 octets
        zeros = (BLOCK - 2 - (length + 1) % BLOCK) % BLOCK
        return b"\x80" + bytes(zeros) + bits.to_bytes(2, "big")
    if bits >= 1 << 32:
        raise ValueError("AES-MMO input too long")
    zeros = (BLOCK - 6 - (length + 1) % BLOCK) % BLOCK  # 32-bit length field then 16 zero bits
    return b"\x80" + bytes(zeros) + bits.to_bytes(4, "big") + bytes(2)


def _blocks(data: bytes) -> Iterable[bytes]:
    for i in range(0, len(data), BLOCK):
        yield data[i:i + BLOCK]


def aes_mmo_hash(data: bytes) -> bytes:
    """The ZigBee Matyas-Meyer-Oseas hash with AES-128: H_i = E(H_{i-1}, M_i) XOR M_i, H_0 = 0."""
    digest = bytes(BLOCK)
    for block in _blocks(bytes(data) + _mmo_padding(len(data))):
        encryptor = Cipher(algorithms.AES(digest), modes.ECB()).encryptor()
        cipher = encryptor.update(block) + encryptor.finalize()
        digest = bytes(a ^ b for a, b in zip(cipher, block, strict=True))
    return digest


def link_key(code_with_crc: bytes, generation: str = SMETS2) -> bytes:
    """The TC link key of a validated install code (with CRC)."""
    validate(code_with_crc, generation)
    return aes_mmo_hash(code_with_crc)


def link_key_for_code(code: bytes, generation: str = SMETS2) -> bytes:
    """The TC link key of a code without CRC (as CCS01 carries it): the CRC is appended first."""
    return aes_mmo_hash(with_crc(check_length(code, generation)))
