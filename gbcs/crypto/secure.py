"""Producing protected messages: signing, MACs, payload encryption and the pre-command flow (spec §1.7)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..ber import encode_length
from ..framing import (
    EMPTY_GENERAL_CIPHERING_FIELDS,
    GENERAL_SIGNING_TAG,
    build_apdu,
    build_mac_header_message,
    mac_aad,
    parse_frame,
)
from ..other_information import parse_other_information
from . import ecdsa
from .ecdh import shared_secret
from .gcm import encrypt_element, gmac
from .kdf import USE_COMMAND, derive_key
from .selection import encryption_key, mac_key
from .utrn import utrn_from_key
from .view import KeystoreView, KeyUnavailable

SIGNATURE_FORMS = ("present", "null", "absent")


def encrypt_elements(
    *,
    counter: int,
    originator: bytes,
    recipient: bytes,
    other_information: bytes,
    plaintexts: Sequence[tuple[str, bytes]],
    keystore_view: KeystoreView,
) -> list[tuple[str, bytes]]:
    """Encrypt payload elements as the originating device does: [(pointer, wire bytes)]."""
    if not plaintexts:
        return []
    other = parse_other_information(other_information)
    key = encryption_key(counter, originator, recipient, other, keystore_view)
    if key is None:
        raise KeyUnavailable(f"no KA key pair to encrypt from {originator.hex().upper()}")
    return [(pointer, encrypt_element(key, originator, plain)) for pointer, plain in plaintexts]


def sign_apdu(unsigned_apdu: bytes, originator: bytes, keystore_view: KeystoreView) -> bytes:
    """r‖s over an unsigned general-signing APDU (``DF`` .. end of content), with the originator's DS key."""
    private = keystore_view.ds_private(originator)
    if private is None:
        raise KeyUnavailable(f"no DS private key for {originator.hex().upper()}")
    return ecdsa.sign(private, unsigned_apdu[1:])


def mac_for(apdu: bytes, cra: int, counter: int, originator: bytes, recipient: bytes,
            keystore_view: KeystoreView, acb_eui: bytes) -> bytes:
    """The 12-byte MAC of a complete general-signing APDU (SC 0x11, IC 0)."""
    key = mac_key(cra, counter, originator, recipient, keystore_view, acb_eui)
    if key is None:
        raise KeyUnavailable(f"no KA key pair to MAC {originator.hex().upper()} -> {recipient.hex().upper()}")
    return gmac(key, originator + b"\x00\x00\x00\x00", mac_aad(apdu))


def secure_message(
    *,
    cra: int,
    counter: int,
    originator: bytes,
    recipient: bytes,
    other_information: bytes,
    content: bytes,
    keystore_view: KeystoreView,
    acb_eui: bytes,
    date_time: bytes = b"",
    signature_form: str = "null",
    mac_header: bool = True,
    signature: bytes | None = None,
    plaintexts: Sequence[tuple[str, bytes]] = (),
    encode_content: Callable[[Mapping[str, bytes]], bytes] | None = None,
) -> bytes:
    """Build a whole protected message.

    With ``plaintexts`` ([(payload pointer, plaintext)]), the elements are encrypted and
    ``encode_content`` receives {pointer: wire bytes} and returns the new content.
    ``signature_form`` "present" signs as the originator unless ``signature`` is given;
    ``mac_header`` wraps the APDU and MACs it with the key pair of spec §2.7.
    Raises :class:`KeyUnavailable` when a needed key is missing.
    """
    if signature_form not in SIGNATURE_FORMS:
        raise ValueError(f"signature_form must be one of {SIGNATURE_FORMS}")
    if plaintexts:
        if encode_content is None:
            raise ValueError("plaintexts need encode_content to place the ciphertexts")
        wires = encrypt_elements(counter=counter, originator=originator, recipient=recipient,
                                 other_information=other_information, plaintexts=plaintexts,
                                 keystore_view=keystore_view)
        content = encode_content(dict(wires))
    apdu = _unsigned_apdu(cra, counter, originator, recipient, date_time, other_information, content)
    if signature_form == "present":
        if signature is None:
            signature = sign_apdu(apdu, originator, keystore_view)
        if len(signature) != ecdsa.SIGNATURE_LENGTH:
            raise ValueError("a signature is 64 bytes (r‖s)")
        apdu += b"\x40" + signature
    elif signature_form == "null":
        apdu += b"\x00"
    if not mac_header:
        return apdu
    mac = mac_for(apdu, cra, counter, originator, recipient, keystore_view, acb_eui)
    return _mac_header_message(apdu, mac)


