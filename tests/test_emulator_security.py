"""Device-side security for every device kind: replay, tampering, wrong role, counter reuse (gbcs spec §2.7).

Each test would fail if the protection it names were removed: a refused command gets no
response, is not executed (nothing reaches the use-case layer), leaves a security-log
entry with the reason and raises the profile's alert.
"""

from __future__ import annotations

import pytest

from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.kinds import create_device
from emulator.profiles import KINDS
from emulator.testkit import RemoteParties, access_request

SUPPLIER, NETWORK_OPERATOR, ACB = 2, 3, 4
CS06 = 0x0012  # critical for every kind, supplier only
# a non-critical command each kind receives, and a role allowed to send it
NON_CRITICAL = {
    "ESME": (0x0052, SUPPLIER), "SAPC": (0x0052, SUPPLIER), "CHF": (0x010A, ACB), "GSME": (0x0082, SUPPLIER),
    "GPF": (0x008C, SUPPLIER), "PPMID": (0x0129, SUPPLIER), "HCALCS": (0x0129, SUPPLIER),
}
CLOCK = bytes((0, 0, 1, 0, 0, 255))
EUI = bytes.fromhex("00DB1234567890F0")


def _device(kind: str, parties: RemoteParties) -> Device:
    return create_device(kind, EUI, VirtualClock("2020-01-01T00:00:00Z"), parties.anchors)


def _payload(kind: str, counter: int) -> bytes:
    """A payload the kind understands (DLMS read of the clock), or opaque GBZ/ASN.1-like bytes."""
    if kind in ("ESME", "SAPC", "CHF"):
        return access_request(counter, [("get", 8, CLOCK, 2, {"type": "null"})])
    return bytes.fromhex("0109010100820003000000")


def _send(device: Device, raw: bytes) -> tuple[bool, list[int]]:
    """(accepted, new security-log codes) for one command; an accepted command reaches the use-case layer."""
    before_log = len(device.security_log)
    before_events = len(device.event_log)
    out = device.handle(raw)
    accepted = len(device.security_log) == before_log
    reached = out.response is not None or any(
        "not supported" in e.detail for e in device.event_log.entries()[before_events:]
    )
    assert reached == accepted
    return accepted, device.security_log.codes()[before_log:]


def _nc(kind: str, parties: RemoteParties, device: Device, counter: int, role: int | None = None) -> bytes:
    code, allowed = NON_CRITICAL[kind]
    return parties.command(device, code, _payload(kind, counter), counter, role=role or allowed)


@pytest.mark.parametrize("kind", KINDS)
def test_valid_commands_are_accepted(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    assert _send(device, _nc(kind, parties, device, 10)) == (True, [])
    critical = parties.command(device, CS06, bytes.fromhex("3000"), 11, signed=True)
    assert _send(device, critical) == (True, [])
    assert device.security.counters[parties.eui[SUPPLIER]] == 11


@pytest.mark.parametrize("kind", KINDS)
def test_replay_is_refused_logged_and_alerted(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    command = _nc(kind, parties, device, 100)
    assert _send(device, command)[0]
    out = device.handle(command)
    assert out.response is None
    assert device.security_log.entries()[-1].detail.startswith("replay")
    assert device.security_log.codes()[-1] == 0x8F60
    assert len(out.alerts) == 1 and parties.check(device, out.alerts[0])["signature_valid"] is True
    older = _nc(kind, parties, device, 99)
    assert _send(device, older) == (False, [0x8F60])
    assert _send(device, _nc(kind, parties, device, 101))[0]


@pytest.mark.parametrize("kind", KINDS)
def test_counter_reuse_by_another_command_is_refused(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    code, role = NON_CRITICAL[kind]
    assert _send(device, _nc(kind, parties, device, 500))[0]
    different = parties.command(device, code, _payload(kind, 777), 500, role=role)
    assert _send(device, different) == (False, [0x8F60])
    if role == SUPPLIER:
        critical = parties.command(device, CS06, bytes.fromhex("3000"), 500, signed=True)
        assert _send(device, critical) == (False, [0x8F60])


@pytest.mark.parametrize("kind", KINDS)
def test_bad_mac_is_refused(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    command = bytearray(_nc(kind, parties, device, 10))
    command[-1] ^= 0x01
    assert _send(device, bytes(command)) == (False, [0x8F3D])
    tampered = bytearray(_nc(kind, parties, device, 11))
    tampered[-20] ^= 0x01  # a payload byte: the MAC no longer matches
    assert _send(device, bytes(tampered)) == (False, [0x8F3D])
    assert device.security.counters == {}


@pytest.mark.parametrize("kind", KINDS)
def test_bad_or_missing_signature_is_refused(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    good = parties.command(device, CS06, bytes.fromhex("3000"), 20, signed=True)
    from gbcs.crypto import mac_for
    from gbcs.framing import build_mac_header_message, parse_frame

    frame = parse_frame(good)
    apdu = bytearray(frame.apdu)
    apdu[-5] ^= 0x01  # inside the signature; the ACB MAC is recomputed, so only the signature is wrong
    mac = mac_for(bytes(apdu), 1, 20, frame.originator, frame.recipient, parties.view(device), parties.acb)
    assert _send(device, build_mac_header_message(bytes(apdu), mac)) == (False, [0x8F3D])
    unsigned = parties.command(device, CS06, bytes.fromhex("3000"), 21, signed=False)
    assert _send(device, unsigned) == (False, [0x8F3D])
    other_signer = RemoteParties(roles=(2, 4))  # same EUI, different keys: not the trust anchor
    other_signer.ka[4] = parties.ka[4]
    other_signer.ds[4] = parties.ds[4]
    forged = other_signer.command(device, CS06, bytes.fromhex("3000"), 22, signed=True)
    assert _send(device, forged) == (False, [0x8F3D])
    assert _send(device, parties.command(device, CS06, bytes.fromhex("3000"), 23, signed=True)) == (True, [])


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_role_is_refused(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    by_operator = parties.command(device, CS06, bytes.fromhex("3000"), 30, role=NETWORK_OPERATOR, signed=True)
    assert _send(device, by_operator) == (False, [0x8F30])
    out = device.handle(parties.command(device, CS06, bytes.fromhex("3000"), 31, role=NETWORK_OPERATOR, signed=True))
    assert len(out.alerts) == 1
    assert parties.check(device, out.alerts[0])["signature_valid"] is True
    unknown = parties.command(device, NON_CRITICAL[kind][0], _payload(kind, 32), 32,
                              originator=bytes.fromhex("90B3D51F3FFFFFFF"))
    assert _send(device, unknown) == (False, [0x8F30])


@pytest.mark.parametrize("kind", KINDS)
def test_garbage_and_foreign_messages_never_raise(kind: str, parties: RemoteParties) -> None:
    device = _device(kind, parties)
    for raw in (b"", b"\xdd", b"\xdf" + bytes(50), bytes(range(256))):
        out = device.handle(raw)
        assert out.response is None
    assert set(device.security_log.codes()) == {0x8F1E}
    other = _device(kind, parties)
    foreign = _nc(kind, parties, other, 40)
    target = create_device(kind, bytes.fromhex("00DB1234567890F1"), VirtualClock(0), parties.anchors)
    out = target.handle(foreign)
    assert out.response is None and out.alerts == []
    assert target.security_log.entries()[-1].detail.startswith("not-for-us")
