"""Snapshots at the GSME / GPF: daily snapshots of the metering and prepayment registers.

The device takes a snapshot at each UTC midnight; its age (``[history] commissioned_days_ago``,
or ``[zcl_history] days``) says how many days the device had been running before the clock's
start, so a fresh device already holds that history.  Register values at a snapshot come from the model on the
virtual clock.  Get Snapshot / Get Prepay Snapshot select the ``snapshot_offset``-th
newest snapshot in [earliest start, latest end] (the snapshot cause filter is not applied).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..security import Incoming
from ..zigbee import ZigbeeDevice
from .gbz_frame import NOT_FOUND, ZclResult, response_fc
from .gbz_future import EPOCH_2000
from .gbz_handlers import C2S, on

METERING, PREPAYMENT = 0x0702, 0x0705
DAY = 86_400
GENERAL_CAUSE = 0x00000001
TOU_DELIVERED, DEBT_CREDIT_STATUS = 0, 0  # snapshot payload types of the two clusters


def history_days(device: ZigbeeDevice) -> int:
    """Days of history the device holds from before commissioning.

    Its age (:func:`emulator.history.set_age`, else the profile's ``[history]
    commissioned_days_ago``) when it has one, else the profile's ``[zcl_history] days``.
    """
    from ..gsme import zcl_history
    from ..history import AGE_KEY, history_table, profile_age

    age = device.gbz_state.get(AGE_KEY)
    if age is None and "commissioned_days_ago" in history_table(device.profile.path):
        age = profile_age(device.profile.path)
    return int(age if age is not None else zcl_history(device.profile.path).get("days", 0))


def snapshot_times(device: ZigbeeDevice, earliest: int, latest: int) -> list[int]:
    """Midnights (ZCL seconds) with a snapshot in [earliest, latest], newest first."""
    model = device.model_for(METERING)
    first = int(model.epoch) - EPOCH_2000 - history_days(device) * DAY
    last = int(device.now()) - EPOCH_2000 - 1  # a snapshot exists once its midnight has passed
    low, high = max(earliest, first), min(latest, last)
    start = -(-low // DAY) * DAY
    return list(range(high - high % DAY, start - 1, -DAY)) if high >= start else []


def _select(device: ZigbeeDevice, fields: dict[str, Any]) -> tuple[int, int] | None:
    times = snapshot_times(device, fields.get("earliest_start_time", 0), fields.get("latest_end_time", 0xFFFFFFFF))
    offset = fields.get("snapshot_offset", 0)
    return (times[offset], len(times)) if offset < len(times) else None


def _metering_payload(device: ZigbeeDevice, when: int) -> bytes:
    """TOU Information Set Delivered Registers: summation, bill to date, projected bill, no tiers."""
    summation = device.model_for(METERING).get(METERING, 0x0000, EPOCH_2000 + when)
    return summation.to_bytes(6, "little") + struct.pack("<IIIIBB", 0, when, 0, when, 0, 0)


def _prepayment_payload(device: ZigbeeDevice, when: int) -> bytes:
    """Debt / Credit Status: accumulated debt, the three debts, emergency credit and credit remaining."""
    model = device.model_for(PREPAYMENT)
    at = EPOCH_2000 + when
    return struct.pack("<iIIIii", model.get(PREPAYMENT, 0x0005, at), model.get(PREPAYMENT, 0x0211, at),
                       model.get(PREPAYMENT, 0x0221, at), model.get(PREPAYMENT, 0x0231, at),
                       model.get(PREPAYMENT, 0x0002, at), model.get(PREPAYMENT, 0x0001, at))


def _publish_snapshot(device: ZigbeeDevice, comp: dict[str, Any], fields: dict[str, Any], command: int,
                      time_field: str, payload_type: int, payload: Callable[[ZigbeeDevice, int], bytes]) -> Any:
    """The snapshot the Get selects, as a Publish (Prepay) Snapshot response, or NOT_FOUND."""
    found = _select(device, fields)
    if found is None:
        return NOT_FOUND
    when, total = found
    return ZclResult(command, response_fc(comp["zcl"]["frame_control"], True), sensitive=True, fields={
        "snapshot_id": when // DAY, time_field: when, "total_snapshots_found": min(total, 0xFF),
        "command_index": 0, "total_number_of_commands": 1, "snapshot_cause": GENERAL_CAUSE,
        "snapshot_payload_type": payload_type, "snapshot_payload": payload(device, when).hex().upper()})


@on(METERING, C2S, 0x06)
def get_snapshot(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS15b / GCS15c / GCS16a: Publish Snapshot of the metering registers."""
    return _publish_snapshot(device, comp, fields, 0x06, "snapshot_capture_time", TOU_DELIVERED, _metering_payload)


@on(PREPAYMENT, C2S, 0x07)
def get_prepay_snapshot(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any],
                        fields: dict[str, Any]) -> Any:
    """GCS15b / GCS16b: Publish Prepay Snapshot of the debt and credit registers."""
    return _publish_snapshot(device, comp, fields, 0x01, "snapshot_time", DEBT_CREDIT_STATUS, _prepayment_payload)
