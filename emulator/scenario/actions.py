"""Reading the steps that act: set-up, the CHF device log, joins, commands, time, faults and the radio.

Each ``parse_<action>`` checks a step's arguments and returns them converted (the spec the
matching function of :mod:`.steps` runs with) and a one-line title for the report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .. import faults
from ..catalogue import codes_for, use_case
from ..han.device_log import HistoricTiming
from .context import Context
from .model import DeviceDecl
from .parse_expect import parse_expect
from .payloads import payload_of
from .source import LineList, ScenarioError, empty_map, sub_map
from .values import Args, int_list, link_model


def _hub(args: Args, ctx: Context, premises: str, role: str) -> DeviceDecl | None:
    """The premises' CHF or GPF (``gpf: false``: none) with its name, EUI and profile."""
    value = args.raw(role, None)
    if value is False and role == "gpf":
        return None
    table = Args(empty_map(args.line), f"premises {role}") if value is None else args.table(role)
    name = table.text("name", role)
    eui = table.hex("eui", None, length=8) or ctx.new_eui()
    profile = ctx.profile(table, "profile", role.upper())
    table.done()
    if profile.kind != role.upper():
        raise ScenarioError(table.line, f"the {role} profile is a {profile.kind}")
    decl = DeviceDecl(name, premises, profile, eui, hub=True)
    if name in ctx.devices:
        raise ScenarioError(table.line_of("name"), f"a device named {name!r} already exists: name this premises' "
                                                   f"{role}, e.g. {role}: {{name: {premises}-{role}}}")
    ctx.declare(table, "name", decl)
    return decl


