"""The DCC's Smart Metering Inventory (SMI): every device's type, SMI status, premises links and history.

Statuses are the DUIS 5.4 ``DeviceStatus`` enumeration.  :data:`TRANSITIONS` lists, as data, each
status change and the SRV (or event) that causes it; :data:`ALLOWED_SRVS` says which device SRVs the
DCC sends to a device in each status.  A refused change or SRV is answered with E5 ("device SMI status
incompatible"), a device the SMI does not hold with E19.  Rules marked [I] are inferred: DUIS gives the
statuses and the SRVs, not every rule's text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from .duis.namespaces import SR, sr
from .duis.request_id import normalise_eui

PENDING, WHITELISTED, INSTALLED = "Pending", "Whitelisted", "InstalledNotCommissioned"
COMMISSIONED, DECOMMISSIONED, WITHDRAWN = "Commissioned", "Decommissioned", "Withdrawn"
SUSPENDED, RECOVERY, RECOVERED = "Suspended", "Recovery", "Recovered"
STATUSES = (PENDING, WHITELISTED, INSTALLED, COMMISSIONED, DECOMMISSIONED, WITHDRAWN, SUSPENDED, RECOVERY,
            RECOVERED)
"""DUIS 5.4 XSD ``sr:DeviceStatus``, in its order."""
ABSENT = "(not in SMI)"
DELETED = "(deleted)"
TYPE1 = frozenset({"PPMID", "HCALCS", "IHD", "CAD"})  # commissioned by joining a meter (8.7) [I]
E_STATUS, E_NO_DEVICE, E_TYPE = "E5", "E19", "E11"


@dataclass(frozen=True, slots=True)
class Transition:
    """One SMI status change: ``cause`` (an SRV or event) moves a device from any of ``sources`` to ``target``."""

    cause: str
    sources: frozenset[str]
    target: str
    device_types: frozenset[str] | None = None  # None: any device type
    note: str = ""


def _t(cause: str, sources: Iterable[str], target: str, types: Iterable[str] | None = None,
       note: str = "") -> Transition:
    return Transition(cause, frozenset(sources), target, None if types is None else frozenset(types), note)


ANY_BUT_CH = ("ESME", "GSME", "GPF", "HCALCS", "PPMID", "IHD", "CAD")
TRANSITIONS: tuple[Transition, ...] = (
    _t("12.2", [ABSENT], PENDING, note="Device Pre-notification adds the device"),
    _t("8.11", [PENDING], WHITELISTED, note="Update HAN Device Log: added to a CHF whitelist"),
    _t("join", [WHITELISTED], INSTALLED, note="the device joined its CHF's HAN"),
    _t("8.1.1", [INSTALLED], COMMISSIONED, note="Commission Device"),
    _t("8.7", [WHITELISTED, INSTALLED], COMMISSIONED, TYPE1, note="Join Service to a meter [I]"),
    _t("8.3", [COMMISSIONED, SUSPENDED, RECOVERED], DECOMMISSIONED, note="Decommission Device (removed) [I: sources]"),
    _t("8.3", [PENDING, WHITELISTED, INSTALLED], WITHDRAWN,
       note="Decommission Device never commissioned: withdrawn [I]"),
    _t("8.4:Pending", [DECOMMISSIONED, WITHDRAWN], PENDING, ANY_BUT_CH, note="Update Inventory (re-use) [I]"),
    _t("8.4:InstalledNotCommissioned", [COMMISSIONED], INSTALLED, ANY_BUT_CH, note="Update Inventory [I]"),
    _t("8.4:CH:Commissioned", [INSTALLED], COMMISSIONED, ["CHF"], note="Update Inventory (CH) [I]"),
    _t("8.4:CH:InstalledNotCommissioned", [PENDING, WHITELISTED, COMMISSIONED], INSTALLED, ["CHF"],
       note="Update Inventory (CH) [I]"),
    _t("8.4:CH:Withdrawn", [PENDING, WHITELISTED, INSTALLED, COMMISSIONED], WITHDRAWN, ["CHF"],
       note="Update Inventory (CH) [I]"),
    _t("8.4:DeleteDevice", [PENDING, WITHDRAWN], DELETED,
       note="Update Inventory deletes a device never commissioned [I]"),
    _t("DCC:Suspended", [COMMISSIONED, INSTALLED], SUSPENDED, note="firmware not on the CPL (DCC) [I]"),
    _t("DCC:Commissioned", [SUSPENDED, RECOVERED], COMMISSIONED, note="DCC lifts suspension / ends recovery [I]"),
    _t("DCC:Recovery", [COMMISSIONED, INSTALLED, SUSPENDED], RECOVERY, note="SMKI recovery starts (DCC) [I]"),
    _t("DCC:Recovered", [RECOVERY], RECOVERED, note="SMKI recovery done (DCC) [I]"),
)

ALL = None
ALLOWED_SRVS: dict[str, frozenset[str] | None] = {
    PENDING: frozenset(),
    WHITELISTED: frozenset(),
    INSTALLED: ALL,  # installers command a device before commissioning it
    COMMISSIONED: ALL,
    DECOMMISSIONED: frozenset(),
    WITHDRAWN: frozenset(),
    SUSPENDED: frozenset({"11.1", "11.2", "11.3"}),  # firmware only [I]
    RECOVERY: frozenset({"6.15.1", "6.15.2"}),  # trust-anchor replacement only [I]
    RECOVERED: ALL,
}
"""Device SRVs the DCC sends to a device per SMI status (None: all of them)."""


@dataclass(slots=True)
class Change:
    """One entry of a device's status history."""

    time: float
    before: str
    after: str
    cause: str
    request_id: str | None = None


