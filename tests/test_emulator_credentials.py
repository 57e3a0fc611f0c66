"""Trust-anchor use cases on emulated devices: CS02a/f reads, CS02b/g replacement, CS02c/d/e, CS06, conformance.

The replacement tests would fail without the replacement: after CS02b the old party's
commands are refused and the new party's verify.  The conformance test replays the ASN.1
folders of the RTDS corpus and keeps the result from regressing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.clock import VirtualClock
from emulator.conformance import verify_output
from emulator.device import Device
from emulator.faults import HardwareFault
from emulator.kinds import create_device
from emulator.profiles import generic_profile
from emulator.replay import replay
from emulator.testkit import RemoteParties, access_request
from gbcs.asn1 import ASN1_MESSAGE_CODES, encode_asn1
from gbcs.crypto import KeystoreView, secure_message
from gbcs.framing import parse_frame
from gbcs.message import decode_message
from smetsim.keys.pki import Party, init_pki

EUI = bytes.fromhex("00DB1234567890F1")
NEW_SUPPLIER = bytes.fromhex("90B3D51F3F01AAAA")
DS_BITS, KA_BITS = {"hex": "80", "bits": 1}, {"hex": "08", "bits": 5}
START = "2020-01-01T00:00:00Z"
# conformance of the RTDS ASN.1 commands' responses reached today (visible corpus): raise, never lower
MIN_ASN1_CONFORMING = 46
MIN_ASN1_ALERTS = 5


class NewParty:
    """A remote party with certificates from a test PKI (not yet known to any device)."""

    def __init__(self, directory: Path, eui: bytes, role: int) -> None:
        init_pki(directory, parties=[Party(eui, role, "NEW")], overwrite=True)
        self.eui = eui
        self.cert: dict[str, bytes] = {}
        self.key: dict[str, ec.EllipticCurvePrivateKey] = {}
        for usage in ("ds", "ka"):
            stem = directory / f"{eui.hex()}-{usage}"
            self.cert[usage] = x509.load_pem_x509_certificate(stem.with_suffix(".pem").read_bytes()).public_bytes(
                serialization.Encoding.DER)
            key = serialization.load_pem_private_key(stem.with_suffix(".key").read_bytes(), None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            self.key[usage] = key


@pytest.fixture(scope="module")
def new_supplier(tmp_path_factory: pytest.TempPathFactory) -> NewParty:
    return NewParty(tmp_path_factory.mktemp("pki"), NEW_SUPPLIER, 2)


@pytest.fixture()
def parties() -> RemoteParties:
    return RemoteParties()


def _device(parties: RemoteParties, kind: str = "ESME") -> Device:
    return create_device(kind, EUI, VirtualClock(START), parties.anchors)


def _cell(role: int, bits: dict[str, Any]) -> dict[str, Any]:
    return {"remotePartyRole": role, "keyUsage": bits}


def _update(mode: int, seq: int, party: NewParty, *, role: int = 2, authorising_role: int = 2,
            when: str | None = None) -> bytes:
    value: dict[str, Any] = {
        "authorisingRemotePartyControl": {
            "credentialsReplacementMode": mode,
            "authorisingRemotePartyTACellIdentifier": _cell(authorising_role, DS_BITS),
            "authorisingRemotePartySeqNumber": seq, "newRemotePartyFloorSeqNumber": 0},
        "replacements": [
            {"replacementCertificate": party.cert["ds"].hex(), "targetTrustAnchorCell": _cell(role, DS_BITS)},
            {"replacementCertificate": party.cert["ka"].hex(), "targetTrustAnchorCell": _cell(role, KA_BITS)}],
        "certificationPathCertificates": [],
    }
    if when is not None:
        value["executionDateTime"] = when
    return encode_asn1({"asn1_type": "UpdateSecurityCredentialsCommand", "value": value})


def _activate(counter: int, when: str | None = None) -> bytes:
    value: dict[str, Any] = {"manufacturerImageHash": "00" * 32, "originatorCounter": counter}
    if when is not None:
        value["executionDateTime"] = when
    return encode_asn1({"asn1_type": "ActivateFirmwareCommand", "value": value})


def _from_new(device: Device, parties: RemoteParties, party: NewParty, code: int, content: bytes,
              counter: int) -> bytes:
    """A signed command from the new party (MAC'd by the ACB, as the DCC delivers it)."""
    keys = device.security.keys
    view = KeystoreView.from_keys(
        ds={party.eui: party.key["ds"], device.eui: keys.ds.public_key()},
        ka={**{parties.eui[r]: k for r, k in parties.ka.items()}, device.eui: keys.ka.public_key()},
        devices={device.eui})
    return secure_message(cra=1, counter=counter, originator=party.eui, recipient=device.eui,
                          other_information=code.to_bytes(2, "big"), content=content, keystore_view=view,
                          acb_eui=parties.acb, signature_form="present", mac_header=True)


def _payload(message: bytes) -> dict[str, Any]:
    tree = decode_message(message)
    assert tree["ok"], tree.get("error")
    return tree["payload"]


def _accepted(device: Device, raw: bytes) -> bytes | None:
    """The response, asserting that a missing one means the command was refused (security log)."""
    before = len(device.security_log)
    out = device.handle(raw)
    assert (out.response is None) == (len(device.security_log) > before)
    return out.response


def test_supplier_replacement_moves_trust_to_the_new_supplier(parties: RemoteParties, new_supplier: NewParty) -> None:
    device = _device(parties)
    old = parties.eui[2]
    response = _accepted(device, parties.command(device, 0x0102, _update(2, 1, new_supplier), 10, signed=True))
    assert response is not None and parties.check(device, response)["signature_valid"] is True
    outcome = _payload(response)["value"]["executionOutcome"]
    assert [o["status"]["value"] for o in outcome["replacementOutcomes"]] == [0, 0]
    assert outcome["replacementOutcomes"][0]["existingSubjectUniqueID"] == old.hex().upper()
    assert outcome["replacementOutcomes"][0]["replacingSubjectUniqueID"] == NEW_SUPPLIER.hex().upper()
    assert device.security.anchors.supplier == NEW_SUPPLIER
    # the old supplier is refused, the new one accepted
    assert _accepted(device, parties.command(device, 0x0012, _activate(1), 11, signed=True)) is None
    response = _accepted(device, _from_new(device, parties, new_supplier, 0x0012, _activate(2), 12))
    assert response is not None
    assert _payload(response)["value"]["value"]["responseCode"]["value"] == 0
    # the replacement is per device: another device on the same anchors still trusts the old supplier
    assert _device(parties).security.anchors.supplier == old


def test_replacement_authorisation(parties: RemoteParties, new_supplier: NewParty) -> None:
    device = _device(parties)
    # mode of the payload differs from the message code
    assert _accepted(device, parties.command(device, 0x0102, _update(3, 1, new_supplier), 10, signed=True)) is None
    # sequence number not above the supplier's current one
    assert _accepted(device, parties.command(device, 0x0102, _update(2, 5, new_supplier), 11, signed=True))
    assert _accepted(device, parties.command(device, 0x0102, _update(2, 5, new_supplier), 12, signed=True)) is None
    # a mode may only replace its own roles' cells: supplierByTransCoS from the transitional CoS party
    device = _device(parties)
    response = _accepted(device, parties.command(device, 0x0107, _update(7, 1, new_supplier, authorising_role=5),
                                                 10, role=5, signed=True))
    assert response is not None and device.security.anchors.supplier == NEW_SUPPLIER
    device = _device(parties)
    response = _accepted(device, parties.command(device, 0x0107, _update(7, 2, new_supplier, role=3,
                                                                         authorising_role=5), 10, role=5, signed=True))
    statuses = [o["status"]["value"] for o in _payload(response)["value"]["executionOutcome"]["replacementOutcomes"]]
    assert statuses == [10, 10] and device.security.anchors.by_role[3].eui == parties.eui[3]


def test_future_dated_replacement_alerts_and_can_be_cancelled(parties: RemoteParties, new_supplier: NewParty) -> None:
    device = _device(parties)
    response = _accepted(device, parties.command(device, 0x0102, _update(2, 1, new_supplier, when="20200102000000Z"),
                                                 10, signed=True))
    assert _payload(response)["value"] == {"commandAccepted": None}
    assert device.security.anchors.supplier == parties.eui[2]  # not yet
    device.clock.run_until_idle()
    assert device.security.anchors.supplier == NEW_SUPPLIER
    [alert] = device.outbox
    frame = parse_frame(alert)
    assert frame.cra == 3 and frame.message_code == 0x00CB and frame.recipient == parties.eui[2]
    assert parties.check(device, alert)["signature_valid"] is True
    value = _payload(alert)["value"]
    assert value["alertCode"]["value"] == 0x8F66 and value["executionDateTime"] == "20200102000000Z"
    assert value["executionOutcome"]["replacementOutcomes"][1]["status"]["value"] == 0
    # stored then cancelled: nothing happens
    device = _device(parties)
    _accepted(device, parties.command(device, 0x0102, _update(2, 1, new_supplier, when="20200102000000Z"), 10,
                                      signed=True))
    _accepted(device, parties.command(device, 0x0102, _update(2, 2, new_supplier, when="99991231235959Z"), 11,
                                      signed=True))
    device.clock.run_until_idle()
    assert device.outbox == [] and device.security.anchors.supplier == parties.eui[2]


def test_future_dated_firmware_activation_alerts(parties: RemoteParties) -> None:
    device = _device(parties)
    response = _accepted(device, parties.command(device, 0x0012, _activate(7, "20200101120000Z"), 10, signed=True))
    assert _payload(response)["value"] == {"choice": "commandAccepted", "value": None}
    assert device.outbox == []
    device.clock.run_until_idle()
    [alert] = device.outbox
    assert parse_frame(alert).message_code == 0x00CA and parties.check(device, alert)["signature_valid"] is True
    value = _payload(alert)["value"]
    assert value["alertCode"]["value"] == 0x8F66 and value["originatorCounter"] == 7
    assert value["activationOutcome"]["responseCode"]["value"] == 0


def test_credential_details_report_cells_and_sequence_numbers(parties: RemoteParties,
                                                              new_supplier: NewParty) -> None:
    device = _device(parties)
    _accepted(device, parties.command(device, 0x0102, _update(2, 42, new_supplier), 10, signed=True))
    request = encode_asn1({"asn1_type": "ProvideSecurityCredentialDetailsCommand", "value": {
        "authorisingRemotePartyTACellIdentifier": _cell(4, KA_BITS), "remotePartyRoles": [2, 4, 5]}})
    response = _accepted(device, parties.command(device, 0x0008, request, 11, role=4))
    assert parties.check(device, response)["mac_valid"] is True
    supplier, acb, cos = _payload(response)["value"]
    assert supplier["status"]["value"] == 0 and supplier["currentSeqNumber"] == 0  # the new floor
    assert [c["subjectUniqueID"] for c in supplier["trustAnchorCellContents"]] == [NEW_SUPPLIER.hex().upper()] * 2
    assert len(acb["trustAnchorCellContents"]) == 2
    assert cos["status"]["value"] == 127 and "trustAnchorCellContents" not in cos
    # a ZigBee device holds the ACB's KA cell only
    gsme = _device(parties, "GSME")
    response = _accepted(gsme, parties.command(gsme, 0x0008, request, 11, role=4))
    assert len(_payload(response)["value"][1]["trustAnchorCellContents"]) == 1


def _device_certificate(public_key: ec.EllipticCurvePublicKey, csr: x509.CertificateSigningRequest) -> bytes:
    """A device certificate for ``public_key`` with the extensions the request asks for (any issuer will do)."""
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(x509.Name([]))
               .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "E357")]))
               .public_key(public_key).serial_number(1)
               .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
               .not_valid_after(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)))
    for extension in csr.extensions:
        builder = builder.add_extension(extension.value, critical=extension.critical)
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_device_key_reissue_and_certificate_update(parties: RemoteParties) -> None:
    device = _device(parties)
    old_ds = device.security.keys.ds
    request = encode_asn1({"asn1_type": "IssueSecurityCredentialsCommand", "value": {"keyUsage": DS_BITS}})
    response = _accepted(device, parties.command(device, 0x000A, request, 10, signed=True))
    assert _payload(response)["value"]["choice"] == "certificationRequest"
    csr = x509.load_der_x509_csr(parse_frame(response).content)
    assert csr.is_signature_valid and device.security.keys.ds is old_ds  # not switched before CS02d
    new_public = csr.public_key()
    assert isinstance(new_public, ec.EllipticCurvePublicKey)
    # a certificate for a key the device does not hold is refused
    foreign = _device_certificate(ec.generate_private_key(ec.SECP256R1()).public_key(), csr)
    update = encode_asn1({"asn1_type": "UpdateDeviceCertificateCommand", "value": foreign.hex()})
    response = _accepted(device, parties.command(device, 0x000B, update, 11, signed=True))
    assert _payload(response)["value"]["value"] == 2 and device.security.keys.ds is old_ds
    cert = _device_certificate(new_public, csr)
    update = encode_asn1({"asn1_type": "UpdateDeviceCertificateCommand", "value": cert.hex()})
    response = _accepted(device, parties.command(device, 0x000B, update, 12, signed=True))
    assert _payload(response)["value"]["value"] == 0
    assert device.security.keys.ds_certificate == cert
    assert device.security.keys.ds.public_key().public_numbers() == new_public.public_numbers()
    # CS02e returns it, and responses are signed with the new key
    provide = encode_asn1({"asn1_type": "ProvideDeviceCertificateCommand", "value": {"keyUsage": DS_BITS}})
    response = _accepted(device, parties.command(device, 0x000C, provide, 13, signed=True))
    assert parse_frame(response).content == cert
    assert parties.check(device, response)["signature_valid"] is True


