"""The emulated ESME (and SAPC, which GBCS treats as an ESME): a COSEM device with its logs as profiles.

The event and security logs (profile generic objects 0-0:99.98.0.255 and 0-0:99.98.1.255)
read from the device's own logs, one row per entry: UTC seconds since 2000
(double-long-unsigned), the event code (long-unsigned) and, in the event log only, its data
(octet-string); resetting the profile clears the log.  [I] for the row layout.

CS01a top-ups through the token gateway check the UTRN (usecases/esme_topup.py); the alert
behaviours written by ECS25a/b/a1-a3/b3 decide which configurable alerts are sent
(usecases/alert_behaviour.py).

A meter with an age (``[history] commissioned_days_ago``, or :attr:`Esme.history_days` set after
creation) has a history from its consumption model (emulator/history.py): the energy registers
(1-0:1.8.0 / 2.8.0) count from commissioning, and the periodic profiles (half-hour and daily
logs) hold one row per period since then, generated when read; the billing data logs are captured
at the billing calendar dates, and the event log starts with Device commissioned (0x8F69) and a
Billing Data Log Updated (0x8F0A) per billing date.  The firmware identifier and version
objects (0-0:0.2.0.255, 0-0:0.2.1.255) read as the firmware the meter runs: the profile's
``[firmware] version`` until a CS06 activation changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cosem_classes import Node, node, structure
from .cosem_device import CosemDevice
from .cosem_model import CosemError
from .cosem_time import from_gbcs_seconds, to_gbcs_seconds
from .history import History, billing_calendar, consumption_model, profile_age
from .logs import DeviceLog
from .utrn_ledger import UtrnLedger

if TYPE_CHECKING:
    from .cosem_model import CosemObject
    from .dlms_server import DlmsServer

EVENT_LOG = bytes((0, 0, 99, 98, 0, 255))
SECURITY_LOG = bytes((0, 0, 99, 98, 1, 255))
PROFILE_CLASS = 7
TOKEN_GATEWAY_CLASS = 115
REGISTER_CLASS = 3
DEVICE_COMMISSIONED, BILLING_DATA_LOG_UPDATED = 0x8F69, 0x8F0A  # event codes (GBCS alert / event list)
IMPORT, EXPORT = 1, 2  # OBIS C of the active energy import / export registers
# active firmware identifier and version (ECS52): they read as the firmware the meter runs
FIRMWARE_OBJECTS = frozenset({bytes((0, 0, 0, 2, 0, 255)), bytes((0, 0, 0, 2, 1, 255))})


class Esme(CosemDevice):
    """An ESME: its object model, with the event and security logs readable as profiles."""

    kind = "ESME"
    __slots__ = ("utrns", "history_days", "history_events")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.utrns = UtrnLedger()  # the UTRNs this meter has accepted
        self.history_days = profile_age(self.profile.path)  # days commissioned before the clock's start
        self.history_events = True  # the event log holds the history's events (until it is reset)

    @property
    def history(self) -> History | None:
        """The meter's history (None when it is commissioned at the clock's start)."""
        if self.history_days <= 0:
            return None
        return History(self._commissioned, self.history_days, consumption_model(self.profile.path))

    def _past_events(self) -> list[tuple[float, int]]:
        """The history's events: Device commissioned, then Billing Data Log Updated at each billing date."""
        history = self.history
        if history is None or not self.history_events:
            return []
        _, billing_day = billing_calendar(self.profile.path)
        events = [(float(history.commissioned), DEVICE_COMMISSIONED)]
        events += [(float(when), BILLING_DATA_LOG_UPDATED) for when in history.billing_times(billing_day, self.now())]
        return events

    @staticmethod
    def _energy_register(class_id: int, obis: bytes) -> int | None:
        """IMPORT / EXPORT for the total active energy registers, else None."""
        if class_id == REGISTER_CLASS and obis[0] == 1 and obis[2] in (IMPORT, EXPORT) and obis[3:5] == b"\x08\x00":
            return obis[2]
        return None

    def _history_rows(self, history: History, obj: CosemObject) -> list[Node] | None:
        """The rows of a periodic profile since commissioning, from the consumption model."""
        period = obj.read(4).get("value") or 0
        limit = obj.read(8).get("value") or 0
        billing_logs, billing_day = billing_calendar(self.profile.path)
        if obj.obis in billing_logs:
            times = history.billing_times(billing_day, self.now(), limit)
        elif period > 0:
            times = history.capture_times(period, self.now(), limit)
        else:
            return None
        columns: list[list[Node]] = []
        for definition in obj.read(3).get("value") or []:
            members = definition.get("value") or []
            try:
                class_id, obis, attribute = members[0]["value"], bytes.fromhex(members[1]["value"]), members[2]["value"]
            except (KeyError, IndexError, ValueError, TypeError):
                return None
            energy = self._energy_register(class_id, obis)
            if class_id == 8 and attribute == 2:
                columns.append([node("double-long-unsigned", max(0, to_gbcs_seconds(t))) for t in times])
            elif energy is not None and attribute == 2:
                kind = self.model.find(class_id, obis).read(2).get("type", "double-long-unsigned")
                columns.append([node(kind, v) for v in history.registers_at(times, energy == EXPORT)])
            else:
                try:
                    value = self.capture_value(class_id, obis, attribute)
                except CosemError:  # a column the model cannot read is null
                    value = node("null")
                columns.append([value] * len(times))
        rows = [structure(*cells) for cells in zip(*columns, strict=True)] if columns else []
        stored = obj.read(2).get("value") or []  # rows captured since (by the capture method)
        return rows + [row for row in stored if self._row_time(row) > (times[-1] if times else 0)]

    @staticmethod
    def _row_time(row: Node) -> float:
        cells = row.get("value") or []
        if cells and isinstance(cells[0].get("value"), int):
            return from_gbcs_seconds(cells[0]["value"])
        return float("inf")

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
        if obj.class_id == 1 and attribute == 2 and obj.obis in FIRMWARE_OBJECTS:
            from .usecases.asn1_firmware import firmware_version

            return node("octet-string", firmware_version(self))
        log = self._log_of(obj)
        if log is not None and attribute in (2, 7):
            past = self._past_events() if log is self.event_log else []
            if attribute == 7:
                return node("double-long-unsigned", len(past) + len(log))
            security = log is self.security_log
            entries = sorted([*past, *((entry.time, entry.code) for entry in log.entries())], key=lambda e: e[0])
            return {"type": "array", "value": [self._row(when, code, security) for when, code in entries]}
        history = self.history
        if history is not None and attribute in (2, 7):
            energy = self._energy_register(obj.class_id, obj.obis)
            if energy is not None and attribute == 2:
                stored = obj.read(2)
                base = stored.get("value") if isinstance(stored.get("value"), int) else 0
                return node(stored.get("type", "double-long-unsigned"),
                            base + history.register(self.now(), energy == EXPORT))
            rows = self._history_rows(history, obj) if obj.class_id == PROFILE_CLASS else None
            if rows is not None:
                return node("double-long-unsigned", len(rows)) if attribute == 7 else {"type": "array", "value": rows}
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
            if log is self.event_log:
                self.history_events = False
            return None
        if obj.class_id == TOKEN_GATEWAY_CLASS and name == "enter":
            from .usecases.esme_topup import enter_utrn

            enter_utrn(self, obj, parameters)
            return None
        return super().method_override(server, obj, name, parameters)