@dataclass(slots=True)
class Device:
    """A device's SMI record."""

    eui: bytes
    device_type: str
    status: str
    manufacturer: str = "smetsim"
    model: str = ""
    import_mpxn: str | None = None
    uprn: int | None = None
    chf: bytes | None = None  # the Comms Hub it is on
    date_commissioned: float | None = None
    firmware_version: str | None = None
    history: list[Change] = field(default_factory=list)


class InventoryError(Exception):
    """A refused SMI change: ``code`` is the DUIS response code to answer with."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SmartMeteringInventory:
    """See the module text."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.devices: dict[bytes, Device] = {}
        self.deleted: dict[bytes, Device] = {}  # records 8.4 removed, kept for their history

    # ------------------------------------------------------------------ reading

    def get(self, eui: bytes) -> Device | None:
        """The device's record, or None when the SMI does not hold it."""
        return self.devices.get(bytes(eui))

    def status(self, eui: bytes) -> str | None:
        """The device's SMI status (None when absent)."""
        device = self.get(eui)
        return device.status if device else None

    def premises_of(self, eui: bytes) -> list[Device]:
        """The devices at the premises of ``eui`` (same UPRN; the device alone when it has none)."""
        device = self.get(eui)
        if device is None:
            return []
        if device.uprn is None:
            return [device]
        return self.by_uprn(device.uprn)

    def by_uprn(self, uprn: int) -> list[Device]:
        return [d for d in self.devices.values() if d.uprn == uprn]

    def by_mpxn(self, mpxn: str) -> list[Device]:
        """The devices of the premises whose meter has this import MPxN."""
        found = [d for d in self.devices.values() if d.import_mpxn == mpxn]
        uprns = {d.uprn for d in found if d.uprn is not None}
        return found + [d for d in self.devices.values() if d.uprn in uprns and d not in found]

    # ------------------------------------------------------------------ gate

    def refusal(self, eui: bytes, srv: str) -> InventoryError | None:
        """Why the DCC must not send device SRV ``srv`` to ``eui`` (None: it may)."""
        device = self.get(eui)
        if device is None:
            return None  # the delivery target decides (E19)
        allowed = ALLOWED_SRVS.get(device.status, frozenset())
        if allowed is None or srv in allowed:
            return None
        return InventoryError(E_STATUS, f"SRV {srv} is not allowed for a device in SMI status {device.status}")

    # ------------------------------------------------------------------ changes

    def set_status(self, eui: bytes, status: str) -> Device:
        """A DCC-side change (Suspended, Recovery, Recovered, back to Commissioned) by the DCC operator."""
        return self.apply(eui, f"DCC:{status}")

    def find(self, cause: str, before: str, device_type: str | None) -> Transition | None:
        """The transition ``cause`` makes from ``before`` for this device type, if any."""
        for transition in TRANSITIONS:
            if transition.cause == cause and before in transition.sources and (
                    transition.device_types is None or device_type in transition.device_types):
                return transition
        return None

    def apply(self, eui: bytes, cause: str, *, request_id: str | None = None) -> Device:
        """Apply transition ``cause`` to an existing device; InventoryError (E19/E5/E11) when refused."""
        device = self.get(eui)
        if device is None:
            raise InventoryError(E_NO_DEVICE, "the device is not in the Smart Metering Inventory")
        transition = self.find(cause, device.status, device.device_type)
        if transition is None:
            if any(t.cause == cause and device.status in t.sources for t in TRANSITIONS):
                raise InventoryError(E_TYPE, f"{cause} does not apply to a {device.device_type}")
            raise InventoryError(E_STATUS, f"{cause} is not allowed from SMI status {device.status}")
        self._change(device, transition.target, cause, request_id)
        return device

    def try_apply(self, eui: bytes, cause: str, *, request_id: str | None = None) -> bool:
        """Apply ``cause`` when the device's status allows it (after a device success); True when it did."""
        device = self.get(eui)
        if device is None or self.find(cause, device.status, device.device_type) is None:
            return False
        self.apply(eui, cause, request_id=request_id)
        return True

    def prenotify(self, eui: bytes, device_type: str, *, manufacturer: str, model: str,
                  firmware_version: str | None = None, request_id: str | None = None) -> Device:
        """12.2: add a device at Pending (E5 when the SMI already holds it [I])."""
        existing = self.get(eui)
        if existing is not None:
            raise InventoryError(E_STATUS, f"the device is already in the SMI ({existing.status})")
        self.deleted.pop(bytes(eui), None)
        device = Device(bytes(eui), device_type, ABSENT, manufacturer, model, firmware_version=firmware_version)
        self.devices[device.eui] = device
        self._change(device, PENDING, "12.2", request_id)
        return device

    def add(self, device: Device, *, cause: str = "seed") -> Device:
        """Put a record in the SMI as it is (seeding from installed premises)."""
        self.devices[device.eui] = device
        device.history.append(Change(self.now(), ABSENT, device.status, cause))
        return device

    def _change(self, device: Device, after: str, cause: str, request_id: str | None) -> None:
        device.history.append(Change(self.now(), device.status, after, cause, request_id))
        if after == DELETED:
            self.deleted[device.eui] = self.devices.pop(device.eui)
            return
        device.status = after
        if after == COMMISSIONED and device.date_commissioned is None:
            device.date_commissioned = self.now()


