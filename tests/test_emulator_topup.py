"""CS01a at the ESME: the UTRN entered through the token gateway is checked before credit is added."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.kinds import create_device
from emulator.testkit import RemoteParties, access_request
from emulator.trust import TrustAnchors
from gbcs.crypto import generate_utrn
from gbcs.message import decode_message

EUI = bytes.fromhex("00DB1234567890E0")
OTHER = bytes.fromhex("00DB1234567890E1")
TOKEN_GATEWAY = bytes((0, 0, 19, 40, 0, 255))
CREDIT = bytes((0, 0, 19, 10, 0, 255))
NULL = {"type": "null"}


@pytest.fixture(scope="module")
def prepayment_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def esme(parties: RemoteParties, prepayment_key: ec.EllipticCurvePrivateKey) -> Device:
    """An ESME that trusts the supplier's prepayment key, so it can check UTRN MACs."""
    anchors = [dataclasses.replace(a, pp_ka=prepayment_key.public_key()) if a.role == 2 else a
               for a in parties.anchors.by_role.values()]
    return create_device("ESME", EUI, VirtualClock("2020-06-01T12:00:00Z"), TrustAnchors(anchors))


def _utrn(parties: RemoteParties, key: ec.EllipticCurvePrivateKey, device: Device, target: bytes, counter: int,
          pounds: int) -> str:
    return generate_utrn(key, device.security.keys.ka.public_key(), parties.eui[2], target, counter << 32, pounds, 1)


def _top_up(parties: RemoteParties, esme: Device, utrn: str, counter: int) -> tuple[dict, list[int]]:
    token = {"type": "octet-string", "value": utrn.encode().hex().upper()}
    out = esme.handle(parties.command(esme, 0x0007, access_request(counter, [("action", 115, TOKEN_GATEWAY, 1, token)]),
                                      counter))
    assert out.response is not None
    alerts = []
    for alert in out.alerts:
        assert parties.check(esme, alert)["signature_valid"] is True  # 0x8F.. UTRN alerts are critical
        alerts.append(decode_message(alert)["payload"]["notification"]["value"][0]["value"])
    return decode_message(out.response)["payload"], alerts


def _credit(parties: RemoteParties, esme: Device, counter: int) -> int:
    out = esme.handle(parties.command(esme, 0x00F9, access_request(counter, [("get", 112, CREDIT, 2, NULL)]), counter))
    return decode_message(out.response)["payload"]["data"][0]["value"]


def _status(esme: Device) -> int:
    return esme.read_attribute(115, TOKEN_GATEWAY, 6)["value"][0]["value"]


def test_authentic_utrn_adds_credit_once(parties: RemoteParties, esme: Device,
                                         prepayment_key: ec.EllipticCurvePrivateKey) -> None:
    before = _credit(parties, esme, 10)
    utrn = _utrn(parties, prepayment_key, esme, EUI, 3, 5)
    payload, alerts = _top_up(parties, esme, utrn, 11)
    assert payload["results"][0]["result"] == 0 and alerts == []
    assert _status(esme) == 3  # token execution OK
    assert _credit(parties, esme, 12) == before + 500_000  # £5 in 1/100000 of the currency unit
    payload, alerts = _top_up(parties, esme, utrn, 13)
    assert alerts == [0x8F51] and _status(esme) == 6  # duplicate: validation failure
    assert _credit(parties, esme, 14) == before + 500_000
    older = _utrn(parties, prepayment_key, esme, EUI, 2, 1)  # counter below the last accepted one
    assert _top_up(parties, esme, older, 15)[1] == [0x8F51]


def test_utrn_for_another_device_or_not_authentic_is_refused(
        parties: RemoteParties, esme: Device, prepayment_key: ec.EllipticCurvePrivateKey) -> None:
    before = _credit(parties, esme, 20)
    other = _utrn(parties, prepayment_key, esme, OTHER, 4, 5)  # computed for another device
    payload, alerts = _top_up(parties, esme, other, 21)
    assert payload["results"][0]["result"] == 0  # the token gateway took the token ...
    assert alerts == [0x8F64] and _status(esme) == 5  # ... and refused it
    forged = _utrn(parties, ec.generate_private_key(ec.SECP256R1()), esme, EUI, 4, 5)  # not the supplier's key
    assert _top_up(parties, esme, forged, 22)[1] == [0x8F64]
    good = _utrn(parties, prepayment_key, esme, EUI, 4, 5)
    mistyped = good[:5] + str((int(good[5]) + 1) % 10) + good[6:]  # the check digit fails
    assert _top_up(parties, esme, mistyped, 23)[1] == [0x8F63] and _status(esme) == 4
    assert _top_up(parties, esme, "12345", 24)[1] == [0x8F63]
    assert _credit(parties, esme, 25) == before


def test_disabled_utrn_alert_is_not_sent(parties: RemoteParties, prepayment_key: ec.EllipticCurvePrivateKey) -> None:
    from emulator.profiles import generic_profile

    profile = dataclasses.replace(generic_profile("ESME"), alerts_disabled=frozenset({0x8F63}))
    anchors = [dataclasses.replace(a, pp_ka=prepayment_key.public_key()) if a.role == 2 else a
               for a in parties.anchors.by_role.values()]
    esme = create_device(profile, EUI, VirtualClock("2020-06-01T12:00:00Z"), TrustAnchors(anchors))
    assert _top_up(parties, esme, "12345", 30)[1] == []
    assert esme.event_log.entries()[-1].code == 0x8F63  # logged all the same


# ---------------------------------------------------------------------------- premises profiles (twin-element ESME)


def test_premises_profile_gives_a_twin_element_esme(corpus: Path, tmp_path: Path) -> None:
    from emulator.replay import ReplayError, _Emulation, load_premises

    twin, single = "00DB1234567890A0", "00DB1234567890A6"
    premises_file = tmp_path / "premises.toml"
    premises_file.write_text(f'[devices]\n"{twin}" = "ESME"\n"{single}" = "ESME"\n\n'
                             f'[profiles]\n"{twin}" = "esme-twin"\n')
    emulation = _Emulation(corpus / "rtds-keystore", load_premises(premises_file), tmp_path / "pki")
    registers = bytes((0, 0, 94, 44, 34, 10))
    device, _ = emulation.device(bytes.fromhex(twin))
    assert device.profile.name == "esme-twin"
    assert len(device.read_attribute(1, registers, 2)["value"]) == 5  # the secondary element's registers too
    other, _ = emulation.device(bytes.fromhex(single))
    assert other.profile.name == "generic-esme"
    premises_file.write_text(f'[devices]\n"{twin}" = "ESME"\n\n[profiles]\n"{twin}" = "generic-gsme"\n')
    with pytest.raises(ReplayError, match="GSME profile"):
        _Emulation(corpus / "rtds-keystore", load_premises(premises_file), tmp_path / "pki2")
    premises_file.write_text(f'[devices]\n"{twin}" = "ESME"\n\n[profiles]\n"{single}" = "esme-twin"\n')
    with pytest.raises(ReplayError, match="not in"):
        load_premises(premises_file)
