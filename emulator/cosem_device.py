"""A device whose state is a COSEM object model reached through DLMS (ESME, SAPC, CHF).

It adds to :class:`Device` the object model (from the profile's initial state), the hooks
the DLMS server calls for attributes that live elsewhere (the clock, logs), clock setting
with the IRP511 outcomes, and the storing of future-dated DLMS instructions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import cosem_methods, cosem_time
from .alerts import FUTURE_DATED_DLMS, instruction_reference
from .cosem_classes import Node, node
from .cosem_model import CosemObject, ObjectModel, state_template
from .cosem_time import to_gbcs_seconds
from .device import Device
from .future import PendingInstruction
from .protected_data import get_protected_attributes

if TYPE_CHECKING:
    from .dlms_server import DlmsServer
    from .security import Incoming

CLOCK_CLASS = 8
CLOCK_ADJUSTED = 0x8145  # within tolerance
CLOCK_NOT_ADJUSTED = 0x81C6  # outside tolerance
CLOCK_NOT_ADJUSTED_10S = 0x8F0C  # the adjustment would exceed 10 s
CLOCK_TOLERANCE = 10.0


class CosemDevice(Device):
    """A DLMS/COSEM device: the object model and its device-side hooks."""

    __slots__ = ("_model", "clock_preset")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._model: ObjectModel | None = None
        self.clock_preset: tuple[bytes, bytes, bytes] | None = None

    @property
    def model(self) -> ObjectModel:
        """The object model: the profile's initial objects (shared until touched, see :mod:`emulator.cosem_model`)."""
        if self._model is None:
            self._model = ObjectModel(self.profile.auto_objects, state_template(self.profile.state))
        return self._model

    # ------------------------------------------------------------------ hooks of the DLMS server

    def read(self, obj: CosemObject, attribute: int) -> Node:
        """An attribute's value; the clock reads the device time."""
        if obj.class_id == CLOCK_CLASS and attribute == 2:
            return node("octet-string", self.cosem_now().hex().upper())
        return obj.read(attribute)

    def write(self, obj: CosemObject, attribute: int, value: Node) -> bool:
        """Device-side effects of a write; True when the value needs no storing (the clock)."""
        if obj.class_id == CLOCK_CLASS and attribute == 2:
            when = cosem_time.decode(bytes.fromhex(value.get("value", "")))
            if isinstance(when, float):
                self.set_time(when)
            return True
        return False

    def method_override(self, server: DlmsServer, obj: CosemObject, name: str, parameters: Node) -> Any:
        """Methods that need the command (protected data); NotImplemented for the ordinary ones."""
        if name == "get_protected_attributes":
            return get_protected_attributes(server, parameters)
        return NotImplemented

    def row_template(self, obj: CosemObject) -> Node | None:
        """The row layout of a profile the device fills itself (None: from its capture objects)."""
        return None

    def read_attribute(self, class_id: int, obis: bytes, attribute: int) -> Node:
        return self.read(self.model.find(class_id, obis), attribute)

    def capture_value(self, class_id: int, obis: bytes, attribute: int) -> Node:
        """A captured attribute as a profile buffer holds it: the clock as UTC seconds since 2000.

        GBCS profile buffers carry their capture time as double-long-unsigned (the compact
        rows of every GBCS log and profile start with it), not as a 12-byte date-time.
        """
        if class_id == CLOCK_CLASS and attribute == 2:
            return node("double-long-unsigned", max(0, to_gbcs_seconds(self.now())))
        return self.read_attribute(class_id, obis, attribute)

    def write_attribute(self, class_id: int, obis: bytes, attribute: int, value: Node) -> None:
        obj = self.model.find(class_id, obis)
        if not self.write(obj, attribute, value):
            obj.write(attribute, value)

    def invoke_method(self, class_id: int, obis: bytes, method: int, parameters: Node) -> Node | None:
        obj = self.model.find(class_id, obis)
        name = obj.cls.methods.get(method)
        if name is None:
            return None
        return cosem_methods.run(name, self, obj, parameters)

    # ------------------------------------------------------------------ clock

    def adjust_clock(self, target: float, start: float, end: float) -> None:
        """Set the clock to ``target`` when the device time lies in [start, end] (IRP511 outcomes)."""
        now = self.now()
        if start <= now <= end:
            self.set_time(target)
            self.raise_alert(CLOCK_ADJUSTED)
        elif abs(target - now) > CLOCK_TOLERANCE:
            self.raise_alert(CLOCK_NOT_ADJUSTED_10S)
        else:
            self.raise_alert(CLOCK_NOT_ADJUSTED)

    # ------------------------------------------------------------------ future dating

    def store_future(self, incoming: Incoming, target: tuple[int, bytes, int], when: float,
                     execute: Callable[[], bool]) -> None:
        """Keep a DLMS instruction for ``when``; its outcome is alerted with 0x00CC."""
        class_id, obis, attribute = target
        self.future.store(PendingInstruction(
            target=target, when=when, message_code=incoming.code, counter=incoming.counter,
            recipient=incoming.originator,
            reference=instruction_reference(incoming.code, incoming.counter, class_id, obis, attribute),
            execute=execute, alert_message_code=FUTURE_DATED_DLMS,
        ))