# ---------------------------------------------------------------------- seeding

PP_UPRN = 900000000001
"""The embedded premises' UPRN (a PP value; no real address)."""
PP_MPRN = "10001"  # PP MPxNs: outside the real ranges (proving.registration)


def _pp_mpan(unique: int) -> str:
    from .registration import mpan_check_digit

    first12 = f"00{unique:010d}"
    return first12 + str(mpan_check_digit(first12))


def seed(inventory: SmartMeteringInventory, premises: Any, *, uprn: int = PP_UPRN) -> SmartMeteringInventory:
    """Every device of ``premises`` (installed and commissioned), at one premises, on its CHF."""
    euis = [bytes(e) for e in getattr(premises, "devices", {})]
    types = {eui: premises.device_type(eui) for eui in euis}
    chf = next((eui for eui, kind in types.items() if kind == "CHF"), None)
    meters = 0
    for eui, kind in types.items():
        if kind is None:
            continue
        entry = premises.devices.get(eui)
        profile = getattr(getattr(getattr(entry, "device", None), "profile", None), "name", "") or kind
        mpxn = None
        if kind == "ESME":
            meters += 1
            mpxn = _pp_mpan(meters)
        elif kind == "GSME":
            mpxn = PP_MPRN
        inventory.add(Device(eui, kind, COMMISSIONED, "smetsim", profile[:30], mpxn, uprn,
                             None if kind == "CHF" else chf, inventory.now()))
    return inventory


# ---------------------------------------------------------------------- DUIS

@dataclass(slots=True)
class Answer:
    """The DCC's answer to an inventory SRV: a response code, maybe a body, and why."""

    code: str
    body: etree._Element | None = None
    reason: str = ""


def _date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def dsp_inventory(devices: Iterable[Device]) -> etree._Element:
    """``sr:DSPInventory`` (DUIS 5.4, at most 17 devices) for ``devices``."""
    root = etree.Element(sr("DSPInventory"), nsmap={"sr": SR})
    for device in list(devices)[:17]:
        element = etree.SubElement(root, sr("Device"))
        values: list[tuple[str, str | None]] = [
            ("DeviceID", normalise_eui(device.eui)), ("DeviceType", device.device_type),
            ("DeviceStatus", device.status), ("DeviceManufacturer", device.manufacturer[:30]),
            ("DeviceModel", device.model[:30]), ("DeviceFirmwareVersion", device.firmware_version),
            ("DateCommissioned", _date(device.date_commissioned) if device.date_commissioned else None),
            ("ImportMPxN", device.import_mpxn), ("UPRN", str(device.uprn) if device.uprn else None)]
        for name, value in values:
            if value is not None:
                etree.SubElement(element, sr(name)).text = value
    return root


def _eui_of(body: etree._Element, name: str = "DeviceID") -> bytes:
    element = body.find(sr(name))
    return bytes.fromhex((element.text or "").strip().replace("-", "")) if element is not None else b""


