"""Future-dated GBZ commands: stored on arrival, executed on the virtual clock, reported by 0x00CD alerts.

The alert (0x8F66 success, 0x8F67 failure, alert message code 0x00CD) names the
executed instruction: ``tag(1) message code(2) originator counter(8) cluster(2) frame
control(1) command(1)`` (gbcs spec §3.2).  ZCL times count seconds from 2000-01-01;
0 means "now" and 0xFFFFFFFF / 0xFFFFFFFE cancel a pending instruction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..alerts import FUTURE_DATED_GBZ
from ..future import PendingInstruction

if TYPE_CHECKING:
    from ..security import Incoming
    from ..zigbee import ZigbeeDevice
    from .gbz_frame import ZclResult

EPOCH_2000 = 946_684_800
NOW, CANCEL = 0, frozenset({0xFFFFFFFF, 0xFFFFFFFE})
INSTRUCTION_TAG = 0x09  # octet-string tag before the instruction reference [I]


def is_future(device: ZigbeeDevice, when: int) -> bool:
    """True for a ZCL time after the device's clock (not "now", not a cancellation)."""
    return when != NOW and when not in CANCEL and EPOCH_2000 + when > device.now()


def is_cancel(when: int | None) -> bool:
    return when in CANCEL


def target(comp: dict[str, Any]) -> tuple[str, int, int]:
    """What a stored instruction acts on: one cluster command (a new one replaces it)."""
    return ("gbz", comp["cluster"], comp["zcl"]["command"])


def reference(incoming: Incoming, comp: dict[str, Any]) -> bytes:
    zcl = comp["zcl"]
    return (bytes((INSTRUCTION_TAG,)) + incoming.code.to_bytes(2, "big") + incoming.counter.to_bytes(8, "big")
            + comp["cluster"].to_bytes(2, "big") + bytes((zcl["frame_control"], zcl["command"])))


def defer(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], when: int,
          action: Callable[[], ZclResult | list[ZclResult] | int | None]) -> None:
    """Store ``action`` to run at ZCL time ``when``; its outcome decides 0x8F66 or 0x8F67."""

    def execute() -> bool:
        result = action()
        if result is None or isinstance(result, int):
            return not result
        if isinstance(result, list):
            return True
        return result.command != 0x0B or (result.fields or {}).get("status") == 0

    device.future.store(PendingInstruction(
        target=target(comp), when=EPOCH_2000 + when, message_code=incoming.code, counter=incoming.counter,
        recipient=incoming.originator, reference=reference(incoming, comp), execute=execute,
        alert_message_code=FUTURE_DATED_GBZ,
    ))


def cancel(device: ZigbeeDevice, comp: dict[str, Any]) -> bool:
    """Drop the pending instruction for the component's command; True when there was one."""
    return device.future.cancel(target(comp))
