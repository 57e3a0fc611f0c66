"""UTRN prepayment top-up tokens and the GBCS Verhoeff check digit (spec §2.9).

The token's MAC uses the supplier's *prepayment* key-agreement key; the caller passes
the derived key or the two keys (no key store access here).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from .ecdh import shared_secret
from .gcm import gcm_tag
from .kdf import USE_COMMAND, derive_key

PPTD_OFFSET = 7_394_156_990_786_306_048
VALUE_CLASS_PENNIES = 0
VALUE_CLASS_POUNDS = 1
MAX_VALUE = 8191

_D5 = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P1 = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)
_START_ROW = 4
_FINAL = (1, 2, 6, 7, 5, 8, 3, 0, 9, 4)
_UTRN_AAD_PREFIX = b"\x11\x00\x00\x00\x00\x00"


def _permutation_rows() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(rows[-1][_P1[n]] for n in range(10)))
    return tuple(rows)


_P = _permutation_rows()


def verhoeff_check_digit(digits: str) -> str:
    """The GBCS Verhoeff variant: left to right, permutation row from 4 cycling mod 8, own final map."""
    c = 0
    for i, ch in enumerate(digits):
        c = _D5[c][_P[(_START_ROW + i) % 8][ord(ch) - 48]]
    return str(_FINAL[c])


def ptut_high_word(counter: int, value: int, value_class: int) -> int:
    """``0000000 | (counter >> 32) mod 2^10 | class(2) | value(13)``."""
    if not 0 <= value <= MAX_VALUE:
        raise ValueError(f"UTRN value {value} is outside 0..{MAX_VALUE}")
    if not 0 <= value_class <= 3:
        raise ValueError(f"UTRN value class {value_class} is outside 0..3")
    return (((counter >> 32) & 0x3FF) << 15) | (value_class << 13) | value


def utrn_key(
    supplier_pp_private: ec.EllipticCurvePrivateKey,
    device_ka_public: ec.EllipticCurvePublicKey,
    supplier: bytes,
    device: bytes,
    counter: int,
) -> bytes:
    """K = KDF(ECDH(supplier prepayment KA, device KA), OtherInfo(supplier, 01, counter, device))."""
    return derive_key(shared_secret(supplier_pp_private, device_ka_public), supplier, USE_COMMAND, counter, device)


def utrn_from_key(key: bytes, supplier: bytes, device: bytes, counter: int, value: int, value_class: int) -> str:
    """The 20-digit UTRN for a derived key ``key``."""
    high = ptut_high_word(counter, value, value_class)
    aad = _UTRN_AAD_PREFIX + supplier + device + b"\x01" + counter.to_bytes(8, "big") + high.to_bytes(4, "big")
    tag = gcm_tag(key, supplier + b"\x00\x00\x00\x00", aad)
    ptut = (high << 32) | int.from_bytes(tag[12:16], "big")
    pptd = str(ptut + PPTD_OFFSET)
    return pptd + verhoeff_check_digit(pptd)


def generate_utrn(
    supplier_pp_private: ec.EllipticCurvePrivateKey,
    device_ka_public: ec.EllipticCurvePublicKey,
    supplier: bytes,
    device: bytes,
    counter: int,
    value: int,
    value_class: int,
) -> str:
    """The 20-digit UTRN (19-digit PPTD and the check digit) for a top-up of ``value``."""
    key = utrn_key(supplier_pp_private, device_ka_public, supplier, device, counter)
    return utrn_from_key(key, supplier, device, counter, value, value_class)


def decode_utrn(utrn: str) -> tuple[int, int, int, int]:
    """Split a UTRN into (counter bits 32-41, value class, value, PTUT low word); checks the check digit."""
    if len(utrn) != 20 or not utrn.isascii() or not utrn.isdigit():
        raise ValueError("a UTRN is 20 decimal digits")
    if verhoeff_check_digit(utrn[:19]) != utrn[19]:
        raise ValueError("UTRN check digit mismatch")
    ptut = int(utrn[:19]) - PPTD_OFFSET
    if not 0 <= ptut < 1 << 64:
        raise ValueError("UTRN out of range")
    high = ptut >> 32
    if high >> 25:
        raise ValueError("UTRN high word has reserved bits set")
    return (high >> 15) & 0x3FF, (high >> 13) & 3, high & 0x1FFF, ptut & 0xFFFFFFFF
