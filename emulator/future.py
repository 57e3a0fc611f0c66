"""Future-dated instructions: stored when the command arrives, executed on the virtual clock later.

At execution the device raises 0x8F66 (success) or 0x8F67 (failure) with the alert message
code of the payload family (0x00CC for DLMS instructions), one alert per instruction
(requirements §5.1).  Storing an instruction for the same target again replaces it;
cancelling drops it (a "never" activation time does that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .alerts import FUTURE_DATED_DLMS, FUTURE_DATED_FAILURE, FUTURE_DATED_SUCCESS
from .clock import Timer

if TYPE_CHECKING:
    from .device import Device


@dataclass(slots=True)
class PendingInstruction:
    """One stored instruction."""

    target: Any  # what it acts on, e.g. (class id, OBIS, attribute)
    when: float  # device-local POSIX time of execution
    message_code: int
    counter: int
    recipient: bytes
    reference: bytes  # the use-case data of its alert (e.g. 19 bytes for DLMS)
    execute: Callable[[], bool]
    alert_message_code: int = FUTURE_DATED_DLMS
    timer: Timer | None = None


class FutureStore:
    """The pending future-dated instructions of one device."""

    __slots__ = ("device", "pending")

    def __init__(self, device: Device) -> None:
        self.device = device
        self.pending: dict[Any, PendingInstruction] = {}

    def store(self, instruction: PendingInstruction) -> None:
        """Keep ``instruction`` and schedule it on the virtual clock (replacing one for the same target)."""
        self.cancel(instruction.target)
        device = self.device
        instruction.timer = device.clock.schedule(device.virtual_time(instruction.when), self._fire,
                                                  instruction.target)
        self.pending[instruction.target] = instruction

    def cancel(self, target: Any) -> bool:
        """Drop the instruction for ``target``; True when there was one."""
        instruction = self.pending.pop(target, None)
        if instruction is None:
            return False
        if instruction.timer is not None:
            instruction.timer.cancel()
        return True

    def _fire(self, target: Any) -> None:
        instruction = self.pending.pop(target, None)
        if instruction is None:
            return
        device = self.device
        try:
            ok = bool(instruction.execute())
        except Exception as exc:  # a failing instruction is reported, never propagated
            device.event_log.add(device.now(), FUTURE_DATED_FAILURE, f"future-dated instruction failed: {exc}")
            ok = False
        device.raise_alert(
            FUTURE_DATED_SUCCESS if ok else FUTURE_DATED_FAILURE,
            message_code=instruction.alert_message_code,
            recipient=instruction.recipient,
            extra_octets=instruction.reference,
        )

    def __len__(self) -> int:
        return len(self.pending)
