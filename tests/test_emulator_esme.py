"""The emulated ESME as a DLMS server: get/set/action semantics, protected data, future dating, ECS100."""

from __future__ import annotations

import pytest

from emulator import cosem_time
from emulator.clock import VirtualClock
from emulator.cosem_classes import node, structure
from emulator.device import Device
from emulator.kinds import create_device
from emulator.testkit import RemoteParties, access_request
from gbcs.dlms.axdr import decode_data, encode_data
from gbcs.message import decode_message

EUI = bytes.fromhex("00DB1234567890E0")
START = "2020-06-01T12:00:00Z"
TAMPER = bytes((0, 0, 94, 44, 0, 4))  # ECS81 supply tamper state (class 1)
CREDIT = bytes((0, 0, 19, 10, 0, 255))
CALENDAR = bytes((0, 0, 13, 0, 0, 255))
CLOCK = bytes((0, 0, 1, 0, 0, 255))
DATA_PROTECTION = bytes((0, 0, 43, 2, 8, 255))
REGISTER = bytes((1, 0, 1, 8, 0, 255))
NULL = {"type": "null"}


@pytest.fixture
def esme(parties: RemoteParties) -> Device:
    return create_device("ESME", EUI, VirtualClock(START), parties.anchors)


def _run(parties: RemoteParties, device: Device, code: int, counter: int, instructions: list, **kw: object) -> dict:
    out = device.handle(parties.command(device, code, access_request(counter, instructions), counter, **kw))
    assert out.response is not None, device.security_log.entries() + device.event_log.entries()
    checked = parties.check(device, out.response)
    assert checked["signature_valid"] is True or checked["mac_valid"] is True
    tree = decode_message(out.response)
    tree["checked"] = checked
    tree["alerts"] = out.alerts
    return tree


def _results(tree: dict) -> list[int]:
    return [r["result"] for r in tree["payload"]["results"]]


def test_read_after_write_returns_what_was_written(parties: RemoteParties, esme: Device) -> None:
    written = _run(parties, esme, 0x0068, 10, [("set", 1, TAMPER, 2, node("boolean", True))], signed=True)
    assert _results(written) == [0]
    assert written["signature_form"] == "present" and not written["mac_header"]
    assert written["counter"] == 10 and written["cra"] == "response"
    read = _run(parties, esme, 0x00F9, 11, [("get", 1, TAMPER, 2, NULL)])
    assert read["payload"]["data"][0] == {"type": "boolean", "value": True}
    assert read["mac_header"] and read["signature_form"] == "null"
    assert read["payload"]["invoke_id"] == 0x20000000 | 11


def test_result_codes_and_the_instructions_after_a_failure(parties: RemoteParties, esme: Device) -> None:
    tree = _run(parties, esme, 0x0068, 20, [
        ("set", 3, REGISTER, 3, node("structure", [node("integer", 0), node("enum", 30)])),
        ("set", 3, REGISTER, 1, node("octet-string", "010001080000")),  # logical name: read-only
        ("set", 1, TAMPER, 2, node("boolean", False)),
    ], signed=True)
    assert _results(tree) == [0, 3, 250]
    tree = _run(parties, esme, 0x00F9, 21, [("get", 9999, TAMPER, 2, NULL), ("get", 1, TAMPER, 2, NULL)])
    assert _results(tree) == [4, 250]  # unknown class: object-undefined; then other-reason
    assert _results(_run(parties, esme, 0x00F9, 22, [("get", 1, TAMPER, 2, NULL)])) == [0]
    tree = _run(parties, esme, 0x00F9, 23, [("get", 3, TAMPER, 2, NULL)])
    assert _results(tree) == [9]  # the OBIS exists with another class
    tree = _run(parties, esme, 0x0068, 24, [("set", 20, CALENDAR, 10, node("boolean", True))], signed=True)
    assert _results(tree) == [12]  # type-unmatched