def test_asn1_replay_conformance(corpus: Path, tmp_path: Path) -> None:
    """Replay the RTDS folders whose commands are ASN.1 and check the responses and alerts."""
    rtds = corpus / "rtds"
    selected = tmp_path / "corpus"
    for folder in sorted(p for p in rtds.iterdir() if p.is_dir()):
        commands = sorted(folder.glob("*_COMMAND_GBCS.HEX"))
        if commands and parse_frame(bytes.fromhex(commands[0].read_text().strip())).message_code in ASN1_MESSAGE_CODES:
            shutil.copytree(folder, selected / folder.name)
    out = tmp_path / "out"
    summary = replay(selected, corpus / "rtds-keystore", corpus / "rtds-premises.toml", out)
    assert summary["errors"] == []
    report = verify_output(out, corpus / "rtds-keystore", selected)
    assert report["failed"] == {}
    conformance = report["conformance"]
    print(f"\nASN.1 replay: {summary['commands']} commands; conformance {conformance['conforming']}/"
          f"{conformance['responses']} responses, alerts matched {conformance['matched_alerts']}/"
          f"{conformance['reference_alerts']}")
    assert conformance["conforming"] >= MIN_ASN1_CONFORMING
    assert conformance["matched_alerts"] >= MIN_ASN1_ALERTS


