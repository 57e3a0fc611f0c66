"""The emulated GSME as a ZCL attribute server behind GBZ use cases, and the GBZ replay conformance."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from emulator.clock import VirtualClock
from emulator.conformance import verify_output
from emulator.device import Device
from emulator.kinds import create_device
from emulator.replay import replay
from emulator.testkit import RemoteParties
from gbcs.crypto import generate_utrn
from gbcs.framing import parse_frame
from gbcs.gbz import decode_gbz, encode_gbz
from gbcs.gbz.zcl import decode_zcl_payload
from gbcs.message import decode_message, payload_type_of

EUI = bytes.fromhex("00DB1234567890E1")
START = "2020-06-01T12:00:00Z"
EPOCH_2000 = 946_684_800
METERING, PREPAYMENT, EVENTS = 0x0702, 0x0705, 0x0709
U32, U48 = 0x23, 0x25
# GBZ conformance reached on the visible RTDS corpus (GSME / GPF commands with GBZ payloads)
MIN_GBZ_CONFORMING = 69
MIN_GBZ_ALERTS = 13


@pytest.fixture
def gsme(parties: RemoteParties) -> Device:
    return create_device("GSME", EUI, VirtualClock(START), parties.anchors)


def component(cluster: int, fc: int, sequence: int, command: int, last: bool = False, **payload: Any) -> dict:
    return {"control": int(last), "cluster": cluster,
            "zcl": {"frame_control": fc, "sequence": sequence, "command": command, **payload}}


def read(cluster: int, *attributes: int, sequence: int = 0) -> dict:
    return component(cluster, 0x00, sequence, 0x00, records=[{"attribute": a} for a in attributes])


def send(parties: RemoteParties, device: Device, code: int, components: list[dict], counter: int,
         *, signed: bool = False, role: int = 2) -> dict:
    components[-1]["control"] |= 1
    content = encode_gbz({"profile": 0x0109, "components": components})
    out = device.handle(parties.command(device, code, content, counter, signed=signed, role=role))
    assert out.response is not None, device.security_log.entries() + device.event_log.entries()
    checked = parties.check(device, out.response)
    assert checked["mac_valid"] is True or checked["signature_valid"] is True
    frame = parse_frame(out.response)
    tree = decode_gbz(frame.content, frame.content_offset, 2, code)
    tree["plaintexts"] = [bytes.fromhex(d["plaintext"]) for d in checked.get("decrypted", [])]
    tree["alerts"] = out.alerts
    return tree


def records(tree: dict, index: int = 0) -> dict[int, Any]:
    return {r["attribute"]: r.get("value") for r in tree["components"][index]["zcl"]["records"]}


def test_read_after_write_returns_what_was_written(parties: RemoteParties, gsme: Device) -> None:
    before = records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 1))[0x0031]
    write = component(PREPAYMENT, 0x00, 3, 0x02, records=[{"attribute": 0x0031, "type": U32, "value": before + 777}])
    tree = send(parties, gsme, 0x0082, [write], 2)
    assert tree["components"][0]["zcl"]["command"] == 0x04 and tree["components"][0]["zcl"]["fields"]["status"] == 0
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 3))[0x0031] == before + 777
    # a wrong type is refused and changes nothing
    bad = component(PREPAYMENT, 0x00, 4, 0x02, records=[{"attribute": 0x0031, "type": U48, "value": 1}])
    assert send(parties, gsme, 0x0082, [bad], 4)["components"][0]["zcl"]["records"][0]["status"] == 0x8D
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 5))[0x0031] == before + 777


def test_cluster_commands_change_state(parties: RemoteParties, gsme: Device) -> None:
    level = component(PREPAYMENT, 0x01, 0, 0x09, fields={"low_credit_warning_level": 4242})
    tree = send(parties, gsme, 0x006F, [level], 10, signed=True)
    assert tree["components"][0]["zcl"]["fields"] == {"command": 0x09, "status": 0, "status_name": "SUCCESS"}
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 11))[0x0031] == 4242
    supply = component(METERING, 0x01, 1, 0x0B, fields={
        "provider_id": 0, "issuer_event_id": 1, "request_date_time": 0, "implementation_date_time": 0,
        "proposed_supply_status": 1, "supply_control_bits": 0})
    answer = send(parties, gsme, 0x0081, [supply], 12, signed=True)["components"][0]["zcl"]
    assert (answer["command"], answer["fields"]["supply_status"]) == (0x0C, 1)
    assert records(send(parties, gsme, 0x0082, [read(METERING, 0x0014)], 13))[0x0014] == 1


def test_response_structure(parties: RemoteParties, gsme: Device) -> None:
    """One response component per command component: same cluster and sequence, the other direction."""
    comps = [read(METERING, 0x0000, 0x9999, sequence=7),
             component(PREPAYMENT, 0x01, 8, 0x00, fields={"command_issue_date_time": 0, "originating_device": 0}),
             component(0x0703, 0x09, 9, 0x00, fields={"message_id": 1, "message_control": 0, "start_time": 0,
                                                       "duration_in_minutes": 1, "message": ""}),
             component(PREPAYMENT, 0x01, 10, 0x7F, payload="")]
    tree = send(parties, gsme, 0x0082, comps, 20)
    got = [(c["control"], c["cluster"], c["zcl"]["sequence"], c["zcl"]["frame_control"], c["zcl"]["command"])
           for c in tree["components"]]
    assert got == [(0, METERING, 7, 0x08, 0x01), (0, PREPAYMENT, 8, 0x08, 0x0B), (0, 0x0703, 9, 0x00, 0x0B),
                   (1, PREPAYMENT, 10, 0x08, 0x0B)]
    assert [r["status"] for r in tree["components"][0]["zcl"]["records"]] == [0x00, 0x86]
    assert tree["components"][3]["zcl"]["fields"]["status"] == 0x81  # unsupported cluster command


def test_consumption_reads_are_encrypted_and_advance_with_the_clock(parties: RemoteParties, gsme: Device) -> None:
    first = send(parties, gsme, 0x0074, [read(METERING, 0x0000, 0x0302)], 30)
    comp = first["components"][0]
    assert comp["control"] & 0x02 and comp["additional_header"] == {"control": 0, "frame_counter": 0}
    plain = decode_zcl_payload(METERING, comp["zcl"]["frame_control"], 0x01, first["plaintexts"][0])
    start = {r["attribute"]: r["value"] for r in plain["records"]}
    gsme.clock.advance(3600)
    later = send(parties, gsme, 0x0074, [read(METERING, 0x0000)], 31)
    value = decode_zcl_payload(METERING, 0x18, 0x01, later["plaintexts"][0])["records"][0]["value"]
    assert value - start[0x0000] == 120  # generic-gsme.toml [zcl_rates]
    assert start[0x0302] == 1000


def test_future_dated_command_runs_on_the_clock_and_alerts(parties: RemoteParties, gsme: Device) -> None:
    when = int(gsme.now()) - EPOCH_2000 + 600
    level = component(PREPAYMENT, 0x01, 0, 0x09, fields={"low_credit_warning_level": 99})
    level["control"] = 0x10
    level["from_date_time"] = when
    tree = send(parties, gsme, 0x006F, [level], 40, signed=True)
    assert tree["components"][0]["zcl"]["fields"]["status"] == 0
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 41))[0x0031] != 99
    gsme.clock.advance(601)
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0031)], 42))[0x0031] == 99
    alert = decode_message(gsme.outbox[-1])
    assert alert["message_code"] == 0x00CD and alert["payload"]["alert_code"] == 0x8F66
    data = alert["payload"]["alert_data"]
    assert (data["message_code"], data["originator_counter"], data["cluster"], data["command"]) == (0x6F, 40,
                                                                                                   PREPAYMENT, 0x09)


def test_top_up_adds_credit_once(parties: RemoteParties, gsme: Device) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    supplier = parties.eui[2]
    utrn = generate_utrn(ec.generate_private_key(ec.SECP256R1()), gsme.security.keys.ka.public_key(), supplier,
                         gsme.eui, 1 << 32, 5, 1)  # £5; the device has no prepayment key: check digit only
    credit = records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0001)], 50))[0x0001]
    top_up = component(PREPAYMENT, 0x01, 0, 0x04, fields={"originating_device": 0, "top_up_code": utrn.encode().hex()})
    answer = send(parties, gsme, 0x0097, [top_up], 51)["components"][0]["zcl"]
    assert (answer["frame_control"], answer["command"], answer["fields"]["result_type"]) == (0x09, 0x03, 0)
    assert records(send(parties, gsme, 0x0082, [read(PREPAYMENT, 0x0001)], 52))[0x0001] == credit + 500_000
    again = send(parties, gsme, 0x0097, [top_up], 53)["components"][0]["zcl"]["fields"]
    assert again["result_type"] == 2  # duplicate
    bad = component(PREPAYMENT, 0x01, 0, 0x04, fields={"originating_device": 0, "top_up_code": b"1" * 20})
    bad["zcl"]["fields"]["top_up_code"] = (b"1" * 20).hex()
    assert send(parties, gsme, 0x0097, [bad], 54)["components"][0]["zcl"]["fields"]["result_type"] == 1


def test_kept_calendar_answers_gets(parties: RemoteParties, gsme: Device) -> None:
    get_days = component(0x0707, 0x01, 0, 0x01, fields={"provider_id": 0, "issuer_calendar_id": 0,
                                                        "start_day_id": 1, "number_of_days": 0})
    tree = send(parties, gsme, 0x00B5, [get_days], 60)
    assert [c["zcl"]["fields"]["day_id"] for c in tree["components"]] == [1, 2]
    assert {c["zcl"]["sequence"] for c in tree["components"]} == {0}
    assert [c["control"] & 1 for c in tree["components"]] == [0, 1]


def test_event_log_reads_back_events(parties: RemoteParties, gsme: Device) -> None:
    query = component(EVENTS, 0x01, 0, 0x00, fields={"event_control_log_id": 0x03, "event_id": 0, "start_time": 0,
                                                     "end_time": 0xFFFFFFFF, "number_of_events": 0,
                                                     "event_offset": 0})
    assert send(parties, gsme, 0x0014, [query], 70)["components"][0]["zcl"]["fields"]["status"] == 0x8B
    gsme.event_log.add(gsme.now(), 0x8F1E)
    answer = send(parties, gsme, 0x0014, [query], 71)["components"][0]["zcl"]
    assert answer["command"] == 0x01 and answer["fields"]["events"][0]["event_id"] == 0x8F1E
    clear = component(EVENTS, 0x01, 0, 0x01, fields={"log_id": 3})
    cleared = send(parties, gsme, 0x0015, [clear], 72)["components"][0]["zcl"]
    assert (cleared["command"], cleared["fields"]["cleared_event_logs"]) == (0x02, 0x08)
    assert send(parties, gsme, 0x0014, [query], 73)["components"][0]["zcl"]["fields"]["status"] == 0x8B


def test_profile_zcl_tables_are_checked(tmp_path: Path) -> None:
    from emulator.gsme import zcl_model_for
    from emulator.profiles import ProfileError, load_profile

    bad = tmp_path / "bad.toml"
    bad.write_text('[device]\nkind = "GSME"\n[[zcl_publish]]\ncluster = "0x0707"\ncommand = "0x01"\n'
                   'fields = { day_id = 1 }\n')
    with pytest.raises(ProfileError, match="zcl_publish"):
        zcl_model_for(load_profile(bad), 0.0)
    other = tmp_path / "other.toml"  # the tables of a file are read once
    other.write_text('[device]\nkind = "GSME"\n[zcl]\n"0702/0000" = "not a number"\n')
    with pytest.raises(ProfileError, match="0702/0000"):
        zcl_model_for(load_profile(other), 0.0)


def test_gbz_replay_conformance(corpus: Path) -> None:
    """Replay the corpus's GBZ commands to the GSME / GPF; print and keep the conformance reached."""
    rtds = corpus / "rtds"
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "corpus"
        for cmd in sorted(rtds.rglob("*_COMMAND_GBCS.HEX")):
            frame = parse_frame(bytes.fromhex(cmd.read_text().strip()))
            if frame.recipient.hex().upper() in ("00DB1234567890A1", "00DB1234567890A3") and \
                    payload_type_of(frame.message_code, frame.content) == "gbz":
                folder = subset / cmd.parent.name
                if not folder.exists():
                    folder.mkdir(parents=True)
                    for item in cmd.parent.iterdir():
                        (folder / item.name).symlink_to(item)
        out = Path(tmp) / "out"
        summary = replay(subset, corpus / "rtds-keystore", corpus / "rtds-premises.toml", out)
        report = verify_output(out, corpus / "rtds-keystore", subset)
    conformance = report["conformance"]
    print(f"\nGBZ replay: {summary['commands']} commands, {summary['responses']} responses; conformance "
          f"{conformance['conforming']}/{conformance['responses']}, alerts matched "
          f"{conformance['matched_alerts']}/{conformance['reference_alerts']}")
    assert summary["errors"] == []
    assert conformance["conforming"] >= MIN_GBZ_CONFORMING
    assert conformance["matched_alerts"] >= MIN_GBZ_ALERTS