def test_registers_have_class_defaults(parties: RemoteParties, esme: Device) -> None:
    tree = _run(parties, esme, 0x0027, 30, [("get", 3, REGISTER, 2, NULL), ("get", 3, REGISTER, 3, NULL)])
    assert tree["payload"]["data"][0]["type"] == "double-long-unsigned"
    assert tree["payload"]["data"][1]["value"][1] == {"type": "enum", "value": 30}  # Wh
    assert tree["date_time"] is not None  # an instantaneous read is time-stamped


def test_actions_change_state(parties: RemoteParties, esme: Device) -> None:
    tree = _run(parties, esme, 0x001C, 40, [("action", 112, CREDIT, 1, node("double-long", 500)),
                                            ("action", 112, CREDIT, 1, node("double-long", -200))], signed=True)
    assert _results(tree) == [0, 0]
    tree = _run(parties, esme, 0x0069, 41, [("get", 112, CREDIT, 2, NULL)])
    assert tree["payload"]["data"][0] == {"type": "double-long", "value": 300}


def test_clock_reads_and_sets_the_device_time(parties: RemoteParties, esme: Device) -> None:
    tree = _run(parties, esme, 0x00F9, 50, [("get", 8, CLOCK, 2, NULL)])
    assert cosem_time.decode(bytes.fromhex(tree["payload"]["data"][0]["value"])) == esme.clock.now()
    now = esme.now()
    preset = structure(node("octet-string", cosem_time.encode(now + 3).hex()),
                       node("octet-string", cosem_time.encode(now - 5).hex()),
                       node("octet-string", cosem_time.encode(now + 5).hex()))
    adjust = ("action", 8, CLOCK, 4, node("integer", 0))
    tree = _run(parties, esme, 0x0062, 51, [("action", 8, CLOCK, 5, preset), adjust], signed=True)
    assert _results(tree) == [0, 0]
    assert esme.now() == pytest.approx(now + 3)
    assert 0x8145 in esme.event_log.codes() and tree["alerts"] == []  # logged, not sent (requirements §5.4)
    far = structure(node("octet-string", cosem_time.encode(now + 60).hex()),
                    node("octet-string", cosem_time.encode(now + 50).hex()),
                    node("octet-string", cosem_time.encode(now + 70).hex()))
    tree = _run(parties, esme, 0x0062, 52, [("action", 8, CLOCK, 5, far), adjust], signed=True)
    assert len(tree["alerts"]) == 1 and decode_message(tree["alerts"][0])["message_code"] == 0x1000


def test_protected_data_is_encrypted_to_the_originator(parties: RemoteParties, esme: Device) -> None:
    request = structure(
        node("array", [structure(node("long-unsigned", 3), node("octet-string", REGISTER.hex()), node("integer", 2),
                                 node("long-unsigned", 0), structure(node("enum", 0), NULL))]),
        node("array", [structure(node("enum", 2), structure(
            node("octet-string", "0400000000000003E8"), node("octet-string", parties.eui[2].hex()),
            node("octet-string", EUI.hex()), node("octet-string", ""),
            structure(node("enum", 2), structure(node("octet-string", "02"), node("octet-string", ""))),
        ))]),
    )
    tree = _run(parties, esme, 0x0027, 1000, [("action", 30, DATA_PROTECTION, 1, request)])
    assert _results(tree) == [0]
    options = tree["payload"]["data"][0]["value"][0]["value"][0]["value"][1]["value"]
    assert options[0]["value"] == "0400000000000003E8"
    assert options[1]["value"] == EUI.hex().upper() and options[2]["value"] == parties.eui[2].hex().upper()
    assert tree["checked"]["decryption_valid"] is True
    plain = bytes.fromhex(tree["checked"]["decrypted"][0]["plaintext"])
    value, _ = decode_data(plain, 0, len(plain))
    assert value == {"type": "structure", "value": [{"type": "double-long-unsigned", "value": 0}]}


