"""GBZ use cases at the GSME and GPF: each command component executed against the ZCL attribute server.

Profile-wide Read Attributes answer from the model (a GPF answers GSME clusters from
its copy), Write Attributes change it; cluster-specific commands go to the handlers of
:mod:`.gbz_commands` (specific responses and state changes), and "publish" commands
the head end sends server-to-client are kept by the device.  A component with a future
from-date-time (CF bit 4), or a command of a future-dated use case whose start time is
in the future, is stored and executed later (:mod:`.gbz_future`); reads are never
deferred.  Every command component gets a response component of the same cluster and
sequence number (several for a Get answered by several publishes; gbcs spec §3.2).
"""

from __future__ import annotations

from typing import Any

from gbcs.errors import DecodeError
from gbcs.gbz import decode_gbz
from gbcs.gbz.codec import CF_ENCRYPTED
from gbcs.gbz.zcl_names import command_name
from gbcs.gbz.zcl_records import (
    READ_ATTRIBUTES,
    READ_ATTRIBUTES_RESPONSE,
    WRITE_ATTRIBUTES,
    WRITE_NO_RESPONSE,
    WRITE_RESPONSE,
    WRITE_UNDIVIDED,
)

from ..device import Device, Reply
from ..registry import handles
from ..security import Incoming
from ..zcl_model import INVALID_DATA_TYPE, UNSUPPORTED_ATTRIBUTE, ZclModel
from ..zigbee import ZigbeeDevice
from . import (  # noqa: F401  (they register handlers)
    gbz_events,
    gbz_future,
    gbz_history,
    gbz_metering,
    gbz_prepayment,
    gbz_price,
)
from .gbz_commands import keep_publish
from .gbz_faults import faulted, not_processed
from .gbz_frame import (
    SERVER_TO_CLIENT,
    SUCCESS,
    UNSUP_CLUSTER_COMMAND,
    UNSUP_GENERAL_COMMAND,
    ZclResult,
    build_reply,
    default_response,
    response_fc,
)
from .gbz_handlers import HANDLERS

MALFORMED_COMMAND = 0x80


@handles(kinds=("GSME", "GPF"), payload="gbz")
def execute_gbz(device: Device, incoming: Incoming) -> Reply | None:
    """Execute every component of a GBZ command; a payload that does not decode is logged and alerted."""
    frame = incoming.frame
    try:
        tree = decode_gbz(frame.content, frame.content_offset, 1, incoming.code)
    except DecodeError as exc:
        device.refuse_malformed(f"payload: {exc}")
        return None
    if not isinstance(device, ZigbeeDevice):
        return None
    components = tree.get("components") or []
    fault = device.active_fault
    fault_at = fault.index(len(components)) if fault is not None and components else -1
    answers = []
    for i, comp in enumerate(components):
        if 0 <= fault_at < i:
            answer = not_processed(comp)
        elif i == fault_at:
            answer = faulted(device, comp, lambda comp=comp: execute_component(device, incoming, comp))
        else:
            answer = execute_component(device, incoming, comp)
        answers.append((comp["cluster"], comp["zcl"]["sequence"], answer))
    return build_reply(incoming.code, answers)


def execute_component(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any]) -> ZclResult | list[ZclResult]:
    """The response to one command component (deferring it when it is future-dated)."""
    zcl = comp["zcl"]
    fc, command = zcl["frame_control"], zcl["command"]
    if comp["control"] & CF_ENCRYPTED or "undecoded" in zcl:
        return default_response(fc, command, MALFORMED_COMMAND)
    when = comp.get("from_date_time")
    if when is not None and not is_read(comp) and gbz_future.is_future(device, when):
        gbz_future.defer(device, incoming, comp, when, lambda: run_component(device, incoming, comp))
        return default_response(fc, command, SUCCESS)
    return run_component(device, incoming, comp)


def is_read(comp: dict[str, Any]) -> bool:
    """Read Attributes and the cluster "Get" commands change nothing: a from-date-time does not defer them."""
    zcl = comp["zcl"]
    if zcl["frame_control"] & 3 == 0:
        return zcl["command"] == READ_ATTRIBUTES
    name = command_name(comp["cluster"], zcl["frame_control"], zcl["command"]) or ""
    return name.startswith("Get")


def run_component(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any]) -> ZclResult | list[ZclResult]:
    """Execute one component now."""
    cluster, zcl = comp["cluster"], comp["zcl"]
    fc, command = zcl["frame_control"], zcl["command"]
    if fc & 0x04:  # manufacturer specific
        return default_response(fc, command, UNSUP_CLUSTER_COMMAND if fc & 3 else UNSUP_GENERAL_COMMAND)
    if fc & 3 == 0:
        return _profile_wide(device, cluster, fc, command, zcl)
    direction = 1 if fc & SERVER_TO_CLIENT else 0
    handler = HANDLERS.get((cluster, direction, command))
    fields = zcl.get("fields") or {}
    if handler is not None:
        outcome = handler(device, incoming, comp, fields)
    elif direction == 1:  # a publish from the head end (the device is this cluster's client)
        outcome = keep_publish(device, incoming, comp, fields)
    else:
        outcome = UNSUP_CLUSTER_COMMAND
    if isinstance(outcome, (ZclResult, list)):
        return outcome
    return default_response(fc, command, SUCCESS if outcome is None else outcome)


def _profile_wide(device: ZigbeeDevice, cluster: int, fc: int, command: int, zcl: dict[str, Any]) -> ZclResult:
    model = device.model_for(cluster)
    now = device.now()
    if command == READ_ATTRIBUTES:
        records = []
        for rec in zcl.get("records") or ():
            status, type_id, value = model.read(cluster, rec["attribute"], now)
            out: dict[str, Any] = {"attribute": rec["attribute"], "status": status}
            if status == SUCCESS:
                out.update(type=type_id, value=value)
            records.append(out)
        return ZclResult(READ_ATTRIBUTES_RESPONSE, response_fc(fc, False, no_default=False), records=records,
                         sensitive=True)
    if command in (WRITE_ATTRIBUTES, WRITE_UNDIVIDED, WRITE_NO_RESPONSE):
        return _write(model, cluster, fc, command, zcl.get("records") or [], now)
    return default_response(fc, command, UNSUP_GENERAL_COMMAND)


def _write(model: ZclModel, cluster: int, fc: int, command: int, records: list[dict[str, Any]],
           now: float) -> ZclResult:
    """Write Attributes: each record on its own; Write Attributes Undivided: all or none."""
    if command == WRITE_UNDIVIDED:
        refused = [{"attribute": rec["attribute"], "status": UNSUPPORTED_ATTRIBUTE if t is None else INVALID_DATA_TYPE}
                   for rec in records
                   if (t := model.type_of(cluster, rec["attribute"])) != rec.get("type")]
    else:
        refused = []
    if not refused:
        for rec in records:
            status = model.write(cluster, rec["attribute"], rec.get("type", -1), rec.get("value"), now)
            if status != SUCCESS:
                refused.append({"attribute": rec["attribute"], "status": status})
    reply_fc = response_fc(fc, False, no_default=False)
    if refused:
        return ZclResult(WRITE_RESPONSE, reply_fc, records=refused)
    return ZclResult(WRITE_RESPONSE, reply_fc, fields={"status": SUCCESS})
