"""AES-128-GCM as GBCS uses it: GMAC with 12-byte tags and encrypted payload elements (spec §2.4, §2.5).

Tags are computed in full with a reused :class:`AESGCM` object per key and truncated;
12-byte-tag decryption recovers the keystream by encrypting zeros (the GCM counter
stream from J0+1), then recomputes the tag over the recovered plaintext.
"""

from __future__ import annotations

import hmac
import threading

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAG_LENGTH = 12
SC_AUTHENTICATED = 0x11
SC_ENCRYPTED = 0x31
_IC_ZERO = b"\x00\x00\x00\x00"
_ELEMENT_AAD = bytes((SC_ENCRYPTED,))
_MAX_ENTRIES = 1024
_aead_cache: dict[bytes, AESGCM] = {}
_lock = threading.Lock()


def aesgcm(key: bytes) -> AESGCM:
    """A cached AESGCM object for ``key`` (safe to share between threads)."""
    aead = _aead_cache.get(key)
    if aead is None:
        aead = AESGCM(key)
        with _lock:
            if len(_aead_cache) >= _MAX_ENTRIES:
                _aead_cache.clear()
            _aead_cache[key] = aead
    return aead


def gcm_tag(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The full 16-byte GCM tag over ``aad`` with an empty plaintext."""
    return aesgcm(key).encrypt(iv, b"", aad)


def gmac(key: bytes, iv: bytes, aad: bytes) -> bytes:
    """The GBCS MAC: the first 12 bytes of the GCM tag over ``aad``."""
    return aesgcm(key).encrypt(iv, b"", aad)[:TAG_LENGTH]


def encrypt(key: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-GCM with a 12-byte tag: ciphertext ‖ tag(12)."""
    out = aesgcm(key).encrypt(iv, plaintext, aad)
    return out[: len(out) - 4]


def _xor(a: bytes, b: bytes) -> bytes:
    n = len(a)
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(n, "big")


def decrypt(key: bytes, iv: bytes, data: bytes, aad: bytes) -> bytes | None:
    """Inverse of :func:`encrypt`: the plaintext, or None when the 12-byte tag does not match."""
    if len(data) < TAG_LENGTH:
        return None
    n = len(data) - TAG_LENGTH
    aead = aesgcm(key)
    ciphertext = data[:n]
    plaintext = _xor(ciphertext, aead.encrypt(iv, bytes(n), b"")[:n]) if n else b""
    check = aead.encrypt(iv, plaintext, aad)
    if not hmac.compare_digest(check[n : n + TAG_LENGTH], data[n:]):
        return None
    return plaintext


def element_iv(originator: bytes) -> bytes:
    """IV = originator system title ‖ invocation counter 00000000."""
    return originator + _IC_ZERO


def encrypt_element(key: bytes, originator: bytes, plaintext: bytes) -> bytes:
    """Wire form of an encrypted payload element: ``31 | 00000000 | ciphertext | tag(12)``."""
    return _ELEMENT_AAD + _IC_ZERO + encrypt(key, originator + _IC_ZERO, plaintext, _ELEMENT_AAD)


def decrypt_element(key: bytes, originator: bytes, wire: bytes) -> bytes | None:
    """Plaintext of an encrypted payload element, or None if it is malformed or fails authentication."""
    if len(wire) < 5 + TAG_LENGTH or wire[0] != SC_ENCRYPTED:
        return None
    return decrypt(key, originator + wire[1:5], wire[5:], _ELEMENT_AAD)


def clear_cache() -> None:
    """Forget the cached AESGCM objects."""
    with _lock:
        _aead_cache.clear()
