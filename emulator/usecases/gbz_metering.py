"""Metering cluster commands at the GSME / GPF: sampling (GCS31 / GCS18 / GCS61), supply and snapshots.

Samples are differences of the consumption register over each sampling interval,
computed from the model on the virtual clock when they are asked for.
"""

from __future__ import annotations

from typing import Any

from ..security import Incoming
from ..zigbee import ZigbeeDevice
from .gbz_commands import activate
from .gbz_frame import NOT_FOUND, ZclResult, response_fc
from .gbz_future import EPOCH_2000
from .gbz_handlers import C2S, on

METERING = 0x0702
SUMMATION, SUPPLY_STATUS = 0x0000, 0x0014
INVALID_SAMPLE_ID = 0xFFFF
MAX_SAMPLES = 0xFFFF
MAX_INTERVAL = 0xFFFF  # the response's interval is a uint16 of seconds: a daily session reports its maximum


def sessions(device: ZigbeeDevice) -> dict[int, dict[str, Any]]:
    """The sampling sessions: the profile's standing ones (running since the history start) and started ones."""
    found = device.gbz_state.get("samples")
    if found is None:
        from ..gsme import zcl_history
        from .gbz_history import DAY, history_days

        start = int(device.model_for(METERING).epoch) - EPOCH_2000 - history_days(device) * DAY
        standing = zcl_history(device.profile.path).get("samples", {})
        found = {int(k): {"start": start, "interval": int(v["interval"]), "type": int(v.get("type", 0)), "max": 0}
                 for k, v in standing.items()}
        device.gbz_state["samples"] = found
    return found


@on(METERING, C2S, 0x07)
def start_sampling(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """Start a sampling session; the response names its sample id (0xFFFF when it cannot start)."""
    running = sessions(device)
    interval = fields.get("sample_request_interval", 0)
    if not interval:
        sample_id = INVALID_SAMPLE_ID
    else:
        sample_id = max(running, default=0) + 1
        start = fields.get("start_sampling_time", 0) or int(device.now()) - EPOCH_2000
        running[sample_id] = {"start": start, "interval": interval, "type": fields.get("sample_type", 0),
                               "max": fields.get("max_number_of_samples", 0)}
    return ZclResult(0x0D, response_fc(comp["zcl"]["frame_control"], True, no_default=False),
                     fields={"sample_id": sample_id}, failed=sample_id == INVALID_SAMPLE_ID)


@on(METERING, C2S, 0x08)
def get_sampled_data(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """The samples of a session taken so far; NOT_FOUND for an unknown session or no sample yet."""
    session = sessions(device).get(fields.get("sample_id"))
    if session is None:
        return NOT_FOUND
    model = device.model_for(METERING)
    start, interval = session["start"], session["interval"]
    earliest = max(start, fields.get("earliest_sample_time", 0))
    now = int(device.now()) - EPOCH_2000
    taken = max(0, (now - start) // interval)
    first = max(0, -(-(earliest - start) // interval))
    count = min(taken - first, fields.get("number_of_samples", 0) or MAX_SAMPLES, session["max"] or MAX_SAMPLES)
    if count <= 0:
        return NOT_FOUND
    reads = [model.get(METERING, SUMMATION, EPOCH_2000 + start + (first + i) * interval) for i in range(count + 1)]
    samples = [(b - a) & 0xFFFFFF for a, b in zip(reads, reads[1:], strict=False)]
    return ZclResult(0x07, response_fc(comp["zcl"]["frame_control"], True), sensitive=True, fields={
        "sample_id": fields["sample_id"], "sample_start_time": start + first * interval,
        "sample_type": session["type"], "sample_request_interval": min(interval, MAX_INTERVAL),
        "number_of_samples": count,
        "samples": samples})


@on(METERING, C2S, 0x0B)
def change_supply(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS32 / GCS39: arm / close / open the valve; the Supply Status Response gives the new state."""
    model = device.model_for(METERING)

    def apply() -> None:
        model.set(METERING, SUPPLY_STATUS, fields.get("proposed_supply_status", 0))

    activate(device, incoming, comp, fields, apply)
    return ZclResult(0x0C, response_fc(comp["zcl"]["frame_control"], True, no_default=False), fields={
        "provider_id": fields.get("provider_id", 0), "issuer_event_id": fields.get("issuer_event_id", 0),
        "implementation_date_time": fields.get("implementation_date_time", 0),
        "supply_status": model.get(METERING, SUPPLY_STATUS, device.now())})


@on(METERING, C2S, 0x0D, 0x0E)
def supply_settings(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS24 / GCS24a: supply status and uncontrolled flow settings, kept as given."""
    device.gbz_state.setdefault("supply_settings", {})[comp["zcl"]["command"]] = dict(fields)
    return None
