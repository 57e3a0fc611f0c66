"""ECDSA P-256 / SHA-256 with raw r‖s signatures (IEEE P1363, 64 bytes), spec §2.6."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

SIGNATURE_LENGTH = 64
_ALGORITHM = ec.ECDSA(hashes.SHA256())


def raw_to_der(signature: bytes) -> bytes:
    """r‖s (64 bytes) to a DER ECDSA-Sig-Value."""
    if len(signature) != SIGNATURE_LENGTH:
        raise ValueError(f"raw signature must be {SIGNATURE_LENGTH} bytes")
    return encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))


def der_to_raw(signature: bytes) -> bytes:
    """DER ECDSA-Sig-Value to r‖s (64 bytes)."""
    r, s = decode_dss_signature(signature)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """Sign SHA-256(data); returns r‖s."""
    return der_to_raw(private_key.sign(data, _ALGORITHM))


def verify(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` (r‖s) is valid for ``data``."""
    if len(signature) != SIGNATURE_LENGTH:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not r or not s:
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), data, _ALGORITHM)
    except InvalidSignature:
        return False
    return True
