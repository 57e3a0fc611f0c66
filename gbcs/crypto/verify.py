"""Checking a parsed message: signature, MAC and encrypted payload elements (spec §2.4-§2.7)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from ..framing import Frame, mac_aad
from ..other_information import parse_other_information
from . import ecdsa
from .gcm import decrypt_element, gmac
from .selection import encryption_key, mac_key
from .view import KeystoreView

_IC_ZERO = b"\x00\x00\x00\x00"


def check_signature(frame: Frame, view: KeystoreView) -> bool | None:
    """ECDSA over ``frame.signed_bytes`` with the originator's DS key; None without a signature or key."""
    signature = frame.signature
    if not signature:
        return None
    public = view.ds_public(frame.originator)
    if public is None:
        return None
    return ecdsa.verify(public, frame.signed_bytes, signature)


def check_mac(frame: Frame, view: KeystoreView, acb_eui: bytes) -> bool | None:
    """The MAC-header GMAC; None without a MAC header or without the keys (spec §2.4, §2.7)."""
    mac = frame.mac
    if mac is None:
        return None
    key = mac_key(frame.cra, frame.counter, frame.originator, frame.recipient, view, acb_eui)
    if key is None:
        return None
    ic = frame.invocation_counter
    iv = frame.originator + (ic.to_bytes(4, "big") if ic else _IC_ZERO)
    return hmac.compare_digest(gmac(key, iv, mac_aad(frame.apdu, frame.security_control)), mac)


def decrypt_elements(
    frame: Frame, elements: Sequence[tuple[str, bytes]], view: KeystoreView
) -> tuple[list[tuple[str, bytes]], list[str]] | None:
    """Decrypt payload elements: ([(pointer, plaintext)], [pointers that failed]); None without keys."""
    if not elements:
        return [], []
    other = parse_other_information(frame.other_information)
    key = encryption_key(frame.counter, frame.originator, frame.recipient, other, view)
    if key is None:
        return None
    done: list[tuple[str, bytes]] = []
    failed: list[str] = []
    for pointer, wire in elements:
        plain = decrypt_element(key, frame.originator, wire)
        if plain is None:
            failed.append(pointer)
        else:
            done.append((pointer, plain))
    return done, failed


def verify_message(
    frame: Frame,
    payload_encrypted_elements: Sequence[tuple[str, bytes]],
    keystore_view: KeystoreView,
    acb_eui: bytes,
    path_prefix: str = "/payload",
) -> dict[str, Any]:
    """Check everything the keys allow.

    Returns ``signature_valid`` and ``mac_valid`` (None: nothing to check or no key),
    ``decrypted`` (``[{"path", "plaintext"}]``, paths are ``path_prefix`` + the payload
    pointer), ``decryption_failed`` (paths whose tag did not match) and
    ``decryption_valid`` (None when there is nothing to decrypt or no key).
    """
    result: dict[str, Any] = {
        "signature_valid": check_signature(frame, keystore_view),
        "mac_valid": check_mac(frame, keystore_view, acb_eui),
        "decrypted": [],
        "decryption_failed": [],
        "decryption_valid": None,
    }
    if payload_encrypted_elements:
        outcome = decrypt_elements(frame, payload_encrypted_elements, keystore_view)
        if outcome is not None:
            done, failed = outcome
            result["decrypted"] = [{"path": path_prefix + p, "plaintext": plain.hex().upper()} for p, plain in done]
            result["decryption_failed"] = [path_prefix + p for p in failed]
            result["decryption_valid"] = not failed
    return result
