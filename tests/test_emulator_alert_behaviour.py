"""ECS25a/b/a1-a3/b3 alert behaviours at the ESME: written, read back (ECS25r1/r2) and obeyed."""

from __future__ import annotations

import pytest

from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.kinds import create_device
from emulator.testkit import RemoteParties, access_request
from emulator.usecases.alert_behaviour import alert_bit
from gbcs.message import decode_message

EUI = bytes.fromhex("00DB1234567890E0")
UTRN_SUSPENDED = 0x81C4  # a configurable (non-critical) alert
NULL = {"type": "null"}


def obis(party: int, index: int) -> bytes:
    return bytes((0, party, 97, 98, index, 255))


@pytest.fixture
def esme(parties: RemoteParties) -> Device:
    return create_device("ESME", EUI, VirtualClock("2020-06-01T12:00:00Z"), parties.anchors)


def _behaviours(mask: set[int], enabled: set[int]) -> dict:
    """The 512-bit value of a set: the mask of the alerts to change, then their new values."""
    def bits(codes: set[int]) -> int:
        return sum(1 << alert_bit(30 if code >> 8 == 0x81 else 33, code) for code in codes)

    return {"type": "bit-string", "bits": 512, "value": f"{bits(mask) << 256 | bits(enabled):0128X}"}


def _run(parties: RemoteParties, esme: Device, code: int, counter: int, instructions: list, role: int = 2) -> dict:
    out = esme.handle(parties.command(esme, code, access_request(counter, instructions), counter, role=role))
    assert out.response is not None, esme.security_log.entries() + esme.event_log.entries()
    return decode_message(out.response)["payload"]


def _enabled(value: dict, code: int) -> bool:
    return bool(int(value["value"], 16) >> alert_bit(30 if code >> 8 == 0x81 else 33, code) & 1)


def test_disabled_alert_is_not_sent_and_reads_back(parties: RemoteParties, esme: Device) -> None:
    assert esme.raise_alert(UTRN_SUSPENDED) is not None  # enabled by default
    written = _run(parties, esme, 0x00AC, 10, [("set", 1, obis(30, 11), 2, _behaviours({UTRN_SUSPENDED}, set()))])
    assert written["results"][0]["result"] == 0  # ECS25a
    read = _run(parties, esme, 0x00EE, 11, [("get", 1, obis(30, k), 2, NULL) for k in (15, 16, 17, 18)])  # ECS25r1
    assert [r["result"] for r in read["results"]] == [0, 0, 0, 0]
    wan = read["data"][0]
    assert wan["bits"] == 256 and not _enabled(wan, UTRN_SUSPENDED) and _enabled(wan, 0x81C5)
    assert all(_enabled(v, UTRN_SUSPENDED) for v in read["data"][1:])  # HAN, audible, logging untouched
    assert esme.raise_alert(UTRN_SUSPENDED) is None
    assert esme.event_log.entries()[-1].code == UTRN_SUSPENDED  # still logged
    assert esme.raise_alert(0x81C5) is not None  # the other alerts are sent
    assert esme.raise_alert(0x8F66) is not None  # critical alerts are not configurable
    _run(parties, esme, 0x00AC, 12, [("set", 1, obis(30, 11), 2, _behaviours({UTRN_SUSPENDED}, {UTRN_SUSPENDED}))])
    assert esme.raise_alert(UTRN_SUSPENDED) is not None


def test_network_operator_and_event_behaviours(parties: RemoteParties, esme: Device) -> None:
    voltage = 0x8004
    _run(parties, esme, 0x00B0, 20, [("set", 1, obis(33, 11), 2, _behaviours({voltage}, set()))], role=3)  # ECS25b
    read = _run(parties, esme, 0x00EF, 21, [("get", 1, obis(33, 15), 2, NULL), ("get", 1, obis(33, 18), 2, NULL)],
                role=3)  # ECS25r2
    assert not _enabled(read["data"][0], voltage) and _enabled(read["data"][1], voltage)
    assert esme.raise_alert(voltage) is None
    _run(parties, esme, 0x00ED, 22, [("set", 1, obis(33, 14), 2, _behaviours({voltage}, set()))], role=3)  # ECS25b3
    read = _run(parties, esme, 0x00EF, 23, [("get", 1, obis(33, 18), 2, NULL)], role=3)
    assert not _enabled(read["data"][0], voltage)
    for code, index in ((0x00EA, 12), (0x00EB, 13), (0x00EC, 14)):  # ECS25a1-a3
        _run(parties, esme, code, 2 * index + 30, [("set", 1, obis(30, index), 2, _behaviours({0x81C5}, set()))])
        value = _run(parties, esme, 0x00EE, 2 * index + 31, [("get", 1, obis(30, index + 4), 2, NULL)])["data"][0]
        assert not _enabled(value, 0x81C5)
    short = {"type": "bit-string", "bits": 256, "value": "00" * 32}
    assert _run(parties, esme, 0x00AC, 90, [("set", 1, obis(30, 11), 2, short)])["results"][0]["result"] == 12