_GENERAL_SIGNING_TAG = bytes((GENERAL_SIGNING_TAG,))
_SHORT = tuple(bytes((n,)) for n in range(0x80))


def _unsigned_apdu(cra: int, counter: int, originator: bytes, recipient: bytes, date_time: bytes,
                   other_information: bytes, content: bytes) -> bytes:
    """:func:`gbcs.framing.build_apdu` without a signature element, joined directly (the hot path).

    The same bytes: each field is a BER length and its octets (lengths are not checked when building).
    """
    if not (type(originator) is bytes and type(recipient) is bytes and type(date_time) is bytes
            and type(other_information) is bytes and type(content) is bytes):
        return build_apdu(cra, counter, originator, recipient, date_time, other_information, content, None)
    return b"".join((
        _GENERAL_SIGNING_TAG, b"\x09", bytes((cra,)), counter.to_bytes(8, "big"),
        _SHORT[len(originator)] if len(originator) < 0x80 else encode_length(len(originator)), originator,
        _SHORT[len(recipient)] if len(recipient) < 0x80 else encode_length(len(recipient)), recipient,
        _SHORT[len(date_time)] if len(date_time) < 0x80 else encode_length(len(date_time)), date_time,
        encode_length(len(other_information)), other_information,
        encode_length(len(content)), content,
    ))


def _mac_header_message(apdu: bytes, mac: bytes) -> bytes:
    """:func:`gbcs.framing.build_mac_header_message` with SC 0x11 and IC 0, joined directly."""
    ciphered_length = 5 + len(apdu) + len(mac)
    return b"".join((EMPTY_GENERAL_CIPHERING_FIELDS, encode_length(ciphered_length), b"\x11\x00\x00\x00\x00",
                     apdu, mac))


def _unsigned_precommand(precommand_bytes: bytes) -> tuple[bytes, int, int, bytes, bytes]:
    if not precommand_bytes or precommand_bytes[0] != GENERAL_SIGNING_TAG:
        raise ValueError("a pre-command is a bare general-signing APDU (starts DF)")
    frame = parse_frame(precommand_bytes)
    if frame.signature:
        raise ValueError("the pre-command is already signed")
    unsigned = frame.apdu if frame.signature is None else frame.apdu[:-1]  # drop a null signature byte
    return unsigned, frame.cra, frame.counter, frame.originator, frame.recipient


def sign_precommand(precommand_bytes: bytes, keystore_view: KeystoreView) -> bytes:
    """The signed pre-command: the pre-command (less a trailing null signature) ‖ 40 ‖ r‖s."""
    unsigned, _, _, originator, _ = _unsigned_precommand(precommand_bytes)
    return unsigned + b"\x40" + sign_apdu(unsigned, originator, keystore_view)


def rebuild_command_from_precommand(
    precommand_bytes: bytes, signature: bytes, keystore_view: KeystoreView, acb_eui: bytes
) -> bytes:
    """What the ACB sends: MAC header ‖ pre-command ‖ 40 ‖ signature ‖ ACB MAC (spec §1.7)."""
    if len(signature) != ecdsa.SIGNATURE_LENGTH:
        raise ValueError("a signature is 64 bytes (r‖s)")
    unsigned, cra, counter, originator, recipient = _unsigned_precommand(precommand_bytes)
    apdu = unsigned + b"\x40" + signature
    mac = mac_for(apdu, cra, counter, originator, recipient, keystore_view, acb_eui)
    return build_mac_header_message(apdu, mac)


def utrn_for(
    keystore_view: KeystoreView, supplier: bytes, device: bytes, counter: int, value: int, value_class: int
) -> str:
    """The UTRN of a top-up (spec §2.9): supplier prepayment KA ↔ device KA, from either side's private key."""
    z = None
    private = keystore_view.pp_ka_private(supplier)
    public = keystore_view.ka_public(device)
    if private is not None and public is not None:
        z = shared_secret(private, public)
    else:
        private = keystore_view.ka_private(device)
        public = keystore_view.pp_ka_public(supplier)
        if private is not None and public is not None:
            z = shared_secret(private, public)
    if z is None:
        raise KeyUnavailable("a UTRN needs the supplier's prepayment KA key and the device's KA key (one private)")
    key = derive_key(z, supplier, USE_COMMAND, counter, device)
    return utrn_from_key(key, supplier, device, counter, value, value_class)
