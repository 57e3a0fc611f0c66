"""Messages secured with a fresh ``keys init`` PKI verify, decrypt and rebuild (gbcs.crypto + smetsim.keys.pki)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gbcs import message
from gbcs.crypto import (
    KeystoreView,
    KeyUnavailable,
    decrypt_elements,
    payload_encrypted_elements,
    rebuild_command_from_precommand,
    secure_message,
    sign_precommand,
    utrn_for,
    verify_message,
)
from gbcs.framing import parse_frame
from gbcs.pointer import set_pointer
from smetsim.keys import Keystore
from smetsim.keys.pki import ACB_EUI, init_pki

SUPPLIER = bytes.fromhex("90B3D51F30010000")
SUPPLIER2 = bytes.fromhex("90B3D51F30030000")
ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
PPMID = bytes.fromhex("00DB1234567890A4")
RTDS_DEVICES = [bytes.fromhex(f"00DB1234567890A{i}") for i in range(7)]


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    init_pki(directory, devices=RTDS_DEVICES)
    return directory


@pytest.fixture(scope="module")
def fresh(pki_dir: Path) -> KeystoreView:
    store = Keystore.load(pki_dir)
    assert store.warnings == []
    return store.view()


def _secure(view: KeystoreView, **fields: Any) -> bytes:
    return secure_message(keystore_view=view, acb_eui=ACB_EUI, **fields)


def test_critical_command_signed_by_supplier_and_maced_by_acb(fresh: KeystoreView) -> None:
    raw = _secure(fresh, cra=1, counter=0x3E8, originator=SUPPLIER, recipient=ESME, other_information=b"\x00\x27",
                  content=b"\xd9\x20\x00\x03\xe8\x00\x01\x01", signature_form="present")
    frame = parse_frame(raw)
    result = verify_message(frame, [], fresh, ACB_EUI)
    assert (result["signature_valid"], result["mac_valid"]) == (True, True)
    # the meter's own view: its KA private key, the ACB's KA certificate, the supplier's DS certificate
    device_view = KeystoreView.from_keys(
        ds={SUPPLIER: fresh.ds_public(SUPPLIER)},  # type: ignore[dict-item]
        ka={ESME: fresh.ka_private(ESME), ACB_EUI: fresh.ka_public(ACB_EUI)},  # type: ignore[dict-item]
        devices={ESME},
    )
    assert verify_message(frame, [], device_view, ACB_EUI)["mac_valid"] is True
    assert verify_message(frame, [], device_view, ACB_EUI)["signature_valid"] is True


def test_response_with_encrypted_element_to_a_supplementary_party(fresh: KeystoreView) -> None:
    other = b"\x00\x34" + SUPPLIER2 + (0x44C).to_bytes(8, "big") + (0x7D0).to_bytes(8, "big")
    plaintext = bytes.fromhex("0203002200")

    def encode(wires: Mapping[str, bytes]) -> bytes:
        return b"\x01" + wires["/x"]

    raw = _secure(fresh, cra=2, counter=0x514, originator=ESME, recipient=ACB_EUI, other_information=other,
                  content=b"", plaintexts=[("/x", plaintext)], encode_content=encode)
    frame = parse_frame(raw)
    elements = [("/x", frame.content[1:])]
    result = verify_message(frame, elements, fresh, ACB_EUI)
    assert result["mac_valid"] is True and result["signature_valid"] is None
    assert result["decrypted"] == [{"path": "/payload/x", "plaintext": plaintext.hex().upper()}]
    # only the supplementary remote party can read it, not the ACB the response goes to
    acb_only = KeystoreView.from_keys(ka={ACB_EUI: fresh.ka_private(ACB_EUI), ESME: fresh.ka_public(ESME)})  # type: ignore[dict-item]
    assert decrypt_elements(frame, elements, acb_only) is None


def test_signed_alert_and_missing_keys(fresh: KeystoreView) -> None:
    raw = _secure(fresh, cra=3, counter=0x7D1, originator=ESME, recipient=SUPPLIER, other_information=b"\x00\x7f",
                  content=b"\x0f\x00\x00\x07\xd1\x00", signature_form="present", mac_header=False)
    assert raw[0] == 0xDF
    assert verify_message(parse_frame(raw), [], fresh, ACB_EUI)["signature_valid"] is True
    nobody = bytes.fromhex("70B3D51F300017FF")
    with pytest.raises(KeyUnavailable):
        _secure(fresh, cra=2, counter=1, originator=ESME, recipient=nobody, other_information=b"\x00\x01", content=b"")
    with pytest.raises(KeyUnavailable):
        _secure(fresh, cra=3, counter=1, originator=nobody, recipient=SUPPLIER, other_information=b"\x00\x01",
                content=b"", signature_form="present", mac_header=False)


def test_han_command_between_devices(fresh: KeystoreView) -> None:
    raw = _secure(fresh, cra=1, counter=0x10, originator=PPMID, recipient=GSME, other_information=b"\x00\x2a",
                  content=b"\x01\x09\x00")
    assert verify_message(parse_frame(raw), [], fresh, ACB_EUI)["mac_valid"] is True


def test_precommand_flow(fresh: KeystoreView) -> None:
    precommand = _secure(fresh, cra=1, counter=0x1000, originator=SUPPLIER, recipient=ESME,
                         other_information=b"\x00\x27", content=b"\xd9\x20\x00\x10\x00\x00\x01\x01",
                         signature_form="absent", mac_header=False)
    signed = sign_precommand(precommand, fresh)
    assert sign_precommand(precommand + b"\x00", fresh)[:-64] == signed[:-64]  # DUIS null form accepted
    command = rebuild_command_from_precommand(precommand, signed[-64:], fresh, ACB_EUI)
    result = verify_message(parse_frame(command), [], fresh, ACB_EUI)
    assert (result["signature_valid"], result["mac_valid"]) == (True, True)
    with pytest.raises(ValueError):
        rebuild_command_from_precommand(command, signed[-64:], fresh, ACB_EUI)


def test_utrn_supplier_and_meter_agree(pki_dir: Path, fresh: KeystoreView) -> None:
    token = utrn_for(fresh, SUPPLIER, ESME, 3 << 32, 2500, 0)
    meter = KeystoreView.from_keys(ka={ESME: fresh.ka_private(ESME)},  # type: ignore[dict-item]
                                   pp_ka={SUPPLIER: fresh.pp_ka_public(SUPPLIER)})  # type: ignore[dict-item]
    assert utrn_for(meter, SUPPLIER, ESME, 3 << 32, 2500, 0) == token
    with pytest.raises(KeyUnavailable):
        utrn_for(fresh, ESME, SUPPLIER, 3 << 32, 2500, 0)


def test_rtds_messages_re_secured_with_a_fresh_pki(rtds_messages: list[tuple[str, bytes]], corpus: Path,
                                                   fresh: KeystoreView) -> None:
    """Every RTDS message, re-signed, re-MAC'd and re-encrypted with fresh keys, verifies and decrypts."""
    rtds = Keystore.load(corpus / "rtds-keystore").view()
    done = 0
    for name, raw in rtds_messages:
        frame = parse_frame(raw)
        elements = payload_encrypted_elements(frame)
        plaintexts: list[tuple[str, bytes]] = []
        if elements:
            outcome = decrypt_elements(frame, elements, rtds)
            assert outcome is not None and not outcome[1], name
            plaintexts = outcome[0]
        payload_type = message.payload_type_of(frame.message_code, frame.content)
        tree = message.decode_payload(payload_type, frame)

        def encode(wires: Mapping[str, bytes], tree: Any = tree, payload_type: str = payload_type) -> bytes:
            edited = copy.deepcopy(tree)
            for pointer, wire in wires.items():
                set_pointer(edited, pointer, wire.hex().upper())
            return message.encode_payload(payload_type, edited)

        form = "absent" if frame.signature is None else ("present" if frame.signature else "null")
        try:
            rebuilt = _secure(fresh, cra=frame.cra, counter=frame.counter, originator=frame.originator,
                              recipient=frame.recipient, date_time=frame.date_time,
                              other_information=frame.other_information, content=frame.content,
                              signature_form=form, mac_header=frame.mac_header, plaintexts=plaintexts,
                              encode_content=encode)
        except KeyUnavailable:
            assert frame.recipient == bytes.fromhex("70B3D51F300017FF"), name  # no keys for that party anywhere
            continue
        new = parse_frame(rebuilt)
        new_elements = payload_encrypted_elements(new)
        result = verify_message(new, new_elements, fresh, ACB_EUI)
        assert result["signature_valid"] is (True if frame.signature else None), name
        assert result["mac_valid"] is (True if frame.mac_header else None), name
        assert [bytes.fromhex(d["plaintext"]) for d in result["decrypted"]] == [p for _, p in plaintexts], name
        if not plaintexts:
            assert new.content == frame.content
        done += 1
    assert done > 0
