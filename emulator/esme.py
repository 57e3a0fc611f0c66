"""The emulated ESME (and SAPC, which GBCS treats as an ESME): a COSEM device with its logs as profiles.

The event and security logs (profile generic objects 0-0:99.98.0.255 and 0-0:99.98.1.255)
read from the device's own logs, one row per entry: UTC seconds since 2000
(double-long-unsigned), the event code (long-unsigned) and, in the event log only, its data
(octet-string); resetting the profile clears the log.  [I] for the row layout.

CS01a top-ups through the token gateway check the UTRN (usecases/esme_topup.py); the alert
behaviours written by ECS25a/b/a1-a3/b3 decide which configurable alerts are sent
(usecases/alert_behaviour.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cosem_classes import Node, node, structure
from .cosem_device import CosemDevice
from .cosem_time import to_gbcs_seconds
from .logs import DeviceLog
from .utrn_ledger import UtrnLedger

if TYPE_CHECKING:
    from .cosem_model import CosemObject
    from .dlms_server import DlmsServer

EVENT_LOG = bytes((0, 0, 99, 98, 0, 255))
SECURITY_LOG = bytes((0, 0, 99, 98, 1, 255))
PROFILE_CLASS = 7
TOKEN_GATEWAY_CLASS = 115


class Esme(CosemDevice):
    """An ESME: its object model, with the event and security logs readable as profiles."""

    kind = "ESME"
    __slots__ = ("utrns",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.utrns = UtrnLedger()  # the UTRNs this meter has accepted

    def write(self, obj: CosemObject, attribute: int, value: Node) -> bool:
        from .usecases.alert_behaviour import apply_behaviour, is_behaviour_write

        if is_behaviour_write(obj.class_id, obj.obis, attribute):
            apply_behaviour(self, obj.obis, value)
        return super().write(obj, attribute, value)

    def _log_of(self, obj: CosemObject) -> DeviceLog | None:
        if obj.class_id != PROFILE_CLASS:
            return None
        if obj.obis == EVENT_LOG:
            return self.event_log
        if obj.obis == SECURITY_LOG:
            return self.security_log
        return None

    @staticmethod
    def _row(time: float, code: int, security: bool = False) -> Node:
        cells = [node("double-long-unsigned", max(0, to_gbcs_seconds(time))), node("long-unsigned", code & 0xFFFF)]
        if not security:
            cells.append(node("octet-string", ""))
        return structure(*cells)

    def read(self, obj: CosemObject, attribute: int) -> Node:
        log = self._log_of(obj)
        if log is not None and attribute in (2, 7):
            if attribute == 7:
                return node("double-long-unsigned", len(log))
            security = log is self.security_log
            return {"type": "array", "value": [self._row(entry.time, entry.code, security) for entry in log.entries()]}
        return super().read(obj, attribute)

    def row_template(self, obj: CosemObject) -> Node | None:
        log = self._log_of(obj)
        if log is not None:
            return self._row(0.0, 0, log is self.security_log)
        return super().row_template(obj)

    def method_override(self, server: DlmsServer, obj: CosemObject, name: str, parameters: Node) -> Any:
        log = self._log_of(obj)
        if log is not None and name == "profile_reset":
            log.clear()
            return None
        if obj.class_id == TOKEN_GATEWAY_CLASS and name == "enter":
            from .usecases.esme_topup import enter_utrn

            enter_utrn(self, obj, parameters)
            return None
        return super().method_override(server, obj, name, parameters)
