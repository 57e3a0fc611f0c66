"""The emulated Communications Hub Function: a COSEM device (its use cases are DLMS, sent by the ACB).

The CHF keeps its device log twice, in step:

* the COSEM view, ZigBee HAN setup (class 104, 0-0:30.3.0.255) attribute 4 active devices,
  as register_device / restore_pan leave it (what CCS06/07 backups read);
* the :class:`~emulator.han.device_log.ChfDeviceLog` (``Chf.device_log``, created on first
  use): join windows, established link keys and the Historic Device Log (CRP535).

CCS01 (register_device, then join_timeout, attribute 3, in the same command) adds a device
and opens its join window; CCS02 (unregister_device) removes one, its established link key
going to the historic log; CCS03 (restore_pan) replaces the log.  The same changes are
available without a command (:meth:`Chf.register_device`, :meth:`Chf.unregister_device`,
:meth:`Chf.restore_devices`).  The CHF alerts two changes of its state:

* CS14 (message code 0x0018, alert 0x8F12 'CHF Device Log Changed'), once per change of the
  device log (added, removed, restored, link key established), raised by the device log's
  change callback.  The data is the log as the backup_pan method gives it: structure{time,
  PAN id, array of structure{EUI, key}}; the key is the one registered by CCS01 / CCS03 (as
  the RTDS CS14 alert shows), or the hashed link key when the established key does not come
  from that install code (a historic key restored, CRP535), empty when there is neither.
  [I] the GBCS renditions disagree (requirements §4).
* DBCH09 (0x0113, alert 0x8F2A 'Sub GHz Configuration Changed') when DBCH04 writes the
  Sub-GHz configuration (class 1, 0-0:94.44.10.0, attribute 2); the data is the new value.

Both use cases are non-critical, so the alerts are MAC'd, not signed (gbcs spec §1.6).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import cosem_methods
from .cosem_classes import Node, node, structure
from .cosem_device import CosemDevice
from .cosem_model import OTHER_REASON, TYPE_UNMATCHED, CosemError
from .device import DeviceOutput
from .han.device_log import (
    DEVICE_TYPE_CODES,
    JOIN_TIMEOUT_MAX,
    ChfDeviceLog,
    DeviceLogChange,
    DeviceLogError,
    check_join_timeout,
)
from .han.install_codes import SMETS1, SMETS2, InstallCodeError, link_key_for_code

if TYPE_CHECKING:
    from .cosem_model import CosemObject
    from .dlms_server import DlmsServer

HAN_SETUP_CLASS = 104
HAN_SETUP = bytes((0, 0, 30, 3, 0, 255))
DEVICE_LOG_METHODS = frozenset({"register_device", "unregister_device", "unregister_all_devices", "restore_pan"})
JOIN_TIMEOUT, ACTIVE_DEVICES = 3, 4
INSTALL_CODE_KEY = 1  # register_device key_type: install code
REGISTER_DEVICE_TYPES = ("octet-string", "enum", "octet-string", "enum")  # mac_address, key_type, key, device_type
CS14, DEVICE_LOG_CHANGED = 0x0018, 0x8F12
SUB_GHZ_CONFIGURATION = (1, bytes((0, 0, 94, 44, 10, 0)), 2)
DBCH09, SUB_GHZ_CONFIGURATION_CHANGED = 0x0113, 0x8F2A
DEFAULT_RESTORED_KIND = "ESME"  # [I] CCS03 carries no device type: used for a device the CHF never saw
TYPE_CODES = {kind: code for code, kind in DEVICE_TYPE_CODES.items()}


class Chf(CosemDevice):
    """A CHF: the COSEM object model and the device log, alerting log and Sub-GHz configuration changes."""

    kind = "CHF"
    __slots__ = ("_device_log", "_pending_join", "_kinds")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._device_log: ChfDeviceLog | None = None
        self._pending_join: list[bytes] = []  # devices CCS01 added in the command being executed
        self._kinds: dict[bytes, str] = {}  # device types the CHF has seen (CCS03 carries none)

    # ------------------------------------------------------------------ the device log

    @property
    def device_log(self) -> ChfDeviceLog:
        """The CHF Device Log with its historic log, on the virtual clock (created on first use)."""
        if self._device_log is None:
            generation = SMETS1 if self.profile.smets_version.upper().startswith("SMETS1") else SMETS2
            self._device_log = ChfDeviceLog(self.clock.now, on_change=self._log_changed, generation=generation)
        return self._device_log

    @property
    def han_setup(self) -> CosemObject:
        """The ZigBee HAN setup object (class 104) holding the COSEM view of the log."""
        return self.model.find(HAN_SETUP_CLASS, HAN_SETUP)

    def register_device(self, eui: bytes, device_type: int | str, install_code: bytes,
                        join_timeout: float | None = None, *, crc: bytes | None = None) -> bool:
        """CCS01 without a command: True when added, False when already in the log; raises DeviceLogError."""
        code = device_type if isinstance(device_type, int) else TYPE_CODES.get(device_type, -1)
        if code < 0:
            raise DeviceLogError(f"unknown device type {device_type!r}")
        params = structure(node("octet-string", bytes(eui).hex().upper()), node("enum", INSTALL_CODE_KEY),
                           node("octet-string", bytes(install_code).hex().upper()), node("enum", code))
        return self._register(self.han_setup, params, join_timeout, crc)

    def unregister_device(self, eui: bytes) -> bool:
        """CCS02 without a command: True when the device was in the log."""
        obj = self.han_setup
        cosem_methods.run("unregister_device", self, obj, node("octet-string", bytes(eui).hex().upper()))
        return self.device_log.remove(eui)

    def restore_devices(self, devices: Iterable[tuple[bytes, bytes | None]]) -> None:
        """CCS03 without a command: the log becomes ``devices``, (EUI, install code or None) pairs."""
        entries = [structure(node("octet-string", bytes(eui).hex().upper()),
                             node("octet-string", (bytes(key) if key else bytes(16)).hex().upper()))
                   for eui, key in devices]
        self._restore(self.han_setup, structure(node("octet-string", self.eui.hex().upper()), node("array", entries)))

    def _register(self, obj: CosemObject, params: Node, join_timeout: float | None, crc: bytes | None) -> bool:
        members = params.get("value") if params.get("type") == "structure" else None
        if tuple(m.get("type") for m in members or ()) != REGISTER_DEVICE_TYPES:
            raise CosemError(TYPE_UNMATCHED, "expected structure{mac_address, key_type, key, device_type}")
        eui, key = bytes.fromhex(members[0]["value"]), bytes.fromhex(members[2]["value"])
        if members[1]["value"] != INSTALL_CODE_KEY:
            raise CosemError(OTHER_REASON, f"key_type {members[1]['value']} is not an install code")
        if join_timeout is None:
            current = obj.read(JOIN_TIMEOUT).get("value")
            join_timeout = current if isinstance(current, int) and 0 < current <= JOIN_TIMEOUT_MAX else JOIN_TIMEOUT_MAX
        if len(eui) != 8:
            raise CosemError(TYPE_UNMATCHED, "a mac_address is 8 octets")
        before = copy.deepcopy(obj.read(ACTIVE_DEVICES))
        cosem_methods.run("register_device", self, obj, params)
        try:
            added = self.device_log.add(eui, members[3]["value"], key, join_timeout, crc=crc)
        except DeviceLogError:
            obj.write(ACTIVE_DEVICES, before)
            raise
        if added:
            self._kinds[eui] = self.device_log.entry(eui).device_type  # type: ignore[union-attr]
            self._pending_join.append(eui)
        return added

    def _restore(self, obj: CosemObject, params: Node) -> None:
        cosem_methods.run("restore_pan", self, obj, params)
        backup = []
        for entry in obj.read(ACTIVE_DEVICES)["value"]:
            eui = bytes.fromhex(entry["value"][0]["value"])
            keys = [bytes.fromhex(m["value"]) for m in entry["value"][1:] if m.get("type") == "octet-string"]
            known = self.device_log.entry(eui)
            kind = known.device_type if known is not None else self._kinds.get(eui, DEFAULT_RESTORED_KIND)
            # [I] the restored key is the install code (as backup_pan gives it): its link key is established
            backup.append((eui, kind, self._code_key(keys[0]) if keys and any(keys[0]) else None))
        self.device_log.restore(backup)

    def _code_key(self, code: bytes) -> bytes | None:
        try:
            return link_key_for_code(code, self.device_log.generation)
        except InstallCodeError:
            return None

    def _log_changed(self, change: DeviceLogChange) -> None:
        self.device_log_changed(change)

    def device_log_changed(self, change: DeviceLogChange | None = None) -> bytes | None:
        """Raise CS14 with the device log as it is now (see the module text for the key of each entry)."""
        try:
            active = self.han_setup.read(ACTIVE_DEVICES).get("value") or []
        except CosemError:  # a model without the HAN setup object: no registered keys to show
            active = []
        registered = {e["value"][0]["value"]: e for e in active}
        entries = []
        for log_entry in self.device_log.entries():
            eui = log_entry.eui.hex().upper()
            members = registered[eui]["value"][1:] if eui in registered else []
            keys = [m["value"] for m in members if m.get("type") == "octet-string" and len(m["value"]) == 32]
            key = keys[0] if keys else ""
            key_hash = log_entry.key_hash()
            if key_hash is not None and (not key or log_entry.link_key != self._code_key(bytes.fromhex(key))):
                key = key_hash.hex().upper()  # a key not from the registered install code (a historic key)
            entries.append(structure(node("octet-string", eui), node("octet-string", key)))
        data = structure(node("octet-string", self.cosem_now().hex().upper()),
                         node("octet-string", self.eui.hex().upper()), node("array", entries))
        return self.raise_alert(DEVICE_LOG_CHANGED, message_code=CS14, extra=[data])

    # ------------------------------------------------------------------ hooks of the DLMS server

    def handle(self, raw: bytes) -> DeviceOutput:
        self._pending_join = []
        try:
            return super().handle(raw)
        finally:
            self._pending_join = []

    def method_override(self, server: DlmsServer, obj: CosemObject, name: str, parameters: Node) -> Any:
        if obj.class_id != HAN_SETUP_CLASS or name not in DEVICE_LOG_METHODS:
            return super().method_override(server, obj, name, parameters)
        try:
            if name == "register_device":
                self._register(obj, parameters, None, None)
            elif name == "unregister_device":
                cosem_methods.run(name, self, obj, parameters)
                self.device_log.remove(bytes.fromhex(parameters["value"]))
            elif name == "unregister_all_devices":
                cosem_methods.run(name, self, obj, parameters)
                for entry in self.device_log.entries():
                    self.device_log.remove(entry.eui)
            else:
                self._restore(obj, parameters)
        except DeviceLogError as exc:
            code = TYPE_UNMATCHED if "install code length" in str(exc) else OTHER_REASON
            raise CosemError(code, str(exc)) from None
        except ValueError as exc:
            raise CosemError(TYPE_UNMATCHED, str(exc)) from None
        return None

    def write(self, obj: CosemObject, attribute: int, value: Node) -> bool:
        if (obj.class_id, obj.obis, attribute) == SUB_GHZ_CONFIGURATION:
            obj.write(attribute, copy.deepcopy(value))
            self.raise_alert(SUB_GHZ_CONFIGURATION_CHANGED, message_code=DBCH09, extra=[copy.deepcopy(value)])
            return True
        if obj.class_id == HAN_SETUP_CLASS and attribute == JOIN_TIMEOUT and self._pending_join:
            try:  # CCS01: the join window of the device the same command added
                seconds = check_join_timeout(value.get("value"))
            except DeviceLogError as exc:
                raise CosemError(OTHER_REASON, str(exc)) from None
            for eui in self._pending_join:
                self.device_log.open_join_window(eui, seconds)
        return super().write(obj, attribute, value)
