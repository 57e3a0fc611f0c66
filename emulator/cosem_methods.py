"""What COSEM methods (and activations) do to the object model (DLMS UA Blue Book semantics).

Each semantic is ``fn(device, obj, params) -> return value or None`` and raises
:class:`CosemError` with an action-result code when it cannot run.  ``device`` is a
:class:`emulator.cosem_device.CosemDevice` (its model, clock and logs).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import cosem_time
from .cosem_classes import Node, node, structure
from .cosem_model import OTHER_REASON, TYPE_UNMATCHED, CosemError, CosemObject

if TYPE_CHECKING:
    from .cosem_device import CosemDevice

Semantic = Callable[["CosemDevice", CosemObject, Node], "Node | None"]
SEMANTICS: dict[str, Semantic] = {}

EVENT_SCRIPT_EXECUTED = 0x0000  # logged with the script id; GBCS gives no event code of its own [I]


def semantic(name: str) -> Callable[[Semantic], Semantic]:
    def register(fn: Semantic) -> Semantic:
        SEMANTICS[name] = fn
        return fn
    return register


def _integer(params: Node, *types: str) -> int:
    if params.get("type") not in types or not isinstance(params.get("value"), int):
        raise CosemError(TYPE_UNMATCHED, f"expected {' or '.join(types)}")
    return params["value"]


def _same_type(value: Node, number: int) -> Node:
    return {"type": value.get("type", "double-long-unsigned"), "value": number}


def _now_octets(device: CosemDevice) -> Node:
    return node("octet-string", device.cosem_now().hex().upper())


# ---------------------------------------------------------------------------- registers, profiles


@semantic("reset")
def reset(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Register reset: value(s) to zero, capture time to now."""
    if obj.class_id == 5:
        for attribute in (2, 3):
            obj.write(attribute, _same_type(obj.read(attribute), 0))
        obj.write(6, _now_octets(device))
        return
    if obj.class_id == 61:
        obj.write(2, node("array", []))
        return
    value = obj.read(2)
    obj.write(2, _same_type(value, 0) if isinstance(value.get("value"), int) else value)
    if obj.class_id == 4:
        obj.write(5, _now_octets(device))