def test_load_controller_cell_is_filled_by_the_supplier(tmp_path: Path) -> None:
    parties = RemoteParties(roles=(1, 2, 3, 4, 5, 6))  # no load controller yet
    controller = NewParty(tmp_path, bytes.fromhex("90B3D51F3F01BBBB"), 8)
    device = _device(parties)
    assert 8 not in device.security.anchors.by_role
    response = _accepted(device, parties.command(device, 0x0126, _update(11, 1, controller, role=8), 10, signed=True))
    outcome = _payload(response)["value"]["executionOutcome"]
    assert [o["status"]["value"] for o in outcome["replacementOutcomes"]] == [0, 0]
    assert device.security.anchors.by_role[8].eui == controller.eui
    # loadControllerByLoadController: refused from the supplier, accepted from the new load controller
    again = _update(10, 2, controller, role=8, authorising_role=8)
    assert _accepted(device, parties.command(device, 0x0125, again, 11, signed=True)) is None
    response = _accepted(device, _from_new(device, parties, controller, 0x0125, again, 12))
    assert response is not None and parties.check(device, response)["signature_valid"] is True


# mode -> (authorising role, a role whose cells it replaces, a role it may not replace)
MODE_CASES = {0: (2, 0, 2), 1: (6, 0, 6), 2: (2, 2, 3), 3: (3, 3, 2), 4: (4, 4, 2), 5: (6, 6, 2), 6: (5, 5, 2),
              7: (5, 2, 5), 8: (1, 3, 0)}


