"""HAN join state on emulated devices: CS03 joins, CS04 unjoins, CS07, GCS59; and GCS28, CS08.

A join adds the other device to the device's join table (CS07 shows it, its certificate's
key lets its commands verify), an unjoin removes it; the response codes say why a join or
unjoin was refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ObjectIdentifier

from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.faults import HardwareFault
from emulator.kinds import create_device
from emulator.testkit import RemoteParties
from gbcs.asn1 import encode_asn1
from gbcs.message import decode_message
from smetsim.keys.der import HARDWARE_MODULE_NAME, hardware_module_name

EUI = bytes.fromhex("00DB1234567890F2")
PPMID_1 = bytes.fromhex("00DB1234567890F3")
PPMID_2 = bytes.fromhex("00DB1234567890F4")
GSME = bytes.fromhex("00DB1234567890F5")
GSME_TYPE, ESME_TYPE, GPF_TYPE, HCALCS_TYPE, PPMID_TYPE, TYPE2 = 0, 1, 3, 4, 5, 6
CS03A1, CS03A2, CS03B, CS03C, CS04AC, CS04B, CS07, GCS59, GCS28, CS08 = (
    0x000D, 0x00AB, 0x000E, 0x00AF, 0x000F, 0x0010, 0x0013, 0x008C, 0x007F, 0x0129)
START = "2020-01-01T00:00:00Z"


class Head:
    """Commands to one device from the supplier, with increasing counters."""

    def __init__(self, parties: RemoteParties, kind: str) -> None:
        self.parties = parties
        self.device: Device = create_device(kind, EUI, VirtualClock(START), parties.anchors)
        self.counter = 100

    def send(self, code: int, asn1_type: str, value: Any, *, signed: bool = True) -> Any:
        self.counter += 1
        content = encode_asn1({"asn1_type": asn1_type, "value": value})
        out = self.device.handle(self.parties.command(self.device, code, content, self.counter, signed=signed))
        assert out.response is not None, self.device.security_log.entries()[-1:]
        tree = decode_message(out.response)
        assert tree["ok"]
        return tree["payload"]["value"]

    def join(self, code: int, method: int, eui: bytes, device_type: int, certificate: bytes | None = None) -> int:
        value: dict[str, Any] = {"joinMethodAndRole": method, "otherDeviceEntityId": eui.hex(),
                                 "otherDeviceType": device_type}
        if certificate is not None:
            value["otherDeviceCertificate"] = certificate.hex()
        return self.send(code, "JoinCommand", value)["value"]

    def unjoin(self, eui: bytes, code: int = CS04AC) -> int:
        return self.send(code, "UnjoinCommand", eui.hex())["value"]

    def joined(self) -> list[tuple[str, int]]:
        value = self.send(CS07, "ReadDeviceJoinDetailsCommand", None, signed=False)
        assert value["responseCode"]["value"] == 0
        return [(e["deviceId"], e["deviceType"]["value"]) for e in value.get("deviceLog", [])]


def _device_certificate(eui: bytes, device: bool = True) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName(
        [x509.OtherName(ObjectIdentifier(HARDWARE_MODULE_NAME), hardware_module_name(eui))])
    cert = (x509.CertificateBuilder().subject_name(x509.Name([]))
            .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "E357")]))
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
            .add_extension(x509.KeyUsage(False, False, False, False, True, False, False, False, False), critical=True)
            .add_extension(san if device else x509.BasicConstraints(False, None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER), key


def test_join_and_unjoin_change_the_join_table(parties: RemoteParties) -> None:
    head = Head(parties, "ESME")
    assert head.joined() == []
    assert head.join(CS03A1, 0, PPMID_1, PPMID_TYPE) == 0
    assert head.joined() == [(PPMID_1.hex().upper(), PPMID_TYPE)]
    assert PPMID_1 in head.device.security.han_peers
    assert head.join(CS03A1, 0, PPMID_2, PPMID_TYPE) == 3  # an ESME has one PPMID
    assert head.join(CS03A1, 0, PPMID_2, HCALCS_TYPE) == 0
    assert head.unjoin(PPMID_1) == 0
    assert head.joined() == [(PPMID_2.hex().upper(), HCALCS_TYPE)]
    assert PPMID_1 not in head.device.security.han_peers
    assert head.unjoin(PPMID_1) == 0  # not joined any more: still not joined, success
    assert head.joined() == [(PPMID_2.hex().upper(), HCALCS_TYPE)]
    assert head.join(CS03A1, 0, PPMID_1, PPMID_TYPE) == 0
    assert 0x8F49 in head.device.event_log.codes() and 0x8F4B in head.device.event_log.codes()


def test_join_response_codes(parties: RemoteParties) -> None:
    head = Head(parties, "ESME")
    assert head.join(CS03A1, 2, PPMID_1, PPMID_TYPE) == 1  # method B in a method A join
    assert head.join(CS03A2, 1, PPMID_1, PPMID_TYPE) == 1  # an ESME is not a method A responder
    assert head.join(CS03B, 2, PPMID_1, PPMID_TYPE) == 2  # method B joins type 2 devices
    assert head.join(CS03B, 2, PPMID_1, TYPE2) == 0
    assert head.joined() == [(PPMID_1.hex().upper(), TYPE2)]
    head = Head(parties, "PPMID")
    assert head.join(CS03A2, 1, EUI, ESME_TYPE) == 0


def test_method_c_join_needs_the_other_devices_certificate(parties: RemoteParties) -> None:
    head = Head(parties, "PPMID")
    assert head.join(CS03C, 3, GSME, GSME_TYPE) == 11
    not_a_device_certificate, _ = _device_certificate(GSME, device=False)
    assert head.join(CS03C, 3, GSME, GSME_TYPE, not_a_device_certificate) == 11
    other, _ = _device_certificate(PPMID_2)  # another device's certificate is accepted, as RTDS devices do
    assert head.join(CS03C, 3, GSME, GSME_TYPE, other) == 0
    assert any("certificate of" in e.detail for e in head.device.event_log.entries())
    certificate, key = _device_certificate(GSME)
    assert head.join(CS03C, 3, GSME, GSME_TYPE, certificate) == 0
    peer = head.device.security.han_peers[GSME]
    assert peer.kind == "GSME" and peer.ka is not None
    assert peer.ka.public_numbers() == key.public_key().public_numbers()
    assert head.unjoin(GSME, CS04B) == 0 and GSME not in head.device.security.han_peers


def test_gpf_device_log_restore(parties: RemoteParties) -> None:
    head = Head(parties, "GPF")
    value = head.send(GCS59, "RestoreGPFDeviceLogCommand", {"deviceLog": [
        {"deviceId": PPMID_1.hex(), "deviceType": PPMID_TYPE}, {"deviceId": GSME.hex(), "deviceType": TYPE2}]},
        signed=False)
    assert [o["restoreResult"]["value"] for o in value["restoreOutcomes"]] == [0, 0]
    assert head.joined() == [(PPMID_1.hex().upper(), PPMID_TYPE), (GSME.hex().upper(), TYPE2)]


def test_set_gsme_clock_inside_and_outside_the_validity_interval(parties: RemoteParties) -> None:
    head = Head(parties, "GSME")
    device = head.device
    device.set_time(device.now() - 5)  # 5 s slow
    value = head.send(GCS28, "SetClockCommand", {"validityIntervalStart": "20191231235000Z",
                                                 "validityIntervalEnd": "20200101001000Z"})
    assert value == {"deviceTime": "20200101000000Z", "responseCode": {"value": 0, "name": "success"}}
    assert abs(device.now() - device.clock.now()) < 1e-6 and device.event_log.codes()[-1] == 0x8145
    device.set_time(device.now() - 5)
    value = head.send(GCS28, "SetClockCommand", {"validityIntervalStart": "20200101010000Z",
                                                 "validityIntervalEnd": "20200101020000Z"})
    assert value["responseCode"]["value"] == 2 and device.event_log.codes()[-1] == 0x81C6
    device.set_time(device.now() - 60)
    out_of_interval = {"validityIntervalStart": "20200101010000Z", "validityIntervalEnd": "20200101020000Z"}
    before = len(device.outbox)
    out = device.handle(parties.command(device, GCS28, encode_asn1({"asn1_type": "SetClockCommand",
                                                                    "value": out_of_interval}), 999, signed=True))
    assert out.response is not None and device.event_log.codes()[-1] == 0x8F0C
    assert len(out.alerts) == 1 and len(device.outbox) == before  # the critical clock alert is sent
    assert decode_message(out.alerts[0])["payload"]["alert_code"] == 0x8F0C


def test_ppmid_firmware_version(parties: RemoteParties) -> None:
    head = Head(parties, "PPMID")
    value = head.send(CS08, "ReadFirmwareVersionCommand", None, signed=False)
    assert value["responseCode"]["value"] == 0
    assert bytes.fromhex(value["firmwareVersion"]).decode() == head.device.profile.firmware_version


def test_gpf_device_log_restore_with_a_hardware_fault(parties: RemoteParties) -> None:
    head = Head(parties, "GPF")
    head.device.arm_fault(HardwareFault())  # penultimate entry of two: the first fails
    value = head.send(GCS59, "RestoreGPFDeviceLogCommand", {"deviceLog": [
        {"deviceId": PPMID_1.hex(), "deviceType": PPMID_TYPE}, {"deviceId": GSME.hex(), "deviceType": TYPE2}]},
        signed=False)
    assert [o["restoreResult"]["value"] for o in value["restoreOutcomes"]] == [1, 0]
    assert head.joined() == [(GSME.hex().upper(), TYPE2)]


def test_firmware_version_read_with_a_hardware_fault(parties: RemoteParties) -> None:
    head = Head(parties, "PPMID")
    head.device.arm_fault(HardwareFault())
    value = head.send(CS08, "ReadFirmwareVersionCommand", None, signed=False)
    assert value == {"responseCode": {"value": 1, "name": None}}
