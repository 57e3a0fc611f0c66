"""Hardware faults in GBZ commands (:mod:`emulator.faults`): the faulted component and the ones after it.

The faulted component runs against a snapshot of the device's ZCL state: when it fails on
its own content (a rejected top-up, a malformed or unsupported command, a refused write)
that failure is the answer; otherwise its state change is undone and it is answered with
HARDWARE_FAILURE: the first record of a Read Attributes Response; the failure form of a
specific response that carries its own outcome (Start Sampling Response: sample id 0xFFFF;
Clear Event Log Response: nothing cleared); else a Default Response.
"Not found" is not a content failure: a device whose storage fails cannot tell that a log
is empty.  Components after the faulted one are not executed.
"""

from __future__ import annotations

import copy
from typing import Any

from gbcs.gbz.zcl_records import READ_ATTRIBUTES_RESPONSE, WRITE_RESPONSE

from ..faults import ZCL_FAILURE, ZCL_HARDWARE_FAILURE, ZCL_NOT_PROCESSED_COMMAND
from ..zigbee import ZigbeeDevice
from .gbz_frame import DEFAULT_RESPONSE, NOT_FOUND, SUCCESS, ZclResult, default_response

_STATE_SLOTS = ("_zcl", "_mirror", "gbz_state")
METERING, EVENTS = 0x0702, 0x0709
# specific responses that report a failed command in their own fields: (cluster, response command) -> fields
FAILURE_FORMS: dict[tuple[int, int], dict[str, Any]] = {
    (METERING, 0x0D): {"sample_id": 0xFFFF},  # Start Sampling Response
    (EVENTS, 0x02): {"cleared_event_logs": 0},  # Clear Event Log Response
}


def not_processed(comp: dict[str, Any]) -> ZclResult:
    """The answer to a component after the faulted one: Default Response, command 0xFF, FAILURE."""
    return default_response(comp["zcl"]["frame_control"], ZCL_NOT_PROCESSED_COMMAND, ZCL_FAILURE)


def content_failure(result: ZclResult | list[ZclResult]) -> bool:
    """True when a component's answer reports a failure other than "not found"."""
    if isinstance(result, list):
        return any(content_failure(r) for r in result)
    if result.failed:
        return True
    if result.command == DEFAULT_RESPONSE and result.fields is not None:
        return result.fields.get("status") not in (SUCCESS, NOT_FOUND)
    if result.command == WRITE_RESPONSE and result.records:
        return True
    return False


def faulted(device: ZigbeeDevice, comp: dict[str, Any], run: Any) -> ZclResult | list[ZclResult]:
    """Execute ``run()`` for the faulted component and answer as described in the module text."""
    saved = {slot: copy.deepcopy(getattr(device, slot)) for slot in _STATE_SLOTS}
    result = run()
    if content_failure(result):
        return result
    for slot, value in saved.items():
        setattr(device, slot, value)
    first = result[0] if isinstance(result, list) else result
    if first.command == READ_ATTRIBUTES_RESPONSE and first.records:
        records = [dict(r) for r in first.records]
        records[0] = {"attribute": records[0]["attribute"], "status": ZCL_HARDWARE_FAILURE}
        return ZclResult(first.command, first.frame_control, records=records, sensitive=first.sensitive)
    form = FAILURE_FORMS.get((comp["cluster"], first.command)) if first.frame_control & 3 else None
    if form is not None:
        return ZclResult(first.command, first.frame_control, {**(first.fields or {}), **form}, failed=True)
    zcl = comp["zcl"]
    return default_response(zcl["frame_control"], zcl["command"], ZCL_HARDWARE_FAILURE)