@pytest.mark.parametrize("mode", sorted(MODE_CASES))
def test_each_replacement_mode_replaces_only_its_roles(mode: int, parties: RemoteParties, tmp_path: Path) -> None:
    authorising, target, other = MODE_CASES[mode]
    code, signed = 0x0100 + mode, mode != 4  # accessControlBrokerByACB is MAC'd only
    party = NewParty(tmp_path, bytes.fromhex("90B3D51F3F0C0000")[:7] + bytes((mode,)), target)
    device = _device(parties)
    update = _update(mode, 1, party, role=target, authorising_role=authorising)
    response = _accepted(device, parties.command(device, code, update, 10, role=authorising, signed=signed))
    assert response is not None and parties.check(device, response)["signature_valid"] is True  # always signed
    statuses = [o["status"]["value"] for o in _payload(response)["value"]["executionOutcome"]["replacementOutcomes"]]
    assert statuses == [0, 0] and device.security.anchors.by_role[target].eui == party.eui
    device = _device(parties)  # the first update may have replaced the authorising party itself
    refused = _update(mode, 2, party, role=other, authorising_role=authorising)
    response = _accepted(device, parties.command(device, code, refused, 11, role=authorising, signed=signed))
    statuses = [o["status"]["value"] for o in _payload(response)["value"]["executionOutcome"]["replacementOutcomes"]]
    assert statuses == [10, 10]
    if authorising != 4:  # any other originator is refused (the catalogue lets the ACB relay some modes)
        wrong = 3 if authorising != 3 else 2
        if wrong in parties.eui:
            assert _accepted(device, parties.command(device, code, _update(mode, 3, party, role=target,
                                                                           authorising_role=authorising),
                                                     12, role=wrong, signed=True)) is None


