"""Known answers: NIST GCM, GBCS 18.4 vectors, the worked examples of gbcs spec §2.3, §2.5 and §2.9.

Vector values are read from the corpus (gbcs-kat.json, the RTDS key store); the only
constants written here are the ones the spec text itself states.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gbcs.crypto import (
    KeystoreView,
    check_mac,
    check_signature,
    encryption_key,
    gcm,
    generate_utrn,
    mac_key,
    parse_other_information,
    payload_encrypted_elements,
    utrn_for,
    verify_message,
)
from gbcs.framing import parse_frame
from smetsim.keys import Keystore

ACB = bytes.fromhex("90B3D51F30000002")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
ESME = bytes.fromhex("00DB1234567890A0")


@pytest.fixture(scope="module")
def kat(corpus: Path) -> dict[str, Any]:
    path = corpus / "gbcs-kat.json"
    if not path.is_file():
        pytest.skip("gbcs-kat.json not in the corpus")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def rtds_view(corpus: Path) -> KeystoreView:
    directory = corpus / "rtds-keystore"
    if not directory.is_dir():
        pytest.skip("RTDS key store not in the corpus")
    return Keystore.load(directory).view()


def _private(hex_scalar: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(hex_scalar, 16), ec.SECP256R1())


def _public(hex_xy: str) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + bytes.fromhex(hex_xy))


def test_nist_gcm_vector(kat: dict[str, Any]) -> None:
    v = {k: bytes.fromhex(x) for k, x in kat["nist_gcm_example"].items()}
    sealed = gcm.encrypt(v["key"], v["iv"], v["plaintext"], v["aad"])
    assert sealed == v["ciphertext"] + v["tag_truncated_12"]
    assert gcm.decrypt(v["key"], v["iv"], sealed, v["aad"]) == v["plaintext"]
    tampered = sealed[:-1] + bytes((sealed[-1] ^ 1,))
    assert gcm.decrypt(v["key"], v["iv"], tampered, v["aad"]) is None


def test_gbcs_18_4_critical_command(kat: dict[str, Any]) -> None:
    g = kat["gbcs_18_4"]
    supplier = bytes.fromhex(g["supplier_a"]["eui"])
    device = bytes.fromhex(g["device_a"]["eui"])
    acb = bytes.fromhex("ABABABABABABABAB")  # any EUI: the ACB's identity is not part of the KDF
    view = KeystoreView.from_keys(
        ds={supplier: _public(g["supplier_a"]["ds_public"]), device: _public(g["device_a"]["ds_public"])},
        ka={acb: _private(g["access_control_broker"]["ka_private"]), device: _public(g["device_a"]["ka_public"])},
    )
    frame = parse_frame(bytes.fromhex(g["ecs04b_critical_command"]["message"]))
    assert frame.originator == supplier and frame.recipient == device
    assert check_signature(frame, view) is True
    assert check_mac(frame, view, acb) is True
    # the same check with the device-side view: no ACB private key, so nothing to say
    assert check_mac(frame, KeystoreView.from_keys(ka={device: _public(g["device_a"]["ka_public"])}), acb) is None


@pytest.mark.parametrize(
    ("cra", "counter", "originator", "recipient", "expected"),
    [
        (1, 1 << 32, SUPPLIER, ESME, "6A93E360717394015DF93E031218C9A6"),
        (2, 1 << 32, ESME, SUPPLIER, "03FD30815577C49EB7E3834B63EF8302"),
        (3, 0x7D1, ESME, SUPPLIER, "558FB1FA6660AF0D9E8365C47804B8FA"),
    ],
)
def test_spec_2_3_mac_keys(rtds_view: KeystoreView, cra: int, counter: int, originator: bytes, recipient: bytes,
                           expected: str) -> None:
    assert mac_key(cra, counter, originator, recipient, rtds_view, ACB) == bytes.fromhex(expected)


@pytest.mark.parametrize(
    ("name", "expected_key", "expected_plaintext"),
    [
        ("4.1.1_GCS13a/GCS13a_4.1.1_SUCCESS_RELIABLE_GSME_RESPONSE_GBCS.HEX", "2b11caa7c88c7b480a8485a750d89420",
         "0203 0022 e80300 0103 0022 010000 0003 0030 01 0000 0025 393000000000"),
        ("4.1.1_ECS17b/ECS17b_4.1.1_SINGLE_SUCCESS_RESPONSE_GBCS.HEX", "12cb821c471ec2144c68e12a5657f9fd", None),
    ],
)
def test_spec_2_5_encryption_keys(corpus: Path, rtds_view: KeystoreView, name: str, expected_key: str,
                                  expected_plaintext: str | None) -> None:
    path = corpus / "rtds" / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the shipped corpus")
    frame = parse_frame(bytes.fromhex(path.read_text().strip()))
    other = parse_other_information(frame.other_information)
    key = encryption_key(frame.counter, frame.originator, frame.recipient, other, rtds_view)
    assert key == bytes.fromhex(expected_key)
    result = verify_message(frame, payload_encrypted_elements(frame), rtds_view, ACB)
    assert result["decryption_valid"] is True and len(result["decrypted"]) == 1
    if expected_plaintext:
        assert result["decrypted"][0]["plaintext"] == expected_plaintext.replace(" ", "").upper()


@pytest.mark.parametrize(
    ("counter", "value", "value_class", "expected"),
    [(1 << 32, 100, 1, "73943333457189043313"), (4 << 32, 1234, 0, "73947252416745201637")],
)
def test_spec_2_9_utrn_vectors(rtds_view: KeystoreView, counter: int, value: int, value_class: int,
                               expected: str) -> None:
    assert utrn_for(rtds_view, SUPPLIER, ESME, counter, value, value_class) == expected
    pp, device = rtds_view.pp_ka_private(SUPPLIER), rtds_view.ka_public(ESME)
    assert pp is not None and device is not None
    assert generate_utrn(pp, device, SUPPLIER, ESME, counter, value, value_class) == expected
    # the normal supplier KA key is a different key and gives a different token
    ka = rtds_view.ka_private(SUPPLIER)
    assert ka is not None and generate_utrn(ka, device, SUPPLIER, ESME, counter, value, value_class) != expected