def _text(body: etree._Element, name: str) -> str | None:
    element = body.find(sr(name))
    return None if element is None else (element.text or "").strip()


def answer(inventory: SmartMeteringInventory, srv: str, body: etree._Element, request_id: str) -> Answer | None:
    """Serve an inventory SRV (8.2, 8.3, 8.4, 12.2); None for any other non-device SRV."""
    try:
        if srv == "8.2":
            return _read(inventory, body)
        if srv == "8.3":
            inventory.apply(_eui_of(body), "8.3", request_id=request_id)
            return Answer("I99")
        if srv == "8.4":
            return _update(inventory, body, request_id)
        if srv == "12.2":
            inventory.prenotify(_eui_of(body), _text(body, "DeviceType") or "", manufacturer=_text(
                body, "DeviceManufacturer") or "", model=_text(body, "DeviceModel") or "",
                firmware_version=_text(body, "FirmwareVersion"), request_id=request_id)
            return Answer("I99")
    except InventoryError as exc:
        return Answer(exc.code, reason=exc.reason)
    return None


def _read(inventory: SmartMeteringInventory, body: etree._Element) -> Answer:
    """8.2: the premises of a device, UPRN or MPxN; I99 without a body when nothing matches [I].

    (DSPInventory needs at least one Device, and DUIS gives no "not found" code for 8.2.)
    """
    if body.find(sr("DeviceID")) is not None:
        found = inventory.premises_of(_eui_of(body))
    elif body.find(sr("UPRN")) is not None:
        found = inventory.by_uprn(int(_text(body, "UPRN") or 0))
    elif body.find(sr("MPxN")) is not None:
        found = inventory.by_mpxn(_text(body, "MPxN") or "")
    else:
        found = []  # PropertyFilter: the SMI keeps no postal addresses
    if not found:
        return Answer("I99", reason="no device matches")
    return Answer("I0", dsp_inventory(found))


def _update(inventory: SmartMeteringInventory, body: etree._Element, request_id: str) -> Answer:
    """8.4: change a status, the details, the MPxN, or delete a Pending device."""
    eui = _eui_of(body)
    device = inventory.get(eui)
    if device is None:
        raise InventoryError(E_NO_DEVICE, "the device is not in the Smart Metering Inventory")
    is_ch = device.device_type == "CHF"
    for name, prefix, for_ch in (("UpdateDeviceStatusExceptCH", "8.4:", False),
                                 ("UpdateDeviceStatusCH", "8.4:CH:", True)):
        wanted = _text(body, name)
        if wanted is not None:
            if is_ch != for_ch:
                raise InventoryError(E_TYPE, f"{name} does not apply to a {device.device_type}")
            inventory.apply(eui, prefix + wanted, request_id=request_id)
            return Answer("I99")
    if body.find(sr("DeleteDevice")) is not None:
        inventory.apply(eui, "8.4:DeleteDevice", request_id=request_id)
        return Answer("I99")
    details = body.find(sr("UpdateDeviceDetails"))
    if details is not None:
        if device.status != PENDING:
            raise InventoryError(E_STATUS, "device details change only while the device is Pending [I]")
        device.manufacturer = _text(details, "DeviceManufacturer") or device.manufacturer
        device.model = _text(details, "DeviceModel") or device.model
        device.firmware_version = _text(details, "FirmwareVersion") or device.firmware_version
        return Answer("I99")
    mpxn = body.find(sr("UpdateMPxN"))
    if mpxn is not None:
        if device.status in (DECOMMISSIONED, WITHDRAWN):
            raise InventoryError(E_STATUS, f"no MPxN change for a {device.status} device [I]")
        device.import_mpxn = _text(mpxn, "ImportMPxN") or device.import_mpxn
    return Answer("I99")


def after_success(inventory: SmartMeteringInventory, srv: str, body: etree._Element, target: bytes,
                  request_id: str, on_premises: Callable[[bytes], bool]) -> None:
    """Apply what a device's success means for the SMI (8.1.1, 8.7.x, 8.11 add + join)."""
    if srv == "8.1.1":
        inventory.try_apply(target, "8.1.1", request_id=request_id)
    elif srv in ("8.7.1", "8.7.2"):
        for eui in (_eui_of(body, "OtherDeviceID"), target):
            inventory.try_apply(eui, "8.7", request_id=request_id)
    elif srv == "8.11" and body.find(sr("AddDeviceToCHFWhitelist")) is not None:
        eui = _eui_of(body)
        if inventory.try_apply(eui, "8.11", request_id=request_id):
            device = inventory.get(eui)
            if device is not None:
                device.chf = bytes(target)
            if on_premises(eui):  # an installed, powered device joins once whitelisted [I]
                inventory.try_apply(eui, "join")