def test_future_dated_replacement_that_fails_alerts_8f67(parties: RemoteParties, new_supplier: NewParty) -> None:
    device = _device(parties)
    _accepted(device, parties.command(device, 0x0102, _update(2, 1, new_supplier, role=3, when="20200102000000Z"),
                                      10, signed=True))
    device.clock.run_until_idle()
    [alert] = device.outbox
    assert _payload(alert)["value"]["alertCode"]["value"] == 0x8F67
    assert device.security.anchors.by_role[3].eui == parties.eui[3]


def test_firmware_activation_checks_the_image_hash(parties: RemoteParties) -> None:
    profile = dataclasses.replace(generic_profile("ESME"), image_hash=bytes(range(32)), firmware_version="2.0.0")
    device = create_device(profile, EUI, VirtualClock(START), parties.anchors)
    wrong = _accepted(device, parties.command(device, 0x0012, _activate(1), 10, signed=True))
    assert _payload(wrong)["value"]["value"]["responseCode"]["value"] == 1
    right = encode_asn1({"asn1_type": "ActivateFirmwareCommand",
                         "value": {"manufacturerImageHash": bytes(range(32)).hex(), "originatorCounter": 2}})
    outcome = _payload(_accepted(device, parties.command(device, 0x0012, right, 11, signed=True)))["value"]["value"]
    assert outcome["responseCode"]["value"] == 0 and bytes.fromhex(outcome["firmwareVersion"]) == b"2.0.0"
    # ECS52 reads the version the meter runs, as CS06 reported it
    ecs52 = access_request(12, [("get", 1, bytes.fromhex("0000000201FF"), 2, {"type": "null"})])
    read = _payload(_accepted(device, parties.command(device, 0x0059, ecs52, 12)))
    assert read["data"] == [{"type": "octet-string", "value": outcome["firmwareVersion"]}]


def test_hardware_fault_leaves_one_cell_unchanged(parties: RemoteParties, new_supplier: NewParty) -> None:
    device = _device(parties)
    device.arm_fault(HardwareFault())  # penultimate of two replacements: the DS cell
    response = _accepted(device, parties.command(device, 0x0102, _update(2, 1, new_supplier), 10, signed=True))
    outcomes = _payload(response)["value"]["executionOutcome"]["replacementOutcomes"]
    assert [o["status"]["value"] for o in outcomes] == [10, 0]
    failed, made = outcomes
    assert failed["replacingSubjectKeyIdentifier"] == failed["existingSubjectKeyIdentifier"]  # cell unchanged
    assert made["replacingSubjectKeyIdentifier"] != made["existingSubjectKeyIdentifier"]


def test_hardware_fault_at_receipt_fails_the_future_dated_replacement(parties: RemoteParties,
                                                                       new_supplier: NewParty) -> None:
    device = _device(parties)
    device.arm_fault(HardwareFault("last"))
    response = _accepted(device, parties.command(device, 0x0102, _update(2, 1, new_supplier, when="20200102000000Z"),
                                                 10, signed=True))
    assert "executionOutcome" not in _payload(response)["value"]
    device.clock.run_until_idle()
    [alert] = device.outbox
    value = _payload(alert)["value"]
    assert value["alertCode"]["value"] == 0x8F67
    assert [o["status"]["value"] for o in value["executionOutcome"]["replacementOutcomes"]] == [0, 10]
