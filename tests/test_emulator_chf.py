"""The emulated CHF alerts changes of its device log (CS14, 0x8F12) and Sub-GHz configuration (DBCH09, 0x8F2A)."""

from __future__ import annotations

import pytest

from emulator.clock import VirtualClock
from emulator.cosem_classes import node, structure
from emulator.device import Device
from emulator.kinds import create_device
from emulator.testkit import RemoteParties, access_request
from gbcs.framing import parse_frame
from gbcs.message import decode_message

EUI = bytes.fromhex("00DB1234567890E2")
ESME = "00DB1234567890E0"
GSME = "00DB1234567890E1"
HAN = bytes((0, 0, 30, 3, 0, 255))
SUB_GHZ = bytes((0, 0, 94, 44, 10, 0))
KEY = "30313233343536373839414243444546"


@pytest.fixture
def chf(parties: RemoteParties) -> Device:
    return create_device("CHF", EUI, VirtualClock("2020-06-01T12:00:00Z"), parties.anchors)


def _send(parties: RemoteParties, chf: Device, code: int, counter: int, instructions: list) -> tuple[list, list]:
    """The instruction results and the decoded alerts (each checked: MAC'd, not signed)."""
    out = chf.handle(parties.command(chf, code, access_request(counter, instructions), counter, role=4))
    assert out.response is not None, chf.security_log.entries() + chf.event_log.entries()
    alerts = []
    for raw in out.alerts:
        checked = parties.check(chf, raw)
        assert checked["mac_valid"] is True and parse_frame(raw).mac_header
        tree = decode_message(raw)
        assert tree["signature_form"] == "null" and tree["cra"] == "alert"
        alerts.append(tree)
    return [r["result"] for r in decode_message(out.response)["payload"]["results"]], alerts


def _entry(eui: str) -> dict:
    return structure(node("octet-string", eui), node("enum", 1), node("octet-string", KEY), node("enum", 0))


def _logged(alert: dict) -> list[str]:
    code, _, log = alert["payload"]["notification"]["value"]
    assert code["value"] == 0x8F12 and alert["message_code"] == 0x0018
    return [entry["value"][0]["value"] for entry in log["value"][2]["value"]]


def test_device_log_changes_raise_cs14(parties: RemoteParties, chf: Device) -> None:
    results, alerts = _send(parties, chf, 0x0001, 10, [("action", 104, HAN, 1, _entry(ESME))])  # CCS01
    assert results == [0] and [_logged(a) for a in alerts] == [[ESME]]
    _, alerts = _send(parties, chf, 0x0001, 11, [("action", 104, HAN, 1, _entry(GSME))])
    assert [_logged(a) for a in alerts] == [[ESME, GSME]]
    first_entry = alerts[0]["payload"]["notification"]["value"][2]["value"][2]["value"][0]
    assert first_entry["value"][1]["value"] == KEY  # each entry: EUI and its install code key
    _, alerts = _send(parties, chf, 0x0001, 12, [("action", 104, HAN, 1, _entry(GSME))])
    assert alerts == []  # already in the log: no change, no alert
    _, alerts = _send(parties, chf, 0x0002, 13, [("action", 104, HAN, 2, node("octet-string", GSME))])  # CCS02
    assert [_logged(a) for a in alerts] == [[ESME]]
    _, alerts = _send(parties, chf, 0x0002, 14, [("action", 104, HAN, 2, node("octet-string", GSME))])
    assert alerts == []
    backup = structure(node("octet-string", "0001020304050607"), node("array", [
        structure(node("octet-string", ESME), node("octet-string", KEY)),
        structure(node("octet-string", GSME), node("octet-string", KEY))]))
    results, alerts = _send(parties, chf, 0x0003, 15, [("action", 104, HAN, 5, backup)])  # CCS03
    assert results == [0] and [_logged(a) for a in alerts] == [[ESME, GSME]]


def test_sub_ghz_configuration_change_raises_dbch09(parties: RemoteParties, chf: Device) -> None:
    configuration = chf.read_attribute(1, SUB_GHZ, 2)
    configuration["value"][4] = node("long-unsigned", 130)
    results, alerts = _send(parties, chf, 0x010D, 20, [("set", 1, SUB_GHZ, 2, configuration)])  # DBCH04
    assert results == [0] and len(alerts) == 1
    code, _, data = alerts[0]["payload"]["notification"]["value"]
    assert (alerts[0]["message_code"], code["value"]) == (0x0113, 0x8F2A)
    assert data["value"][4]["value"] == 130
    assert chf.read_attribute(1, SUB_GHZ, 2)["value"][4]["value"] == 130
    _, alerts = _send(parties, chf, 0x010C, 21, [("get", 1, SUB_GHZ, 2, {"type": "null"})])  # DBCH03 reads it
    assert alerts == []
