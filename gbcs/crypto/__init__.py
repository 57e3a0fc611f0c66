"""GBCS cryptography: ECDH, KDF, GMAC, payload encryption, ECDSA, key selection and UTRNs.

Pure functions over bytes and ``cryptography`` key objects; keys come in through a
:class:`KeystoreView` of lookup callables, so this package does no file I/O.
"""

from __future__ import annotations

from ..other_information import OtherInformation, parse_other_information
from .bulk import payload_encrypted_elements, verify_bytes, verify_many
from .ecdh import shared_secret
from .ecdsa import sign, verify
from .gcm import decrypt_element, encrypt_element, gmac
from .kdf import USE_ALERT, USE_COMMAND, USE_ENCRYPTION, USE_RESPONSE, derive_key, other_info
from .secure import (
    encrypt_elements,
    mac_for,
    rebuild_command_from_precommand,
    secure_message,
    sign_apdu,
    sign_precommand,
    utrn_for,
)
from .selection import encryption_key, mac_key, mac_key_pair
from .utrn import decode_utrn, generate_utrn, verhoeff_check_digit
from .verify import check_mac, check_signature, decrypt_elements, verify_message
from .view import KeystoreView, KeyUnavailable

__all__ = [
    "USE_ALERT", "USE_COMMAND", "USE_ENCRYPTION", "USE_RESPONSE",
    "KeyUnavailable", "KeystoreView", "OtherInformation",
    "check_mac", "check_signature", "decode_utrn", "decrypt_element", "decrypt_elements", "derive_key",
    "encrypt_element", "encrypt_elements", "encryption_key", "generate_utrn", "gmac", "mac_for", "mac_key",
    "mac_key_pair",
    "other_info", "parse_other_information", "payload_encrypted_elements", "rebuild_command_from_precommand",
    "secure_message", "shared_secret", "sign", "sign_apdu", "sign_precommand", "utrn_for", "verhoeff_check_digit",
    "verify", "verify_bytes", "verify_many", "verify_message",
]
