"""The emulated Communications Hub Function: a COSEM device (its use cases are DLMS, sent by the ACB).

Besides the generic DLMS server behaviour, the CHF alerts two changes of its state:

* CS14 (message code 0x0018, alert 0x8F12 'CHF Device Log Changed') whenever the CHF device
  log (ZigBee HAN setup, class 104, 0-0:30.3.0.255, attribute 4 active devices) changes:
  CCS01 adds a device, CCS02 removes one, CCS03 restores the log.  The alert data is the log
  as the backup_pan method gives it: structure{time, PAN id, array of structure{EUI, key}}.
* DBCH09 (0x0113, alert 0x8F2A 'Sub GHz Configuration Changed') when DBCH04 writes the
  Sub-GHz configuration (class 1, 0-0:94.44.10.0, attribute 2); the data is the new value.

Both use cases are non-critical, so the alerts are MAC'd, not signed (gbcs spec §1.6).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import cosem_methods
from .cosem_classes import Node
from .cosem_device import CosemDevice

if TYPE_CHECKING:
    from .cosem_model import CosemObject
    from .dlms_server import DlmsServer

HAN_SETUP_CLASS = 104
DEVICE_LOG_METHODS = frozenset({"register_device", "unregister_device", "unregister_all_devices", "restore_pan"})
ACTIVE_DEVICES = 4
CS14, DEVICE_LOG_CHANGED = 0x0018, 0x8F12
SUB_GHZ_CONFIGURATION = (1, bytes((0, 0, 94, 44, 10, 0)), 2)
DBCH09, SUB_GHZ_CONFIGURATION_CHANGED = 0x0113, 0x8F2A


class Chf(CosemDevice):
    """A CHF: the COSEM object model, alerting device log and Sub-GHz configuration changes."""

    kind = "CHF"
    __slots__ = ()

    def method_override(self, server: DlmsServer, obj: CosemObject, name: str, parameters: Node) -> Any:
        if obj.class_id != HAN_SETUP_CLASS or name not in DEVICE_LOG_METHODS:
            return super().method_override(server, obj, name, parameters)
        before = copy.deepcopy(obj.read(ACTIVE_DEVICES))
        result = cosem_methods.run(name, self, obj, parameters)
        if obj.read(ACTIVE_DEVICES) != before:
            self.device_log_changed(obj)
        return result

    def device_log_changed(self, obj: CosemObject) -> bytes | None:
        """Raise CS14 with the device log as it is now."""
        log = cosem_methods.run("backup_pan", self, obj, {"type": "null"})
        return self.raise_alert(DEVICE_LOG_CHANGED, message_code=CS14, extra=[log])

    def write(self, obj: CosemObject, attribute: int, value: Node) -> bool:
        if (obj.class_id, obj.obis, attribute) == SUB_GHZ_CONFIGURATION:
            obj.write(attribute, copy.deepcopy(value))
            self.raise_alert(SUB_GHZ_CONFIGURATION_CHANGED, message_code=DBCH09, extra=[copy.deepcopy(value)])
            return True
        return super().write(obj, attribute, value)