def test_future_dated_activation_alerts_after_execution(parties: RemoteParties, esme: Device) -> None:
    later = cosem_time.encode(esme.now() + 86400)
    passive = node("array", [structure(node("octet-string", "01"), node("octet-string", "07E40101FF000000008000FF"),
                                       node("octet-string", "01"))])
    tree = _run(parties, esme, 0x0019, 60, [
        ("set", 20, CALENDAR, 7, passive),
        ("set", 20, CALENDAR, 10, node("octet-string", later.hex())),
    ], signed=True)
    assert _results(tree) == [0, 0] and tree["alerts"] == []
    assert tree["date_time"] is not None  # future-dateable use case: time-stamped
    active = _run(parties, esme, 0x003A, 61, [("get", 20, CALENDAR, 3, NULL)])
    assert active["payload"]["data"][0]["value"] == []  # not yet
    assert esme.clock.run_until_idle() == 1
    assert len(esme.outbox) == 1
    alert = decode_message(esme.outbox[0])
    assert parties.check(esme, esme.outbox[0])["signature_valid"] is True
    assert alert["cra"] == "alert" and alert["message_code"] == 0x00CC and alert["signature_form"] == "present"
    members = alert["payload"]["notification"]["value"]
    assert members[0]["value"] == 0x8F66
    reference = bytes.fromhex(members[2]["value"])
    assert reference == bytes.fromhex("0019") + (60).to_bytes(8, "big") + (20).to_bytes(2, "big") + CALENDAR + b"\x0a"
    active = _run(parties, esme, 0x003A, 62, [("get", 20, CALENDAR, 3, NULL)])
    assert encode_data(active["payload"]["data"][0]) == encode_data(passive)


def test_future_dated_instruction_can_be_cancelled(parties: RemoteParties, esme: Device) -> None:
    later = cosem_time.encode(esme.now() + 3600)
    _run(parties, esme, 0x0019, 70, [("set", 20, CALENDAR, 10, node("octet-string", later.hex()))], signed=True)
    assert len(esme.future) == 1
    never = "FFFFFFFFFFFFFFFFFF8000FF"
    _run(parties, esme, 0x0019, 71, [("set", 20, CALENDAR, 10, node("octet-string", never))], signed=True)
    assert len(esme.future) == 0
    esme.clock.run_until_idle()
    assert esme.outbox == []


def test_unsupported_command_raises_ecs100(parties: RemoteParties, esme: Device) -> None:
    out = esme.handle(parties.command(esme, 0x0074, bytes.fromhex("010901"), 80))  # GCS13a: a GSME use case
    assert out.response is None and len(out.alerts) == 1
    alert = decode_message(out.alerts[0])
    assert alert["message_code"] == 0x0120 and alert["recipient"] == parties.eui[2].hex().upper()
    members = alert["payload"]["notification"]["value"]
    assert members[0]["value"] == 0x8F85
    assert members[2]["value"] == "0074" + (80).to_bytes(8, "big").hex().upper()


def test_a_faulty_handler_never_escapes(parties: RemoteParties, esme: Device) -> None:
    def broken(device: Device, incoming: object) -> None:
        raise RuntimeError("boom")

    esme.inject_fault(0x00F9, broken)
    out = esme.handle(parties.command(esme, 0x00F9, access_request(90, [("get", 1, TAMPER, 2, NULL)]), 90))
    assert out.response is None
    assert "internal error" in esme.event_log.entries()[-1].detail
    tree = _run(parties, esme, 0x00F9, 91, [("get", 1, TAMPER, 2, NULL)])
    assert _results(tree) == [0]


def _protected_read(counter: int, requester: bytes) -> list:
    request = structure(
        node("array", [structure(node("long-unsigned", 3), node("octet-string", REGISTER.hex()), node("integer", 2),
                                 node("long-unsigned", 0), structure(node("enum", 0), NULL))]),
        node("array", [structure(node("enum", 2), structure(
            node("octet-string", "04" + counter.to_bytes(8, "big").hex()), node("octet-string", requester.hex()),
            node("octet-string", EUI.hex()), node("octet-string", ""),
            structure(node("enum", 2), structure(node("octet-string", "02"), node("octet-string", ""))),
        ))]),
    )
    return [("action", 30, DATA_PROTECTION, 1, request)]


