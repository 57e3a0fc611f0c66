"""Hardware-fault injection (emulator.faults): DLMS, GBZ and ASN.1 answers, one-shot arming, replay's use of it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from emulator.clock import VirtualClock
from emulator.conformance import verify_output
from emulator.cosem_classes import node
from emulator.device import Device
from emulator.faults import FaultError, HardwareFault, parse_fault
from emulator.kinds import create_device
from emulator.replay import is_negative_variant, replay
from emulator.testkit import RemoteParties, access_request
from gbcs.asn1.codec import encode_asn1
from gbcs.message import decode_message
from tests.test_emulator_gsme import PREPAYMENT, U32, component, read, records, send

ESME_EUI = bytes.fromhex("00DB1234567890F0")
GSME_EUI = bytes.fromhex("00DB1234567890F1")
START = "2020-06-01T12:00:00Z"
TAMPERS = [bytes((0, 0, 94, 44, 0, n)) for n in (4, 5, 6)]  # three class-1 data objects
NULL = {"type": "null"}
# RTDS negative-variant responses of the visible corpus that conform (17 of 161 did without fault injection)
MIN_NEGATIVE_CONFORMING = 135


@pytest.fixture
def esme(parties: RemoteParties) -> Device:
    return create_device("ESME", ESME_EUI, VirtualClock(START), parties.anchors)


@pytest.fixture
def gsme(parties: RemoteParties) -> Device:
    return create_device("GSME", GSME_EUI, VirtualClock(START), parties.anchors)


def _dlms(parties: RemoteParties, device: Device, code: int, counter: int, instructions: list) -> dict:
    out = device.handle(parties.command(device, code, access_request(counter, instructions), counter, signed=True))
    assert out.response is not None
    return decode_message(out.response)["payload"]


def _set_all(value: bool) -> list:
    return [("set", 1, obis, 2, node("boolean", value)) for obis in TAMPERS]


def _read_all(parties: RemoteParties, esme: Device, counter: int) -> list:
    payload = _dlms(parties, esme, 0x00F9, counter, [("get", 1, obis, 2, NULL) for obis in TAMPERS])
    return [d.get("value") for d in payload["data"]]


@pytest.mark.parametrize(("position", "at"), [("penultimate", 1), ("first", 0), ("last", 2), (1, 1), (9, 2)])
def test_position_picks_the_failing_request(position: str | int, at: int) -> None:
    assert HardwareFault(position).index(3) == at
    assert HardwareFault(position).index(1) == 0


def test_bad_fault_descriptions_are_refused() -> None:
    for bad in ("middle", -1, True, 1.5, {"position": "x"}, {"where": 1}):
        with pytest.raises(FaultError):
            parse_fault(bad)
    assert parse_fault({"position": "last"}) == HardwareFault("last")


def test_dlms_fault_fails_one_request_and_skips_the_rest(parties: RemoteParties, esme: Device) -> None:
    assert [r["result"] for r in _dlms(parties, esme, 0x0068, 1, _set_all(False))["results"]] == [0, 0, 0]
    esme.arm_fault(HardwareFault())
    payload = _dlms(parties, esme, 0x0068, 2, _set_all(True))
    assert [r["result"] for r in payload["results"]] == [0, 1, 250]
    # the request before the fault executed; the faulted one and the one after it did not
    assert _read_all(parties, esme, 3) == [True, False, False]
    # the fault is spent: the next command succeeds
    assert [r["result"] for r in _dlms(parties, esme, 0x0068, 4, _set_all(True))["results"]] == [0, 0, 0]


def test_dlms_fault_in_a_read_gives_null_data(parties: RemoteParties, esme: Device) -> None:
    esme.arm_fault(HardwareFault("first"))
    payload = _dlms(parties, esme, 0x00F9, 5, [("get", 1, obis, 2, NULL) for obis in TAMPERS])
    assert [r["result"] for r in payload["results"]] == [1, 250, 250]
    assert payload["data"] == [NULL, NULL, NULL]


def test_fault_armed_for_one_message_code_waits_for_it(parties: RemoteParties, esme: Device) -> None:
    esme.arm_fault(HardwareFault("last"), message_code=0x0068)
    assert all(r["result"] == 0 for r in _dlms(parties, esme, 0x00F9, 6, [("get", 1, TAMPERS[0], 2, NULL)])["results"])
    assert [r["result"] for r in _dlms(parties, esme, 0x0068, 7, _set_all(True))["results"]] == [0, 0, 1]


def _write(sequence: int, value: int) -> dict:
    return component(PREPAYMENT, 0x00, sequence, 0x02, records=[{"attribute": 0x0031, "type": U32, "value": value}])


def test_gbz_fault_answers_hardware_failure_and_rolls_back(parties: RemoteParties, gsme: Device) -> None:
    before = records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 1))[0x0031]
    gsme.arm_fault(HardwareFault("last"))
    tree = send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031, sequence=1), _write(2, before + 5)], 2)
    faulted = tree["components"][1]["zcl"]
    assert (faulted["command"], faulted["fields"]["command"], faulted["fields"]["status"]) == (0x0B, 0x02, 0xC0)
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 3))[0x0031] == before


def test_gbz_components_after_the_fault_are_not_processed(parties: RemoteParties, gsme: Device) -> None:
    gsme.arm_fault(HardwareFault("first"))
    tree = send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031, 0x0032, sequence=1), _write(2, 1)], 4)
    first, second = (c["zcl"] for c in tree["components"])
    assert [r["status"] for r in first["records"]] == [0xC0, 0x00]
    assert (second["command"], second["fields"]["command"], second["fields"]["status"]) == (0x0B, 0xFF, 0x01)


def test_gbz_content_failure_wins_over_the_fault(parties: RemoteParties, gsme: Device) -> None:
    """A write of the wrong type fails on its own: that failure is the answer, not HARDWARE_FAILURE."""
    gsme.arm_fault(HardwareFault())
    bad = component(PREPAYMENT, 0x00, 1, 0x02, records=[{"attribute": 0x0031, "type": 0x25, "value": 1}])
    answer = send(parties, gsme, 0x0082, [bad], 5)["components"][0]["zcl"]
    assert answer["command"] == 0x04 and answer["records"][0]["status"] == 0x8D


def test_asn1_fault_answers_the_failure_code(parties: RemoteParties, gsme: Device) -> None:
    content = encode_asn1({"asn1_type": "ReadDeviceJoinDetailsCommand", "value": None})
    ok = decode_message(gsme.handle(parties.command(gsme, 0x0013, content, 6)).response)["payload"]
    assert ok["value"]["responseCode"]["value"] == 0 and "deviceLog" in ok["value"]
    gsme.arm_fault(HardwareFault())
    failed = decode_message(gsme.handle(parties.command(gsme, 0x0013, content, 7)).response)["payload"]
    assert failed["value"]["responseCode"]["value"] == 1 and "deviceLog" not in failed["value"]


def test_negative_variants_are_recognised_by_their_error_token() -> None:
    assert is_negative_variant("ECS04a_1.5_ERROR")
    assert is_negative_variant("GCS02_1.6_IMMEDIATE_ERROR")
    assert not is_negative_variant("ECS04a_1.5_SUCCESS")
    assert not is_negative_variant("GCS21f_4.11.1_NOT_FOUND")
    assert not is_negative_variant("ECS99_ERRORS_SUCCESS")


def test_replay_conformance_with_negative_variants(corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        summary = replay(corpus / "rtds", corpus / "rtds-keystore", corpus / "rtds-premises.toml", out)
        faulted = [c for c in summary["outcomes"] if "fault" in c]
        assert faulted and all(is_negative_variant(Path(c["command"]).name) for c in faulted)
        result = verify_output(out, corpus / "rtds-keystore", corpus / "rtds")
    assert result["verified"] == result["files"]
    negative = {name: r for name, r in result["conformance"]["by_response"].items() if is_negative_variant(name)}
    assert sum(1 for r in negative.values() if r["ok"]) >= MIN_NEGATIVE_CONFORMING