@semantic("next_period")
def next_period(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(3, copy.deepcopy(obj.read(2)))
    obj.write(2, _same_type(obj.read(2), 0))
    obj.write(7, _now_octets(device))


@semantic("profile_reset")
def profile_reset(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(2, node("array", []))
    obj.write(7, node("double-long-unsigned", 0))


@semantic("capture")
def capture(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Profile capture: append one entry of the captured attributes' current values (FIFO, bounded)."""
    row = []
    for definition in obj.read(3).get("value", []):
        members = definition.get("value", [])
        try:
            class_id = members[0]["value"]
            obis = bytes.fromhex(members[1]["value"])
            attribute = members[2]["value"]
            row.append(copy.deepcopy(device.capture_value(class_id, obis, attribute)))
        except (KeyError, IndexError, ValueError, TypeError):
            raise CosemError(OTHER_REASON, "bad capture object definition") from None
        except CosemError:
            row.append(node("null"))
    buffer = obj.mutable(2)["value"]
    buffer.append({"type": "structure", "value": row})
    limit = obj.read(8).get("value") or 0
    if limit and len(buffer) > limit:
        del buffer[: len(buffer) - limit]
    obj.write(7, node("double-long-unsigned", len(buffer)))


# ---------------------------------------------------------------------------- clock


@semantic("preset_adjusting_time")
def preset_adjusting_time(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Keep (preset time, validity start, validity end) for adjust_to_preset_time."""
    members = params.get("value") if params.get("type") == "structure" else None
    if not members or len(members) != 3 or any(m.get("type") != "octet-string" for m in members):
        raise CosemError(TYPE_UNMATCHED, "expected structure{preset_time, validity_interval_start, end}")
    device.clock_preset = tuple(bytes.fromhex(m["value"]) for m in members)


@semantic("adjust_to_preset_time")
def adjust_to_preset_time(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Set the clock to the preset time when the device time is inside the validity interval.

    An unspecified preset time means the middle of the interval.  The outcome is logged
    and alerted as IRP511 asks (0x8145 adjusted; otherwise 0x8F0C when the adjustment
    would exceed 10 s, else 0x81C6).  [I]
    """
    preset = device.clock_preset
    device.clock_preset = None
    if preset is None:
        raise CosemError(OTHER_REASON, "no preset time")
    target, start, end = (cosem_time.decode(raw) for raw in preset)
    if not isinstance(start, float) or not isinstance(end, float):
        raise CosemError(OTHER_REASON, "validity interval is not a date-time")
    if not isinstance(target, float):
        target = (start + end) / 2
    device.adjust_clock(target, start, end)


@semantic("shift_time")
def shift_time(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    seconds = _integer(params, "long")
    device.set_time(device.now() + seconds)


@semantic("adjust_to_minute")
def adjust_to_minute(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    now = device.now()
    device.set_time(round(now / 60) * 60)


@semantic("adjust_to_quarter")
def adjust_to_quarter(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    device.set_time(round(device.now() / 900) * 900)


@semantic("adjust_to_measuring_period")
def adjust_to_measuring_period(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    device.set_time(round(device.now() / 1800) * 1800)


# ---------------------------------------------------------------------------- scripts, calendars, days


@semantic("execute")
def execute(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Run the actions of a script (write attribute / execute method), logging the script id."""
    script_id = _integer(params, "long-unsigned")
    device.event_log.add(device.now(), EVENT_SCRIPT_EXECUTED, f"script {obj!r} #{script_id}")
    for script in obj.read(2).get("value", []):
        members = script.get("value", [])
        if len(members) != 2 or members[0].get("value") != script_id:
            continue
        for action in members[1].get("value", []):
            fields = action.get("value", [])
            try:
                service, class_id = fields[0]["value"], fields[1]["value"]
                obis, index, parameter = bytes.fromhex(fields[2]["value"]), fields[3]["value"], fields[4]
            except (KeyError, IndexError, ValueError, TypeError):
                raise CosemError(OTHER_REASON, "bad script action") from None
            if service == 1:
                device.write_attribute(class_id, obis, index, parameter)
            elif service == 2:
                device.invoke_method(class_id, obis, index, parameter)


@semantic("activate_passive_calendar")
def activate_passive_calendar(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    for passive, active in ((6, 2), (7, 3), (8, 4), (9, 5)):
        obj.write(active, copy.deepcopy(obj.read(passive)))


@semantic("special_day_insert")
def special_day_insert(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    members = params.get("value") if params.get("type") == "structure" else None
    if not members or len(members) != 3:
        raise CosemError(TYPE_UNMATCHED, "expected structure{index, date, day_id}")
    entries = obj.mutable(2)["value"]
    index = members[0].get("value")
    entries[:] = [e for e in entries if e.get("value", [{}])[0].get("value") != index]
    entries.append(copy.deepcopy(params))


@semantic("special_day_delete")
def special_day_delete(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    index = _integer(params, "long-unsigned")
    entries = obj.mutable(2)["value"]
    entries[:] = [e for e in entries if e.get("value", [{}])[0].get("value") != index]


# ---------------------------------------------------------------------------- supply


@semantic("remote_disconnect")
def remote_disconnect(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(2, node("boolean", False))
    obj.write(3, node("enum", 0))


@semantic("remote_reconnect")
def remote_reconnect(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(2, node("boolean", True))
    obj.write(3, node("enum", 1))


# ---------------------------------------------------------------------------- payment


@semantic("activate_account")
def activate_account(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    mode = obj.read(2)
    members = copy.deepcopy(mode.get("value") or [node("enum", 1), node("enum", 1)])
    if len(members) == 2:
        members[1] = node("enum", 2)  # account status: active
    obj.write(2, {"type": "structure", "value": members})


@semantic("close_account")
def close_account(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    members = copy.deepcopy(obj.read(2).get("value") or [node("enum", 1), node("enum", 1)])
    if len(members) == 2:
        members[1] = node("enum", 3)
    obj.write(2, {"type": "structure", "value": members})
    obj.write(14, _now_octets(device))


@semantic("reset_account")
def reset_account(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    for attribute in (5, 6, 8):
        obj.write(attribute, node("double-long", 0))


def _add_amount(obj: CosemObject, attribute: int, params: Node) -> None:
    """Add the method's integer parameter to a double-long amount attribute."""
    amount = _integer(params, "double-long", "double-long-unsigned", "long", "integer")
    current = obj.read(attribute).get("value") or 0
    obj.write(attribute, node("double-long", current + amount))


def _set_amount(obj: CosemObject, attribute: int, params: Node) -> None:
    """Set a double-long amount attribute to the method's integer parameter."""
    obj.write(attribute, node("double-long", _integer(params, "double-long", "double-long-unsigned", "long")))


@semantic("update_amount")
def update_amount(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    _add_amount(obj, 2, params)  # credit: current_credit_amount


@semantic("set_amount_to_value")
def set_amount_to_value(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    _set_amount(obj, 2, params)


@semantic("invoke_credit")
def invoke_credit(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(8, node("enum", 3))  # credit status: in use


@semantic("update_unit_charge")
def update_unit_charge(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(6, copy.deepcopy(params))


@semantic("activate_passive_unit_charge")
def activate_passive_unit_charge(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(5, copy.deepcopy(obj.read(6)))


@semantic("collect")
def collect(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(10, _now_octets(device))


@semantic("update_total_amount_remaining")
def update_total_amount_remaining(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    _add_amount(obj, 12, params)  # charge: total_amount_remaining


@semantic("set_total_amount_remaining")
def set_total_amount_remaining(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    _set_amount(obj, 12, params)


@semantic("enter")
def enter(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Token gateway: record the token, its time and a 'received' status."""
    if params.get("type") != "octet-string":
        raise CosemError(TYPE_UNMATCHED, "a token is an octet-string")
    obj.write(2, copy.deepcopy(params))
    obj.write(3, _now_octets(device))


# ---------------------------------------------------------------------------- HAN (CHF device log)


def _device_entry(params: Node) -> Node:
    """A register_device parameter as an active_devices entry: the structure, keyed by its first member (EUI)."""
    members = params.get("value") if params.get("type") == "structure" else None
    if not members or members[0].get("type") != "octet-string":
        raise CosemError(TYPE_UNMATCHED, "expected structure{mac_address, ...}")
    return copy.deepcopy(params)


def _eui_of(entry: Node) -> str:
    return entry["value"][0]["value"]


@semantic("register_device")
def register_device(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Add a device to the log; a device already there keeps its entry (requirements §4, CCS01)."""
    entry = _device_entry(params)
    devices = obj.mutable(4)["value"]
    if all(_eui_of(e) != _eui_of(entry) for e in devices):
        devices.append(entry)


@semantic("unregister_device")
def unregister_device(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    if params.get("type") != "octet-string":
        raise CosemError(TYPE_UNMATCHED, "expected the device's mac_address")
    devices = obj.mutable(4)["value"]
    devices[:] = [e for e in devices if _eui_of(e) != params["value"]]


@semantic("unregister_all_devices")
def unregister_all_devices(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    obj.write(4, node("array", []))


@semantic("backup_pan")
def backup_pan(device: CosemDevice, obj: CosemObject, params: Node) -> Node:
    """CCS07: structure{backup time, extended PAN id (the CHF's EUI), array of structure{mac_address, key}}.

    The key of an entry is the 16-octet key material it was registered with (zeros when none).
    """
    entries = []
    for entry in obj.read(4).get("value") or []:
        members = entry.get("value") or []
        keys = [m["value"] for m in members[1:] if m.get("type") == "octet-string" and len(m.get("value", "")) == 32]
        key = keys[0] if keys else "00" * 16
        entries.append(structure(node("octet-string", _eui_of(entry)), node("octet-string", key)))
    return structure(_now_octets(device), node("octet-string", device.eui.hex().upper()), node("array", entries))


@semantic("restore_pan")
def restore_pan(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Restore the log from a backup: structure{PAN id, array of structure{mac_address, key}}."""
    members = params.get("value") if params.get("type") == "structure" else None
    if not members or len(members) != 2 or members[1].get("type") != "array":
        raise CosemError(TYPE_UNMATCHED, "expected structure{PAN id, array of devices}")
    obj.write(4, node("array", [_device_entry(e) for e in members[1]["value"]]))


# ---------------------------------------------------------------------------- GBCS class 9000, misc


@semantic("activate_passive_value")
def activate_passive_value(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """GBCS extended data: the passive value (and scaler-unit) become active.  [I]"""
    if 4 in obj.values:
        obj.write(2, copy.deepcopy(obj.values[4]))
    if 5 in obj.values:
        obj.write(3, copy.deepcopy(obj.values[5]))


def _accept(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """Methods the emulator accepts without a modelled effect (logged)."""
    device.event_log.add(device.now(), 0, f"{obj!r} method accepted")


for _name in ("enable_disable", "insert", "delete", "push", "image_transfer_initiate", "image_block_transfer",
              "image_verify", "image_activate", "set_protected_attributes", "invoke_protected_method",
              "identify_device", "remove_mirror", "update_network_key", "update_link_key",
              "create_pan", "remove_pan"):
    SEMANTICS.setdefault(_name, _accept)


def run(name: str, device: CosemDevice, obj: CosemObject, params: Any) -> Node | None:
    """Run the semantic ``name``; raises CosemError(other-reason) when the server has none."""
    fn = SEMANTICS.get(name)
    if fn is None:
        raise CosemError(OTHER_REASON, f"method {name} is not implemented")
    return fn(device, obj, params)
