"""What each scenario action does to the running world; a step that does not go as written raises StepFailed.

Every function takes the world and the step's checked arguments (:mod:`.parse`) and returns
a short detail for the report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from gbcs.crypto import secure_message
from gbcs.message import decode_message

from ..cosem_classes import node, structure
from ..han.device_log import DeviceLogError
from ..han.install_codes import InstallCodeError, link_key_for_code, validate
from ..han.network import RESPONSE, Premises
from ..han.sleepy import WakeSchedule
from ..kinds import create_device
from ..testkit import access_request
from .expect import run_expect
from .model import DeviceDecl
from .values import Args, link_model
from .world import StepFailed, World

HAN_SETUP = bytes((0, 0, 30, 3, 0, 255))
CCS01, CCS02, CCS03 = 0x0001, 0x0002, 0x0003
ACB_ROLE = 4
DEVICE_TYPES = {"ESME": 0, "SAPC": 0, "GSME": 1, "HCALCS": 13, "PPMID": 132, "GPF": 254}
WRONG_KEY = hashlib.sha256(b"smetsim scenario: a wrong link key").digest()[:16]


def do_premises(world: World, spec: dict[str, Any]) -> str:
    chf_decl, gpf_decl = spec["chf"], spec["gpf"]
    chf = create_device(chf_decl.profile, chf_decl.eui, world.clock, world.parties.anchors)
    world.devices[chf_decl.name] = chf
    gpf = None
    if gpf_decl is not None:
        gpf = create_device(gpf_decl.profile, gpf_decl.eui, world.clock, world.parties.anchors)
        world.devices[gpf_decl.name] = gpf
    log = chf.device_log  # type: ignore[attr-defined]
    log.timing = spec["timing"]
    premises = world.network.add_premises(spec["name"], chf, gpf, link=spec["link"], log=log)
    world.premises[spec["name"]] = premises
    return f"CHF {chf_decl.eui.hex().upper()}" + (f", GPF {gpf_decl.eui.hex().upper()}" if gpf_decl else "")


def do_device(world: World, spec: dict[str, Any]) -> str:
    return "; ".join(_one_device(world, one) for one in spec["devices"])


def _one_device(world: World, spec: dict[str, Any]) -> str:
    decl: DeviceDecl = spec["device"]
    premises = world.premises_of(decl)
    device = create_device(decl.profile, decl.eui, world.clock, world.parties.anchors)
    wake = None
    if spec["wake"] is not None:
        interval, phase, awake = spec["wake"]
        wake = WakeSchedule(interval, world.clock.now() + (interval if phase is None else phase), awake)
    premises.add_device(device, install_code=spec["install_code"], link=spec["link"], uplink=spec["uplink"],
                        wake=wake)
    world.devices[decl.name] = device
    return f"EUI {decl.eui.hex().upper()}, install code {spec['install_code'].hex().upper()}"


# ---------------------------------------------------------------------------- the CHF device log


def _ccs(world: World, premises: Premises, code: int, instructions: list[tuple[Any, ...]],
         expected: list[int] | None) -> str:
    """Send a CCS command to the CHF of ``premises``; check the DLMS results (all success by default)."""
    chf = world.chf(premises)
    counter = world.next_counter()
    raw = world.parties.command(chf, code, access_request(counter, instructions), counter, role=ACB_ROLE)
    before = len(premises.upstream)
    premises.send_command(raw)
    world.clock.advance(0)
    responses = [u for u in premises.upstream[before:] if u.kind == RESPONSE and u.source == chf.eui]
    if not responses:
        raise StepFailed(f"the CHF sent no response to 0x{code:04X}")
    results = [r["result"] for r in decode_message(responses[0].message)["payload"]["results"]]
    wanted = expected if expected is not None else [0] * len(results)
    if results != wanted:
        raise StepFailed(f"CHF results {results}, expected {wanted}")
    return f"CHF results {results}"


def do_log_add(world: World, spec: dict[str, Any]) -> str:
    decl: DeviceDecl = spec["device"]
    premises = world.premises_of(decl)
    code = spec["install_code"] or premises.node(decl.eui).install_code or bytes(16)
    timeout = spec["join_timeout"]
    if spec["via"] == "command":
        entry = structure(node("octet-string", decl.eui.hex().upper()), node("enum", 1),
                          node("octet-string", code.hex().upper()), node("enum", DEVICE_TYPES.get(decl.kind, 0)))
        return _ccs(world, premises, CCS01, [("action", 104, HAN_SETUP, 1, entry),
                                         ("set", 104, HAN_SETUP, 3, node("long-unsigned", int(timeout))),
                                         ("set", 104, HAN_SETUP, 2, node("boolean", True))], spec["result"])
    chf = world.chf(premises)
    generation = chf.device_log.generation
    try:
        if spec["label"] is not None:
            code = validate(spec["label"], generation)
        added = chf.register_device(decl.eui, DEVICE_TYPES.get(decl.kind, 0), code, timeout, crc=spec["crc"])
    except (InstallCodeError, DeviceLogError) as exc:
        if spec["error"] is not None and spec["error"].lower() in str(exc).lower():
            return f"refused as expected: {exc}"
        raise StepFailed(f"refused: {exc}") from None
    if spec["error"] is not None:
        raise StepFailed(f"expected a refusal ({spec['error']}) but {decl.name} was added")
    return "added" if added else "already in the log (key ignored)"


def do_log_remove(world: World, spec: dict[str, Any]) -> str:
    decl: DeviceDecl = spec["device"]
    if spec["via"] == "command":
        eui = node("octet-string", decl.eui.hex().upper())
        return _ccs(world, world.premises_of(decl), CCS02, [("action", 104, HAN_SETUP, 2, eui)], spec["result"])
    removed = world.chf(world.premises_of(decl)).unregister_device(decl.eui)
    return "removed" if removed else "was not in the log"


def do_log_restore(world: World, spec: dict[str, Any]) -> str:
    premises = world.premises_named(spec["premises"])
    devices = [(d.eui, premises.node(d.eui).install_code) for d in spec["devices"]]
    chf = world.chf(premises)
    if spec["via"] == "direct":
        chf.restore_devices(devices)
        return f"{len(devices)} devices"
    backup = structure(node("octet-string", chf.eui.hex().upper()), node("array", [
        structure(node("octet-string", eui.hex().upper()), node("octet-string", (code or bytes(16)).hex().upper()))
        for eui, code in devices]))
    return _ccs(world, premises, CCS03, [("action", 104, HAN_SETUP, 5, backup)], spec["result"])


# ---------------------------------------------------------------------------- joining


def do_join(world: World, spec: dict[str, Any]) -> str:
    decl: DeviceDecl = spec["device"]
    premises = world.premises_of(decl)
    han_node = premises.node(decl.eui)
    key = spec["key"]
    generation = premises.log.generation
    if spec["code"] is not None:
        key = link_key_for_code(spec["code"], generation)
    elif key == "install_code":
        if han_node.install_code is None:
            raise StepFailed(f"{decl.name} has no install code")
        key = link_key_for_code(han_node.install_code, generation)
    elif key == "remembered":
        if han_node.link_key is None:
            raise StepFailed(f"{decl.name} remembers no link key")
        key = han_node.link_key
    elif key == "wrong":
        key = WRONG_KEY
    admission = premises.join(decl.eui, key)
    detail = f"admitted ({admission.source})" if admission.admitted else f"refused: {admission.reason}"
    problems = []
    if spec["admitted"] is not None and admission.admitted != spec["admitted"]:
        problems.append("expected " + ("admission" if spec["admitted"] else "a refusal"))
    if spec["source"] is not None and admission.source != spec["source"]:
        problems.append(f"expected key source {spec['source']}")
    if spec["reason"] is not None and spec["reason"].lower() not in admission.reason.lower():
        problems.append(f"expected reason containing {spec['reason']!r}")
    if problems:
        raise StepFailed(f"{detail}; " + "; ".join(problems))
    return detail


def do_leave(world: World, spec: dict[str, Any]) -> str:
    return "left" if world.premises_of(spec["device"]).leave(spec["device"].eui) else "was not joined"


def do_bind(world: World, spec: dict[str, Any]) -> str:
    a, b = spec["devices"]
    world.premises_of(a).bind(a.eui, b.eui)
    return ""


# ---------------------------------------------------------------------------- traffic


def do_send(world: World, spec: dict[str, Any]) -> str:
    to: DeviceDecl = spec["to"]
    premises = world.premises_of(to)
    device = world.device(to)
    counter = spec["counter"] if spec["counter"] is not None else world.next_counter()
    payload = spec["payload"]
    content = payload.build(counter)
    sender: DeviceDecl | None = spec["from"]
    if payload.frame:
        raw = content
    elif sender is not None:
        origin = world.device(sender)
        raw = secure_message(cra=1, counter=counter, originator=sender.eui, recipient=to.eui,
                             other_information=spec["code"].to_bytes(2, "big"), content=content,
                             keystore_view=origin.security.view, acb_eui=world.parties.acb,
                             signature_form="present" if spec["signed"] else "null")
    else:
        raw = world.parties.command(device, spec["code"], content, counter, role=spec["role"], signed=spec["signed"])
    if sender is not None:
        premises.send(sender.eui, to.eui, raw)
    else:
        premises.send_command(raw, recipient=to.eui)
    return f"counter {counter}, {len(raw)} octets"


def do_advance(world: World, spec: dict[str, Any]) -> str:
    ran = world.clock.advance(spec["seconds"])
    return f"{ran} events"


def do_run_until_idle(world: World, spec: dict[str, Any]) -> str:
    ran = world.clock.run_until_idle(spec["limit"])
    if world.clock.pending():
        raise StepFailed(f"still busy after {ran} events (something keeps rescheduling itself)")
    return f"{ran} events"


# ---------------------------------------------------------------------------- faults


def do_fault(world: World, spec: dict[str, Any]) -> str:
    world.device(spec["device"]).arm_fault(spec["fault"], spec["code"])
    return f"position {spec['fault'].position}"


def do_link(world: World, spec: dict[str, Any]) -> str:
    han_node = world.node(spec["device"])
    links = {"up": [han_node.up], "down": [han_node.down], "both": [han_node.up, han_node.down]}[spec["direction"]]
    for link in links:
        link.model = link_model(Args(spec["table"], "link"), base=link.model)
    return str(links[0].model)


def do_power(world: World, spec: dict[str, Any]) -> str:
    decl: DeviceDecl = spec["device"]
    premises = world.premises_of(decl)
    if not spec["on"]:
        premises.power_off(decl.eui)
        return "off"
    admission = premises.power_on(decl.eui, rejoin=spec["rejoin"])
    if admission is None:
        return "on (not rejoined)"
    return "on, rejoined" if admission.admitted else f"on, rejoin refused: {admission.reason}"


def do_radio_outage(world: World, spec: dict[str, Any]) -> str:
    start = world.clock.now() + spec["after"]
    world.premises_named(spec["premises"]).radio_outage(spec["duration"], start)
    return ""


def do_alert_storm(world: World, spec: dict[str, Any]) -> str:
    decl: DeviceDecl = spec["device"]
    world.premises_of(decl).alert_storm(decl.eui, spec["alert"], spec["every"] * 1000.0, spec["count"])
    return ""


def do_wake(world: World, spec: dict[str, Any]) -> str:
    han_node = world.node(spec["device"])
    queued = len(han_node.queue)
    world.premises_of(spec["device"]).wake(spec["device"].eui)
    return f"{queued} queued commands"


Action = Callable[[World, dict[str, Any]], str]


def each_device(action: Action) -> Action:
    """Run a one-device action for every device of the step (a pattern such as ``esme*`` names several)."""

    def run(world: World, spec: dict[str, Any]) -> str:
        details, problems = [], []
        for decl in spec["devices"]:
            try:
                details.append(f"{decl.name}: {action(world, {**spec, 'device': decl})}")
            except StepFailed as exc:
                problems.append(f"{decl.name}: {exc}" if len(spec["devices"]) > 1 else str(exc))
        if problems:
            raise StepFailed("; ".join(problems))
        return details[0].split(": ", 1)[1] if len(details) == 1 else "; ".join(details)

    return run


RUNNERS: dict[str, Action] = {
    "premises": do_premises, "device": do_device, "log_add": each_device(do_log_add),
    "log_remove": each_device(do_log_remove),
    "log_restore": do_log_restore, "join": each_device(do_join), "leave": do_leave, "bind": do_bind, "send": do_send,
    "advance": do_advance, "run_until_idle": do_run_until_idle, "fault": do_fault, "link": do_link,
    "power": do_power, "power_off": do_power, "power_on": do_power, "radio_outage": do_radio_outage,
    "alert_storm": do_alert_storm, "wake": do_wake, "expect": run_expect,
}
