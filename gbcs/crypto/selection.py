"""Which keys protect which message: the key-selection rules of spec §2.2 and §2.7.

Everything here derives AES keys from header fields plus a :class:`KeystoreView`; a
function returns None when the key store lacks the keys needed.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from ..other_information import OtherInformation
from .ecdh import shared_secret
from .kdf import USE_ENCRYPTION, derive_key
from .view import KeystoreView

CRA_COMMAND = 1
CRA_RESPONSE = 2
CRA_ALERT = 3


def ka_shared_secret(view: KeystoreView, a: bytes, b: bytes) -> bytes | None:
    """ECDH between the KA keys of ``a`` and ``b``: private of one with public of the other, either way."""
    priv: ec.EllipticCurvePrivateKey | None = view.ka_private(a)
    if priv is not None:
        pub = view.ka_public(b)
        if pub is not None:
            return shared_secret(priv, pub)
    priv = view.ka_private(b)
    if priv is not None:
        pub = view.ka_public(a)
        if pub is not None:
            return shared_secret(priv, pub)
    return None


def mac_key_pair(cra: int, originator: bytes, recipient: bytes, view: KeystoreView, acb: bytes) -> tuple[bytes, bytes]:
    """The two parties whose KA keys protect a MAC (spec §2.2, §2.7).

    Commands from a remote party are MAC'd by the ACB towards the device; device-originated
    commands (PCS) device to device; responses and alerts between the originator and the
    recipient (for DCC-originated traffic the recipient is the ACB itself, so RTDS needs
    no other fallback).
    """
    if cra == CRA_COMMAND:
        return (originator if view.is_device(originator) else acb), recipient
    return recipient, originator


def mac_key(
    cra: int, counter: int, originator: bytes, recipient: bytes, view: KeystoreView, acb: bytes
) -> bytes | None:
    """The MAC key, or None without the keys; the KDF always names the header originator and recipient."""
    a, b = mac_key_pair(cra, originator, recipient, view, acb)
    z = ka_shared_secret(view, a, b)
    if z is None:
        return None
    return derive_key(z, originator, cra, counter, recipient)


def encryption_parties(
    counter: int, recipient: bytes, other: OtherInformation
) -> tuple[bytes, int]:
    """(KDF recipient, KDF counter) for payload encryption: the SRP and supplementary counter when present."""
    target = other.supplementary_remote_party or recipient
    if other.supplementary_originator_counter is not None:
        counter = other.supplementary_originator_counter
    return target, counter


def encryption_key(
    counter: int, originator: bytes, recipient: bytes, other: OtherInformation, view: KeystoreView
) -> bytes | None:
    """The payload-encryption key of a response or alert (spec §2.5), or None without keys."""
    target, kdf_counter = encryption_parties(counter, recipient, other)
    z = ka_shared_secret(view, target, originator)
    if z is None:
        return None
    return derive_key(z, originator, USE_ENCRYPTION, kdf_counter, target)
