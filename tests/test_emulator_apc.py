"""Auxiliary controllers (requirements §7): ECS47a / ECS47e / ECS46d rules, ECS101 / ECS102, the event log, SAPC."""

from __future__ import annotations

import pytest

from emulator import cosem_time
from emulator.clock import VirtualClock
from emulator.cosem_classes import node, structure
from emulator.device import Device
from emulator.kinds import create_device
from emulator.profiles import load_profile
from emulator.testkit import RemoteParties, access_request
from gbcs.message import decode_message

EUI = bytes.fromhex("00DB1234567890E6")
START = "2021-03-01T12:00:00Z"
LIMIT_SCRIPT = bytes((0, 0, 10, 0, 107, 255))
STATE_SCRIPT = bytes((0, 0, 10, 0, 103, 255))
EVENT_LOG = bytes((0, 17, 99, 98, 2, 255))
NULL = {"type": "null"}
LOAD_CONTROLLER, SUPPLIER = 8, 2


@pytest.fixture
def esme(parties: RemoteParties) -> Device:
    return create_device(load_profile("esme-apc"), EUI, VirtualClock(START), parties.anchors)


def _send(parties: RemoteParties, device: Device, code: int, counter: int, instructions: list,
          role: int = SUPPLIER, signed: bool = True) -> tuple[dict | None, list[bytes]]:
    out = device.handle(parties.command(device, code, access_request(counter, instructions), counter,
                                        role=role, signed=signed))
    if out.response is None:
        return None, out.alerts
    return decode_message(out.response), out.alerts


def _results(tree: dict | None) -> list[int]:
    assert tree is not None
    return [r["result"] for r in tree["payload"]["results"]]


def _window(device: Device, start: float, end: float, number: int, member: int, selector: int,
            script: bytes) -> list:
    first = bytes((0, 0, 94, 44, 116 + number, member))
    second = bytes((0, 0, 94, 44, 116 + number, member + 1))
    return [
        ("set", 1, first, 2, node("octet-string", cosem_time.encode(start).hex())),
        ("set", 1, second, 2, node("octet-string", cosem_time.encode(end).hex())),
        ("action", 9, script, 1, node("long-unsigned", selector)),
    ]


def _limit(device: Device, start: float, end: float, number: int = 1, level: int = 40) -> list:
    return _window(device, start, end, number, 3, (0x10 | number) << 8 | level, LIMIT_SCRIPT)


def _state(device: Device, number: int, level: int, direction: int = 0x1) -> list:
    now = device.now()
    return _window(device, now, now + 3600, number, 1, ((direction << 4) | number) << 8 | level, STATE_SCRIPT)


def _alert_members(alert: bytes) -> tuple[int, list]:
    tree = decode_message(alert)
    return tree["message_code"], tree["payload"]["notification"]["value"]


def test_limit_apc_alerts_when_processed_and_when_ended(parties: RemoteParties, esme: Device) -> None:
    now = esme.now()
    tree, alerts = _send(parties, esme, 0x011F, 1, _limit(esme, now + 600, now + 4200), role=LOAD_CONTROLLER)
    assert _results(tree) == [0, 0, 0]
    assert len(alerts) == 1 and parties.check(esme, alerts[0])["signature_valid"] is True
    code, members = _alert_members(alerts[0])
    assert code == 0x0121 and members[0]["value"] == 0x8F86
    assert members[2] == node("unsigned", 0x11) and members[5] == node("unsigned", 40)
    assert esme.clock.run_until_idle() == 1
    code, members = _alert_members(esme.outbox[-1])
    assert code == 0x0122 and members[0]["value"] == 0x8F87 and members[3] == node("unsigned", 100)


@pytest.mark.parametrize("start, end", [(600, 600), (600, 0), (0, 24 * 3600 + 1)])
def test_limit_window_must_end_after_start_within_24_hours(parties: RemoteParties, esme: Device, start: int,
                                                           end: int) -> None:
    now = esme.now()
    tree, alerts = _send(parties, esme, 0x011F, 2, _limit(esme, now + start, now + end), role=LOAD_CONTROLLER)
    assert _results(tree) == [250, 250, 250] and alerts == []
    tree, _ = _send(parties, esme, 0x011F, 3, _limit(esme, now, now + 24 * 3600), role=LOAD_CONTROLLER)
    assert _results(tree) == [0, 0, 0]  # exactly 24 hours is allowed