def _certificate(key: object) -> bytes:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    signer = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "URP")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(signer, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_acb_relayed_reads_encrypt_to_the_supplementary_remote_party(parties: RemoteParties, esme: Device) -> None:
    from gbcs.crypto import KeystoreView, verify_message
    from gbcs.crypto.bulk import payload_encrypted_elements
    from gbcs.framing import parse_frame
    from gbcs.other_information import OtherInformation, encode_other_information

    srp = parties.eui[2]
    other = encode_other_information(OtherInformation(0x0034, srp, 4242))
    tree = _run(parties, esme, 0x0034, 2000, _protected_read(2000, srp), role=4, other_information=other)
    assert tree["recipient"] == parties.acb.hex().upper()
    assert tree["other_information"]["supplementary_remote_party"] == srp.hex().upper()
    assert tree["other_information"]["supplementary_originator_counter"] is None
    assert tree["checked"]["decryption_valid"] is True  # decrypted with the SRP's (supplier's) key

    urp = RemoteParties(roles=(2,))  # a party the device does not know: it comes with its KA certificate
    urp_eui = bytes.fromhex("90B3D51F3F030000")
    other = encode_other_information(OtherInformation(0x0034, urp_eui, 77, None, _certificate(urp.ka[2])))
    tree = _run(parties, esme, 0x0034, 2001, _protected_read(2001, urp_eui), role=4, other_information=other)
    info = tree["other_information"]
    assert info["certificate"] is None and info["supplementary_remote_party_counter"] == 77
    device_counter = info["supplementary_originator_counter"]
    assert device_counter is not None and device_counter == esme.security.own_counter
    frame = parse_frame(bytes.fromhex(_reencode(tree)))
    view = KeystoreView.from_keys(ka={urp_eui: urp.ka[2], EUI: esme.security.keys.ka.public_key()})
    decrypted = verify_message(frame, payload_encrypted_elements(frame), view, parties.acb)
    assert decrypted["decryption_valid"] is True


def _reencode(tree: dict) -> str:
    from gbcs.message import encode_message

    return encode_message(tree).hex()


def test_non_critical_alerts_are_macd_and_counters_increase(parties: RemoteParties, esme: Device) -> None:
    now = esme.now()
    near = structure(node("octet-string", cosem_time.encode(now + 4).hex()),  # outside the interval, within 10 s
                     node("octet-string", cosem_time.encode(now + 2).hex()),
                     node("octet-string", cosem_time.encode(now + 6).hex()))
    adjust = ("action", 8, CLOCK, 4, node("integer", 0))
    first = _run(parties, esme, 0x0062, 100, [("action", 8, CLOCK, 5, near), adjust], signed=True)["alerts"]
    second = _run(parties, esme, 0x0062, 101, [("action", 8, CLOCK, 5, near), adjust], signed=True)["alerts"]
    alerts = [decode_message(a) for a in (*first, *second)]
    assert [a["message_code"] for a in alerts] == [0x1001, 0x1001]
    assert alerts[0]["payload"]["notification"]["value"][0]["value"] == 0x81C6
    assert all(a["mac_header"] and a["signature_form"] == "null" and a["cra"] == "alert" for a in alerts)
    assert parties.check(esme, first[0])["mac_valid"] is True
    assert alerts[1]["counter"] > alerts[0]["counter"]


def test_profile_knobs_offset_drift_and_delay(parties: RemoteParties) -> None:
    import dataclasses

    from emulator.profiles import generic_profile

    profile = dataclasses.replace(generic_profile("ESME"), clock_offset=30.0, clock_drift_ppm=100.0,
                                  response_delay=2.0)
    clock = VirtualClock(START)
    device = create_device(profile, EUI, clock, parties.anchors)
    assert device.now() == pytest.approx(clock.now() + 30)
    clock.advance(10_000)
    assert device.now() == pytest.approx(clock.now() + 30 + 1.0)  # 100 ppm of 10,000 s
    assert device.virtual_time(device.now()) == pytest.approx(clock.now())
    out = device.handle(parties.command(device, 0x00F9, access_request(5, [("get", 1, TAMPER, 2, NULL)]), 5))
    assert out.response is not None and out.delay == 2.0