def parse_premises(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    name = args.text("name")
    if name in ctx.premises:
        raise ScenarioError(args.line_of("name"), f"premises {name!r} already exist")
    ctx.premises.append(name)
    chf = _hub(args, ctx, name, "chf")
    gpf = _hub(args, ctx, name, "gpf")
    link = link_model(args.table("link")) if args.has("link") else None
    timing = HistoricTiming(args.text("timing", "half", choices=("half", "full")))
    return {"name": name, "chf": chf, "gpf": gpf, "link": link, "timing": timing}, f"premises {name}"


def parse_device(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    name = args.text("name")
    premises = ctx.premises_name(args)
    profile = ctx.profile(args, "profile")
    if profile.kind in ("CHF", "GPF"):
        raise ScenarioError(args.line_of("profile"), "a CHF or GPF is declared with its premises")
    count = args.integer("count", None, minimum=1)
    if count is not None and (args.has("eui") or args.has("install_code")):
        raise ScenarioError(args.line_of("count"), "device: with count, EUIs and install codes are assigned")
    wake = args.table("wake", None)
    wake_spec = None
    if wake is not None:
        wake_spec = (wake.duration("interval"), wake.duration("phase", None), wake.duration("awake", 1.0))
        wake.done()
        if not 0 <= wake_spec[2] < wake_spec[0]:
            raise ScenarioError(wake.line, "wake: interval must be longer than 0 and than awake")
    link = link_model(args.table("link")) if args.has("link") else None
    uplink = link_model(args.table("uplink")) if args.has("uplink") else None
    created = []
    for n in range(1, (count or 1) + 1):
        eui = (args.hex("eui", None, length=8) if count is None else None) or ctx.new_eui()
        code = args.hex("install_code", None) if count is None else None
        if code is None:
            code = hashlib.sha256(b"install code " + eui).digest()[:16]
        decl = DeviceDecl(name if count is None else f"{name}{n}", premises, profile, eui)
        ctx.declare(args, "name", decl)
        created.append({"device": decl, "install_code": code, "wake": wake_spec, "link": link, "uplink": uplink})
    names = name if count is None else f"{name}1 .. {name}{count}"
    return {"devices": created}, f"device {names} ({profile.name}) on {premises}"


def _via(args: Args) -> str:
    return args.text("via", "command", choices=("command", "direct"))


def parse_log_add(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decls = ctx.matching(args)
    via = _via(args)
    spec = {"devices": decls, "via": via, "join_timeout": args.duration("join_timeout", 600.0),
            "install_code": args.hex("install_code", None), "label": args.hex("label", None),
            "crc": args.hex("crc", None, length=2), "error": args.text("error", None), "result": int_list(args)}
    if via == "command" and (spec["label"] is not None or spec["crc"] is not None):
        raise ScenarioError(args.line, "log_add: a CCS01 command carries no CRC; use via: direct for label / crc")
    if spec["error"] is not None and via == "command":
        raise ScenarioError(args.line_of("error"), "log_add: 'error' is for via: direct (a command has 'result')")
    return spec, f"add {args.text('device')} to the CHF device log ({via})"


def parse_log_remove(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decls = ctx.matching(args)
    via = _via(args)
    title = f"remove {args.text('device')} from the CHF device log ({via})"
    return {"devices": decls, "via": via, "result": int_list(args)}, title


def parse_log_restore(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    premises = ctx.premises_name(args)
    names = args.items("devices", LineList())
    devices = []
    for i, name in enumerate(names):
        decl = ctx.devices.get(str(name))
        if decl is None or decl.hub:
            raise ScenarioError(names.line_of(i), f"no HAN device named {name!r}")
        devices.append(decl)
    via = _via(args)
    title = f"restore the device log of {premises} with {', '.join(d.name for d in devices) or 'nothing'}"
    return {"premises": premises, "devices": devices, "via": via, "result": int_list(args)}, title


def parse_join(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decls = ctx.matching(args)
    key: Any = None
    if args.has("key"):
        text = args.text_of("key")
        key = text if text in ("install_code", "remembered", "wrong") else args.hex("key", length=16)
    spec = {"devices": decls, "key": key, "code": args.hex("code", None), "admitted": args.boolean("admitted", None),
            "source": args.text("source", None, choices=("install-code", "historic", "established")),
            "reason": args.text("reason", None)}
    how = f" with key {key if isinstance(key, str) else 'given'}" if key else ""
    return spec, f"{args.text('device')} joins{how}"


def parse_leave(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decl = ctx.device(args, hub=False)
    return {"device": decl}, f"{decl.name} leaves the HAN"


def parse_bind(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    names = args.items("devices")
    if len(names) != 2:
        raise ScenarioError(args.line, "bind: two devices, e.g. bind: [ppmid1, gsme1]")
    decls = []
    for i, name in enumerate(names):
        if str(name) not in ctx.devices:
            raise ScenarioError(names.line_of(i), f"no device named {name!r}")
        decls.append(ctx.devices[str(name)])
    if decls[0].premises != decls[1].premises:
        raise ScenarioError(args.line, "bind: the devices are on different premises")
    return {"devices": decls}, f"bind {decls[0].name} and {decls[1].name} as HAN peers"


def parse_send(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    to = ctx.device(args, "to")
    sender = ctx.device(args, "from", hub=False) if args.has("from") else None
    if args.has("use_case") == args.has("message_code"):
        raise ScenarioError(args.line, "send: give use_case (e.g. ECS17b) or message_code (e.g. 0x0027)")
    if args.has("use_case"):
        name = args.text("use_case")
        codes = codes_for(name)
        if len(codes) != 1:
            problem = "is not a known use case" if not codes else \
                f"has message codes {', '.join(f'0x{c:04X}' for c in codes)}: give message_code"
            raise ScenarioError(args.line_of("use_case"), f"use case {name!r} {problem}")
        code = codes[0]
    else:
        code = args.code("message_code")
    row = use_case(code)
    default_role = 2 if row is None or not row.roles or 2 in row.roles else min(row.roles)
    spec = {"to": to, "from": sender, "code": code, "role": args.integer("role", default_role),
            "signed": args.boolean("signed", row is not None and row.critical == "always"),
            "counter": args.integer("counter", None, minimum=0), "payload": payload_of(args, ctx.euis())}
    label = row.use_case if row is not None else f"0x{code:04X}"
    return spec, f"send {label} to {to.name}" + (f" from {sender.name}" if sender else "")


def parse_advance(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    seconds = args.duration("by")
    return {"seconds": seconds}, f"advance {seconds:g} s"


def parse_run_until_idle(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    return {"limit": args.integer("limit", 100_000, minimum=1)}, "run until nothing is scheduled"


def parse_fault(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decl = ctx.device(args)
    try:
        fault = faults.parse_fault(args.raw("position", "penultimate"))
    except faults.FaultError as exc:
        raise ScenarioError(args.line_of("position"), str(exc)) from None
    code = None
    if args.has("use_case"):
        codes = codes_for(args.text("use_case"))
        if not codes:
            raise ScenarioError(args.line_of("use_case"), f"unknown use case {args.text('use_case')!r}")
        code = codes[0]
    elif args.has("message_code"):
        code = args.code("message_code")
    which = "the next command" if code is None else f"the next 0x{code:04X}"
    return {"device": decl, "fault": fault, "code": code}, f"hardware fault on {which} to {decl.name}"


def parse_link(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decl = ctx.device(args, hub=False)
    direction = args.text("direction", "both", choices=("both", "up", "down"))
    overrides = {k: v for k, v in args.mapping.items() if k not in ("device", "direction")}
    link_model(Args(sub_map(args.mapping, overrides), "link"))  # checked now, applied on the current model at run time
    for key in overrides:
        args.raw(key)
    return {"device": decl, "direction": direction, "table": sub_map(args.mapping, overrides)}, \
        f"link of {decl.name} ({direction}): " + ", ".join(f"{k}={v}" for k, v in overrides.items())


def parse_power(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decl = ctx.device(args, hub=False)
    state = args.text("state", choices=("on", "off"))
    return {"device": decl, "on": state == "on", "rejoin": args.boolean("rejoin", True)}, f"power {state} {decl.name}"


def _power(on: bool) -> Callable[[Args, Context], tuple[dict[str, Any], str]]:
    def parse(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
        decl = ctx.device(args, hub=False)
        rejoin = args.boolean("rejoin", True)
        return {"device": decl, "on": on, "rejoin": rejoin}, f"power {'on' if on else 'off'} {decl.name}"

    return parse


def parse_radio_outage(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    premises = ctx.premises_name(args)
    spec = {"premises": premises, "duration": args.duration("duration"), "after": args.duration("after", 0.0)}
    return spec, f"radio outage on {premises} for {spec['duration']:g} s"


def parse_alert_storm(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decl = ctx.device(args)
    every = args.duration("every")
    if every <= 0:
        raise ScenarioError(args.line_of("every"), "alert_storm: 'every' must be longer than 0")
    spec = {"device": decl, "alert": args.code("alert"), "every": every, "count": args.integer("count", minimum=1)}
    title = f"alert storm: {decl.name} raises 0x{spec['alert']:04X} every {every * 1000:g} ms, {spec['count']} times"
    return spec, title


def parse_wake(args: Args, ctx: Context) -> tuple[dict[str, Any], str]:
    decl = ctx.device(args, hub=False)
    return {"device": decl}, f"{decl.name} wakes"


Parser = Callable[[Args, Context], tuple[dict[str, Any], str]]
ACTIONS: dict[str, Parser] = {
    "premises": parse_premises, "device": parse_device, "log_add": parse_log_add, "log_remove": parse_log_remove,
    "log_restore": parse_log_restore, "join": parse_join, "leave": parse_leave, "bind": parse_bind,
    "send": parse_send, "advance": parse_advance, "run_until_idle": parse_run_until_idle, "fault": parse_fault,
    "link": parse_link, "power": parse_power, "power_off": _power(False), "power_on": _power(True),
    "radio_outage": parse_radio_outage, "alert_storm": parse_alert_storm, "wake": parse_wake, "expect": parse_expect,
}
# the key a scalar argument stands for: ``advance: 30s``, ``power_off: esme1``, ``bind: [a, b]``
SHORTHAND = {"advance": "by", "power_off": "device", "power_on": "device", "wake": "device", "leave": "device",
             "bind": "devices", "join": "device", "log_remove": "device", "log_add": "device"}