def test_limit_apc_only_from_the_load_controller(parties: RemoteParties, esme: Device) -> None:
    now = esme.now()
    tree, _ = _send(parties, esme, 0x011F, 4, _limit(esme, now, now + 60), role=SUPPLIER)
    assert tree is None


def test_state_levels_and_controllers_are_checked(parties: RemoteParties, esme: Device) -> None:
    assert _results(_send(parties, esme, 0x011E, 5, _state(esme, 1, 101))[0]) == [250, 250, 250]
    assert _results(_send(parties, esme, 0x011E, 6, _state(esme, 4, 50))[0]) == [250, 250, 250]  # 3 configured
    assert _results(_send(parties, esme, 0x011E, 7, _state(esme, 1, 50, direction=0x2))[0]) == [250, 250, 250]
    assert _results(_send(parties, esme, 0x011E, 8, _state(esme, 2, 50, direction=0x2))[0]) == [0, 0, 0]
    assert _results(_send(parties, esme, 0x011E, 9, _state(esme, 1, 100))[0]) == [0, 0, 0]


def test_event_log_records_and_clears(parties: RemoteParties, esme: Device) -> None:
    _send(parties, esme, 0x011E, 10, _state(esme, 3, 100))
    read = [("get", 7, EVENT_LOG, 2, NULL)]
    tree, _ = _send(parties, esme, 0x00FD, 11, read, signed=False)
    rows = tree["payload"]["data"][0]["value"]
    assert len(rows) == 1 and [cell["type"] for cell in rows[0]["value"]] == [
        "double-long-unsigned", "long-unsigned", "enum", "double-long-unsigned"]
    assert rows[0]["value"][2]["value"] == 1  # outcome: success
    tree, _ = _send(parties, esme, 0x00C1, 12, [("action", 7, EVENT_LOG, 1, node("integer", 0))], signed=False)
    assert _results(tree) == [0]
    tree, _ = _send(parties, esme, 0x00FD, 13, read, signed=False)
    assert tree["payload"]["data"][0]["value"] == []


def _calendar(schedules: int, special_days: int, level: int = 50) -> list:
    entry = [structure(node("long-unsigned", i), node("boolean", True), node("octet-string", STATE_SCRIPT.hex()),
                       node("long-unsigned", 0x1100 | level), node("octet-string", "09000000"),
                       node("long-unsigned", 0xFFFF), {"type": "bit-string", "bits": 7, "value": "FE"},
                       {"type": "bit-string", "bits": 3, "value": "E0"}, node("octet-string", "FFFF0101FF"),
                       node("octet-string", "FFFF0C1FFF")) for i in range(1, schedules + 1)]
    days = [structure(node("long-unsigned", i), node("octet-string", "FFFF0101FF"), node("unsigned", 1))
            for i in range(1, special_days + 1)]
    return [("set", 11, bytes((0, 1, 11, 0, 3, 255)), 2, node("array", days)),
            ("set", 10, bytes((0, 1, 12, 0, 2, 255)), 2, node("array", entry))]


def test_calendar_limits(parties: RemoteParties, esme: Device) -> None:
    assert _results(_send(parties, esme, 0x011A, 14, _calendar(120, 20))[0]) == [0, 0]
    assert _results(_send(parties, esme, 0x011A, 15, _calendar(121, 1))[0]) == [250, 250]
    assert _results(_send(parties, esme, 0x011A, 16, _calendar(1, 21))[0]) == [250, 250]
    assert _results(_send(parties, esme, 0x011A, 17, _calendar(1, 1, level=101))[0]) == [250, 250]


def test_controller_reads(parties: RemoteParties, esme: Device) -> None:
    tree, _ = _send(parties, esme, 0x011C, 18, [("get", 1, bytes((0, 0, 94, 44, 0, 11)), 2, NULL)], signed=False)
    assert tree["payload"]["data"][0]["type"] == "visible-string"
    tree, _ = _send(parties, esme, 0x011D, 19, [("get", 1, bytes((0, 0, 94, 44, 0, 31)), 2, NULL)], signed=False)
    assert tree["payload"]["data"][0]["type"] == "utf8-string"


def test_sapc_is_an_esme_with_five_apcs(parties: RemoteParties) -> None:
    sapc = create_device(load_profile("generic-sapc"), EUI, VirtualClock(START), parties.anchors)
    assert sapc.kind == "ESME" and sapc.profile.kind == "SAPC"
    assert _results(_send(parties, sapc, 0x011E, 20, _state(sapc, 5, 30))[0]) == [0, 0, 0]
