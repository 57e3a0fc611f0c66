"""Events and event configuration at the GSME / GPF: CS10a/b (read logs), GCS20 / GCS20r (event configuration).

The event log is the device's :class:`~emulator.logs.DeviceLog` (general events, log id 3)
and security log (log id 4).  Event configurations are kept per event id; an id whose low
byte is 0xFF names every event of its group (the high byte).  The events a device knows
are the GBCS alert / event codes (:func:`gbcs.codes.alert_codes`) but those of other kinds
of device (:func:`known_events`), configured from the profile's ``[zcl_history]
event_configuration`` until a Set Event Configuration.
"""

from __future__ import annotations

from typing import Any

from gbcs.codes import alert_codes

from ..security import Incoming
from ..zigbee import ZigbeeDevice
from .gbz_commands import activate
from .gbz_frame import NOT_FOUND, ZclResult, response_fc
from .gbz_future import EPOCH_2000
from .gbz_handlers import C2S, S2C, on

EVENTS, DEVICE_MANAGEMENT = 0x0709, 0x0708
GENERAL_LOG, SECURITY_LOG = 3, 4
ALL_IN_GROUP = 0xFF
MAX_PER_COMPONENT = 20


# Events that belong to other kinds of device, by their GBCS names: electricity metering
# (the 0x80xx voltage, current and power-factor events, phase sequence, polarity, reverse
# current, terminal cover), the Comms Hub's link to the ESME, and the GPF's own events.
ELECTRICITY_EVENTS = frozenset({0x81A2, 0x81A3, 0x81B7, 0x81B8, 0x81BB, 0x81C1})
GPF_EVENTS = frozenset({0x8071, 0x819D, 0x819E})


def known_events(kind: str) -> list[int]:
    """The event / alert codes a ZigBee device of ``kind`` has a configuration for."""
    own = GPF_EVENTS if kind == "GPF" else frozenset()
    return [code for code in alert_codes()
            if code in own or not (code >> 8 == 0x80 or code in ELECTRICITY_EVENTS or code in GPF_EVENTS)]


def _configurations(device: ZigbeeDevice) -> dict[int, int]:
    found = device.gbz_state.get("event_configuration")
    if found is None:
        from ..gsme import zcl_history

        default = int(zcl_history(device.profile.path).get("event_configuration", 0))
        found = {code: default for code in known_events(device.profile.kind)}
        device.gbz_state["event_configuration"] = found
    return found


def _matching(configurations: dict[int, int], event_id: int) -> list[int]:
    if event_id & 0xFF == ALL_IN_GROUP:
        return sorted(code for code in configurations if code >> 8 == event_id >> 8)
    return [event_id] if event_id in configurations else []


@on(DEVICE_MANAGEMENT, S2C, 0x04)
def set_event_configuration(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any],
                            fields: dict[str, Any]) -> Any:
    """GCS20: apply a configuration to the listed events (by list) or to an event group (by group)."""
    configurations = _configurations(device)
    payload = fields.get("configuration_payload") or {}

    def apply() -> Any:
        if "event_ids" in payload:
            targets = [i for event_id in payload["event_ids"] for i in _matching(configurations, event_id)]
        else:
            raw = bytes.fromhex(payload.get("hex", ""))
            group = raw[0] if raw else None
            targets = [code for code in configurations if code >> 8 == group]
        if not targets:
            return NOT_FOUND
        for code in targets:
            configurations[code] = fields.get("event_configuration", 0)
        device.gbz_state.setdefault("configured_events", set()).update(targets)  # usecases/alert_behaviour.py
        return None

    fields = {**fields, "start_time": fields.get("start_date_time", 0)}
    return activate(device, incoming, comp, fields, apply)


@on(DEVICE_MANAGEMENT, S2C, 0x05)
def get_event_configuration(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any],
                            fields: dict[str, Any]) -> Any:
    """GCS20r: Report Event Configuration for one event or a group (one component holds them all)."""
    configurations = _configurations(device)
    codes = _matching(configurations, fields.get("event_id", 0))
    if not codes:
        return NOT_FOUND
    fc = response_fc(comp["zcl"]["frame_control"], True, no_default=False)
    return ZclResult(0x04, fc, fields={
        "command_index": 0, "total_number_of_commands": 1,
        "events": [{"event_id": code, "event_configuration": configurations[code]} for code in codes]})


@on(EVENTS, C2S, 0x00)
def get_event_log(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """CS10a / CS10b: the events of a log in [start time, end time], newest first; NOT_FOUND when none."""
    log_id = fields.get("event_control_log_id", 0) & 0x0F
    logs = {GENERAL_LOG: device.event_log, SECURITY_LOG: device.security_log}
    chosen = [logs[log_id]] if log_id in logs else list(logs.values()) if log_id == 0 else []
    start = EPOCH_2000 + fields.get("start_time", 0)
    end = EPOCH_2000 + (fields.get("end_time", 0) or 0xFFFFFFFF)
    wanted = fields.get("event_id", 0)
    events = sorted(((entry.time, GENERAL_LOG if log is device.event_log else SECURITY_LOG, entry.code)
                     for log in chosen for entry in log.entries()
                     if start <= entry.time <= end and entry.code and (not wanted or entry.code == wanted)),
                    reverse=True)
    offset = fields.get("event_offset", 0)
    count = fields.get("number_of_events", 0) or MAX_PER_COMPONENT
    page = events[offset:offset + count]
    if not page:
        return NOT_FOUND
    return ZclResult(0x01, response_fc(comp["zcl"]["frame_control"], True), fields={
        "total_number_of_matching_events": len(events), "command_index": 0, "total_number_of_commands": 1,
        "log_payload_control": 0,
        "events": [{"log_id": log, "event_id": code & 0xFFFF, "event_time": int(when) - EPOCH_2000,
                    "event_data": ""} for when, log, code in page]})