def test_gcs20_event_configuration_decides_gsme_alerts(parties: RemoteParties) -> None:
    from gbcs.framing import parse_frame
    from gbcs.gbz import decode_gbz, encode_gbz

    gsme = create_device("GSME", bytes.fromhex("00DB1234567890E1"), VirtualClock("2020-06-01T12:00:00Z"),
                         parties.anchors)

    def send(counter: int, command: int, fields: dict) -> dict:
        component = {"control": 1, "cluster": 0x0708, "zcl": {"frame_control": 0x09, "sequence": 0, "command": command,
                                                               "fields": fields}}
        code = 0x00AD if command == 0x04 else 0x00F1
        out = gsme.handle(parties.command(gsme, code, encode_gbz({"profile": 0x0109, "components": [component]}),
                                          counter))
        assert out.response is not None, gsme.event_log.entries()
        frame = parse_frame(out.response)
        return decode_gbz(frame.content, frame.content_offset, 2, code)["components"][0]["zcl"]

    def configure(counter: int, configuration: int) -> None:
        answer = send(counter, 0x04, {"issuer_event_id": 1, "start_date_time": 0,
                                      "event_configuration": configuration, "configuration_control": 0,
                                      "configuration_payload": {"event_ids": [UTRN_SUSPENDED]}})
        assert answer["fields"]["status"] == 0

    assert gsme.raise_alert(UTRN_SUSPENDED) is not None
    configure(10, 0x01)  # log only: not pushed to the WAN
    read = send(11, 0x05, {"event_id": UTRN_SUSPENDED})["fields"]["events"]  # GCS20r
    assert read == [{"event_id": UTRN_SUSPENDED, "event_configuration": 0x01}]
    assert gsme.raise_alert(UTRN_SUSPENDED) is None
    assert gsme.raise_alert(0x81C5) is not None  # not configured: the profile decides
    configure(12, 0x03)
    assert gsme.raise_alert(UTRN_SUSPENDED) is not None


def test_each_party_configures_its_own_alert_codes(parties: RemoteParties, esme: Device) -> None:
    """Supplier bits are 0x81xx - 0x8100, network operator bits 0x80xx - 0x8000: the same bit, two alerts."""
    assert alert_bit(30, 0x81C4) == 0xC4 and alert_bit(33, 0x80C4) == 0xC4
    assert alert_bit(30, 0x80C4) is None and alert_bit(33, 0x81C4) is None
    mask = {"type": "bit-string", "bits": 512, "value": f"{(1 << 0xC4) << 256:0128X}"}  # clear bit 0xC4
    _run(parties, esme, 0x00B0, 30, [("set", 1, obis(33, 11), 2, mask)], role=3)  # ECS25b by the NO
    assert esme.raise_alert(0x81C4) is not None  # the supplier's alert of that bit is still sent


@pytest.mark.parametrize("kind", ["GSME", "GPF"])
def test_a_zigbee_device_reports_only_the_events_of_its_kind(kind: str) -> None:
    """GCS20r over the whole non-critical group: gas events, not the ESME's or (for the GSME) the GPF's."""
    from gbcs.framing import parse_frame
    from gbcs.gbz import decode_gbz, encode_gbz

    parties = RemoteParties()
    device = create_device(kind, bytes.fromhex("00DB1234567890E1"), VirtualClock("2020-06-01T12:00:00Z"),
                           parties.anchors)
    component = {"control": 1, "cluster": 0x0708, "zcl": {"frame_control": 0x09, "sequence": 0, "command": 0x05,
                                                           "fields": {"event_id": 0x81FF}}}
    out = device.handle(parties.command(device, 0x00F1, encode_gbz({"profile": 0x0109, "components": [component]}),
                                        10))
    frame = parse_frame(out.response)
    events = {e["event_id"] for e in decode_gbz(frame.content, frame.content_offset, 2, 0x00F1)
              ["components"][0]["zcl"]["fields"]["events"]}
    assert {0x81A1, 0x81B4, 0x81B5, 0x81B6, 0x81C5} <= events  # battery cover, gas flow, UTRN lock-out
    assert not events & {0x81A2, 0x81A3, 0x81B7, 0x81B8, 0x81BB, 0x81C1}  # CH-ESME, phases, polarity, cover
    assert (0x819D in events) == (kind == "GPF")  # GSME Command Not Retrieved: the GPF's event
