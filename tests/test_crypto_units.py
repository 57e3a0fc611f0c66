"""gbcs.crypto building blocks on synthetic data: KDF layout, GCM with 12-byte tags, ECDSA, Verhoeff."""

from __future__ import annotations

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from gbcs.crypto import ecdsa, gcm
from gbcs.crypto.ecdh import shared_secret
from gbcs.crypto.kdf import ALGORITHM_ID, derive_key, other_info
from gbcs.crypto.utrn import decode_utrn, ptut_high_word, utrn_from_key, verhoeff_check_digit
from gbcs.other_information import OtherInformation, parse_other_information

ORIG = bytes.fromhex("90B3D51F30010000")
RECIP = bytes.fromhex("00DB1234567890A0")


def test_other_info_layout() -> None:
    info = other_info(ORIG, 2, 0x0102030405060708, RECIP)
    assert len(info) == 33
    assert info[:7] == ALGORITHM_ID == bytes.fromhex("60857406080300")
    assert info[7:15] == ORIG and info[15] == 9 and info[16] == 2
    assert info[17:25] == bytes.fromhex("0102030405060708") and info[25:] == RECIP
    with pytest.raises(ValueError):
        other_info(ORIG[:7], 1, 0, RECIP)


def test_kdf_is_sha256_with_counter_prefix() -> None:
    import hashlib

    z = bytes(range(32))
    expected = hashlib.sha256(b"\x00\x00\x00\x01" + z + other_info(ORIG, 1, 5, RECIP)).digest()[:16]
    assert derive_key(z, ORIG, 1, 5, RECIP) == expected


@settings(max_examples=60, deadline=None)
@given(key=st.binary(min_size=16, max_size=16), plaintext=st.binary(max_size=300))
def test_element_round_trip_and_tamper(key: bytes, plaintext: bytes) -> None:
    wire = gcm.encrypt_element(key, ORIG, plaintext)
    assert wire[:5] == b"\x31\x00\x00\x00\x00" and len(wire) == 5 + len(plaintext) + 12
    assert gcm.decrypt_element(key, ORIG, wire) == plaintext
    for i in range(5, len(wire), max(1, len(wire) // 7)):
        bad = bytearray(wire)
        bad[i] ^= 0x01
        assert gcm.decrypt_element(key, ORIG, bytes(bad)) is None
    assert gcm.decrypt_element(key, RECIP, wire) is None


def test_gcm_decrypt_matches_full_gcm() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, iv, aad, pt = bytes(16), bytes(range(12)), b"aad", b"p" * 70
    full = AESGCM(key).encrypt(iv, pt, aad)
    assert gcm.encrypt(key, iv, pt, aad) == full[:-4]
    assert gcm.decrypt(key, iv, full[:-4], aad) == pt
    assert gcm.decrypt(key, iv, full[:5], aad) is None
    assert gcm.gmac(key, iv, aad) == AESGCM(key).encrypt(iv, b"", aad)[:12]


def test_ecdsa_raw_signatures() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    sig = ecdsa.sign(key, b"data")
    assert len(sig) == 64
    assert ecdsa.verify(key.public_key(), b"data", sig)
    assert not ecdsa.verify(key.public_key(), b"date", sig)
    assert not ecdsa.verify(key.public_key(), b"data", sig[:63])
    assert not ecdsa.verify(key.public_key(), b"data", bytes(64))
    assert ecdsa.der_to_raw(ecdsa.raw_to_der(sig)) == sig


def test_ecdh_cache_is_exact_and_thread_safe() -> None:
    a, b, c = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    expected = a.exchange(ec.ECDH(), b.public_key())
    assert shared_secret(a, b.public_key()) == expected == shared_secret(b, a.public_key())
    results: list[bytes] = []

    def work() -> None:
        for _ in range(50):
            results.append(shared_secret(a, c.public_key()))  # fresh public key objects every time

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {a.exchange(ec.ECDH(), c.public_key())}


def test_other_information_forms() -> None:
    srp = bytes.fromhex("90B3D51F30030000")
    assert parse_other_information(b"\x00\x34") == OtherInformation(0x34)
    assert parse_other_information(b"\x01\x23" + srp).supplementary_remote_party == srp
    full = parse_other_information(b"\x00\x34" + srp + (7).to_bytes(8, "big") + (9).to_bytes(8, "big"))
    assert (full.supplementary_remote_party_counter, full.supplementary_originator_counter) == (7, 9)
    cert = b"\x30\x03\x02\x01\x00"
    with_cert = parse_other_information(b"\x00\x34" + srp + (7).to_bytes(8, "big") + cert)
    assert with_cert.certificate == cert and with_cert.supplementary_originator_counter is None
    both = parse_other_information(b"\x00\x34" + srp + bytes(8) + (9).to_bytes(8, "big") + cert)
    assert both.certificate == cert and both.supplementary_originator_counter == 9
    with pytest.raises(ValueError):
        parse_other_information(b"\x00")


def test_verhoeff_detects_single_digit_errors_and_transpositions() -> None:
    base = "7394333345718904331"
    check = verhoeff_check_digit(base)
    for i in range(len(base)):
        for d in "0123456789":
            if d != base[i]:
                assert verhoeff_check_digit(base[:i] + d + base[i + 1 :]) != check
        if i + 1 < len(base) and base[i] != base[i + 1]:
            swapped = base[:i] + base[i + 1] + base[i] + base[i + 2 :]
            assert verhoeff_check_digit(swapped) != check


def test_utrn_fields_round_trip() -> None:
    token = utrn_from_key(bytes(16), ORIG, RECIP, 5 << 32, 1234, 0)
    assert len(token) == 20 and token.isdigit()
    assert decode_utrn(token)[:3] == (5, 0, 1234)
    bad = token[:-1] + str((int(token[-1]) + 1) % 10)
    with pytest.raises(ValueError):
        decode_utrn(bad)
    with pytest.raises(ValueError):
        ptut_high_word(0, 8192, 0)


def test_view_overlay_for_an_unknown_remote_party() -> None:
    from gbcs.crypto import KeystoreView

    known, urp = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    view = KeystoreView.from_keys(ka={ORIG: known})
    extended = view.with_ka_public(RECIP, urp.public_key())
    assert extended.ka_public(RECIP) is not None and view.ka_public(RECIP) is None
    assert extended.ka_private(ORIG) is known and extended.ka_public(ORIG) is view.ka_public(ORIG)
