"""Device-wide use cases: CS06 firmware activation, CS08 firmware version, CS10a/b and CS11 ZigBee logs."""

from __future__ import annotations

from lxml import etree

from gbcs.gbz import encode_gbz

from .cs_helpers import asn1, execution_time, generalized_time, log_period, result, supplementary_remote_party
from .registry import TransformContext, Transformed, TransformError, transform_for
from .xml_values import hex_bytes, text

EVENTS_CLUSTER, GET_EVENT_LOG, CLEAR_EVENT_LOG = 0x0709, 0x00, 0x01
CLUSTER_SPECIFIC_C2S = 0x01
GENERAL_EVENT_LOG, SECURITY_EVENT_LOG = 3, 4  # ZigBee Events cluster log ids
FULL_INFORMATION = 0x10  # Event Control (high nibble): retrieve full event information (CS10a)
# DUIS LogToRead -> (use case, Event Control | Log ID)
LOGS = {"Event": ("CS10a", FULL_INFORMATION | GENERAL_EVENT_LOG), "Security": ("CS10b", SECURITY_EVENT_LOG)}
ALL_EVENTS = 0  # GetEventLog Event ID 0: every event
ALL_MATCHING = 0  # Number of Events 0: all that match


def _events_command(command: int, fields: dict[str, int]) -> bytes:
    component = {"control": 0x01, "cluster": EVENTS_CLUSTER,
                 "zcl": {"frame_control": CLUSTER_SPECIFIC_C2S, "sequence": 0, "command": command, "fields": fields}}
    return encode_gbz({"profile": 0x0109, "components": [component]})


@transform_for("CS06")
def activate_firmware(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS06: the firmware hash, the command's counter and the execution date-time when future dated."""
    image_hash = hex_bytes(body, "FirmwareHash", ctx.use_case, length=32)
    assert image_hash is not None
    value: dict[str, object] = {"manufacturerImageHash": image_hash.hex().upper(), "originatorCounter": ctx.counter}
    when = execution_time(body, ctx)
    if when is not None:
        value["executionDateTime"] = generalized_time(when)
    return asn1(ctx, "ActivateFirmwareCommand", value)


@transform_for("CS08")
def read_firmware_version(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS08: ReadFirmwareVersionCommand (NULL), sent by the ACB for the User."""
    return asn1(ctx, "ReadFirmwareVersionCommand", None, other_information=supplementary_remote_party(ctx))


@transform_for("CS10a", "CS10b")
def read_event_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS10a / CS10b: GetEventLog for the log and period of the request."""
    log = text(body, "LogToRead", ctx.use_case)
    if log not in LOGS or LOGS[log][0] != ctx.use_case:
        raise TransformError(ctx.use_case, f"LogToRead: {log!r} is not read with {ctx.use_case}")
    start, end = log_period(body, "ReadLogPeriod", ctx.use_case)
    return result(ctx, "gbz", _events_command(GET_EVENT_LOG, {
        "event_control_log_id": LOGS[log][1], "event_id": ALL_EVENTS, "start_time": start, "end_time": end,
        "number_of_events": ALL_MATCHING, "event_offset": 0}))


@transform_for("CS11")
def clear_event_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS11: ClearEventLogRequest for the general event log (ESMEEventLogType is for ECS15a/c)."""
    if text(body, "ESMEEventLogType", ctx.use_case, required=False) is not None:
        raise TransformError(ctx.use_case, "ESMEEventLogType: not part of CS11")
    return result(ctx, "gbz", _events_command(CLEAR_EVENT_LOG, {"log_id": GENERAL_EVENT_LOG}))
