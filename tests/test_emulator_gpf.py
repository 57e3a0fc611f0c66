"""The emulated GPF: its own clusters, its copy of the GSME's data, and the GPF use cases."""

from __future__ import annotations

import pytest
from test_emulator_gsme import component, read, records, send

from emulator.clock import VirtualClock
from emulator.device import Device
from emulator.history import set_age
from emulator.kinds import create_device
from emulator.testkit import RemoteParties
from gbcs.gbz.zcl import decode_zcl_payload

EUI = bytes.fromhex("00DB1234567890E3")
START = "2020-06-01T12:00:00Z"
EPOCH_2000 = 946_684_800
BASIC, METERING, PREPAYMENT, DEVICE_MANAGEMENT = 0x0000, 0x0702, 0x0705, 0x0708


@pytest.fixture
def gpf(parties: RemoteParties) -> Device:
    return create_device("GPF", EUI, VirtualClock(START), parties.anchors)


def test_own_clusters_and_the_gsme_copy(parties: RemoteParties, gpf: Device) -> None:
    basic = records(send(parties, gpf, 0x0082, [read(BASIC, 0x0005)], 1))
    assert bytes.fromhex(basic[0x0005]) == b"generic GPF"
    tree = send(parties, gpf, 0x0074, [read(METERING, 0x0302, 0x0000)], 2)
    plain = decode_zcl_payload(METERING, 0x18, 0x01, tree["plaintexts"][0])["records"]
    assert [r["value"] for r in plain][0] == 1000  # the GSME profile's divisor


def test_read_after_write_on_the_copy(parties: RemoteParties, gpf: Device) -> None:
    write = component(PREPAYMENT, 0x00, 1, 0x02, records=[{"attribute": 0x0031, "type": 0x23, "value": 31337}])
    assert send(parties, gpf, 0x0082, [write], 10)["components"][0]["zcl"]["fields"]["status"] == 0
    assert records(send(parties, gpf, 0x0082, [read(PREPAYMENT, 0x0031)], 11))[0x0031] == 31337


def test_change_of_tenancy_is_kept_and_answered(parties: RemoteParties, gpf: Device) -> None:
    """GCS09: Publish Change of Tenancy (server to client) gets a client-to-server Default Response."""
    publish = component(DEVICE_MANAGEMENT, 0x09, 4, 0x00, fields={
        "provider_id": 0, "issuer_event_id": 1, "tariff_type": 0, "implementation_date_time": 0,
        "proposed_tenancy_change_control": 1})
    zcl = send(parties, gpf, 0x0072, [publish], 20)["components"][0]["zcl"]
    assert (zcl["frame_control"], zcl["sequence"], zcl["command"], zcl["fields"]["status"]) == (0x00, 4, 0x0B, 0)
    assert gpf.model_for(DEVICE_MANAGEMENT).kept(DEVICE_MANAGEMENT, 0x00)[0]["proposed_tenancy_change_control"] == 1


def test_profile_data_log_samples_are_encrypted(parties: RemoteParties, gpf: Device) -> None:
    """GCS17: the standing half-hourly session of the profile, from the copy's consumption register."""
    earliest = int(gpf.now()) - EPOCH_2000 - 86_400
    query = component(METERING, 0x01, 0, 0x08, fields={"sample_id": 0, "earliest_sample_time": earliest,
                                                        "sample_type": 0, "number_of_samples": 10})
    tree = send(parties, gpf, 0x0078, [query], 30)
    comp = tree["components"][0]
    assert comp["control"] == 0x03 and comp["zcl"]["command"] == 0x07
    fields = decode_zcl_payload(METERING, comp["zcl"]["frame_control"], 0x07, tree["plaintexts"][0])["fields"]
    assert fields["number_of_samples"] == 10 and fields["samples"] == [60] * 10  # 120/h over 30 minutes
    unknown = component(METERING, 0x01, 0, 0x08, fields={"sample_id": 9, "earliest_sample_time": earliest,
                                                         "sample_type": 0, "number_of_samples": 10})
    assert send(parties, gpf, 0x0078, [unknown], 31)["components"][0]["zcl"]["fields"]["status"] == 0x8B


def test_daily_consumption_log_has_one_sample_a_day(parties: RemoteParties, gpf: Device) -> None:
    """GCS61: the standing daily session; its interval (86,400 s) does not fit the uint16 field."""
    earliest = int(gpf.now()) - EPOCH_2000 - 2 * 86_400
    query = component(METERING, 0x01, 0, 0x08, fields={"sample_id": 1, "earliest_sample_time": earliest,
                                                        "sample_type": 0, "number_of_samples": 5})
    tree = send(parties, gpf, 0x00A0, [query], 32)
    comp = tree["components"][0]
    fields = decode_zcl_payload(METERING, comp["zcl"]["frame_control"], 0x07, tree["plaintexts"][0])["fields"]
    assert fields["sample_request_interval"] == 0xFFFF
    assert fields["samples"] == [120 * 24] * fields["number_of_samples"] and 1 <= fields["number_of_samples"] <= 2


def test_snapshots_come_from_the_history(parties: RemoteParties, gpf: Device) -> None:
    now = int(gpf.now()) - EPOCH_2000
    comps = [component(PREPAYMENT, 0x01, k, 0x07, fields={"earliest_start_time": now - 5 * 86_400,
                                                         "latest_end_time": now, "snapshot_offset": k,
                                                         "snapshot_cause": 1}) for k in range(3)]
    tree = send(parties, gpf, 0x0096, comps, 40)
    assert [c["control"] & 0x02 for c in tree["components"]] == [2, 2, 0]  # two days of history
    assert tree["components"][2]["zcl"]["fields"]["status"] == 0x8B


def test_an_age_of_zero_days_means_no_snapshots(parties: RemoteParties, gpf: Device) -> None:
    set_age(gpf, 0)  # commissioned at the clock's start: no midnight has passed since
    now = int(gpf.now()) - EPOCH_2000
    query = component(PREPAYMENT, 0x01, 0, 0x07, fields={"earliest_start_time": now - 5 * 86_400,
                                                         "latest_end_time": now, "snapshot_offset": 0,
                                                         "snapshot_cause": 1})
    assert send(parties, gpf, 0x0096, [query], 41)["components"][0]["zcl"]["fields"]["status"] == 0x8B
