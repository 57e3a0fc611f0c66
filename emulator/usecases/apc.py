"""Auxiliary controllers of an ESME (and of a SAPC, which is treated as an ESME): requirements §7.

An ESME has up to five auxiliary controllers (n = 1..5), each an ALCS, an HCALCS or an APC
(proportional, output or input).  A controller is commanded to a level 0-100 (a percentage
of the maximum energy flow; ALCS / HCALCS read 100 as on and anything else as off).  The
level arrives in a script selector (long-unsigned): high byte ``apcDirectionAndNumber``
(``0x1n`` output, ``0x2n`` input), low byte the level (bit 7 is a flag in ECS46d schedules
and is ignored).

* ECS47a (0x011E) sets a controller's state for a window: the start and end date-times are
  written to 0-0:94.44.(116+n).1 / .2 and script 0-0:10.0.103.255 is executed.
* ECS47e (0x011F) limits an APC's level for a window (0-0:94.44.(116+n).3 / .4, script
  0-0:10.0.107.255); the catalogue lets only the Load Controller (role 8) send it.  The
  window must end after it starts and last at most 24 hours, otherwise this and every
  following instruction answers other-reason.  The device alerts ECS101 (0x0121, alert
  0x8F86: direction and number, start, end, resulting level) when it accepts a limit and
  ECS102 (0x0122, 0x8F87: direction and number, resulting level) when the limit ends.
* ECS46d (0x011A) writes the controllers' calendar: at most 120 schedule entries and 20
  special days, every level 0-100; it is future-dateable (the generic DLMS server keeps the
  activation date-times).
* Every state change and limit is recorded in the auxiliary controller event log
  (0-17:99.98.2.255, ECS35g; cleared by ECS15c): UTC seconds, event code, outcome
  (0 unknown, 1 success, 2 failure) and the HAN command id (0 for ALCS / APC).
"""

from __future__ import annotations

from typing import Any

from gbcs.crypto import KeyUnavailable
from gbcs.dlms import decode_dlms
from gbcs.dlms.cosem import parse_obis
from gbcs.errors import DecodeError

from .. import cosem_time
from ..alerts import dlms_alert
from ..cosem_classes import Node, node, structure
from ..cosem_device import CosemDevice
from ..cosem_model import OTHER_REASON
from ..cosem_time import to_gbcs_seconds
from ..device import Device, Reply
from ..dlms_server import RESPONSE_KIND, DlmsServer
from ..registry import handles
from ..security import Incoming

SET_CALENDAR = 0x011A  # ECS46d
SET_STATE = 0x011E  # ECS47a
LIMIT_APC = 0x011F  # ECS47e
LIMIT_PROCESSED = 0x0121  # ECS101
LIMIT_ENDED = 0x0122  # ECS102
ALERT_LIMIT_PROCESSED = 0x8F86
ALERT_LIMIT_ENDED = 0x8F87
STATE_SCRIPT = bytes((0, 0, 10, 0, 103, 255))
LIMIT_SCRIPT = bytes((0, 0, 10, 0, 107, 255))
EVENT_LOG = bytes((0, 17, 99, 98, 2, 255))
MAX_WINDOW = 24 * 3600
MAX_SCHEDULES = 120
MAX_SPECIAL_DAYS = 20
OUTPUT, INPUT = 0x1, 0x2
SUCCESS_OUTCOME = 1


class Rejection(Exception):
    """A command the auxiliary controller rules refuse: every instruction answers other-reason."""


def split_selector(selector: int) -> tuple[int, int, int]:
    """(direction, controller number, level) of a script selector (high byte 0xDn, low byte level)."""
    direction_and_number = (selector >> 8) & 0xFF
    return direction_and_number >> 4, direction_and_number & 0x0F, selector & 0x7F


def check_controller(device: Device, selector: int) -> tuple[int, int, int]:
    """Validate direction, number (1..5, within the model's controllers) and level (0..100)."""
    direction, number, level = split_selector(selector)
    if direction not in (OUTPUT, INPUT):
        raise Rejection(f"direction nibble {direction} is neither output (1) nor input (2)")
    controllers = device.profile.auxiliary_controllers
    if not 1 <= number <= 5 or (controllers and number > len(controllers)):
        raise Rejection(f"no auxiliary controller {number}")
    if level > 100:
        raise Rejection(f"level {level} is not 0-100")
    if controllers and direction == INPUT and controllers[number - 1] != "APC-input":
        raise Rejection(f"auxiliary controller {number} is not an APC input")
    return direction, number, level


def _request(incoming: Incoming) -> dict[str, Any] | None:
    frame = incoming.frame
    try:
        request = decode_dlms(frame.content, frame.content_offset)
    except DecodeError:
        return None
    return request if request.get("apdu") == "access-request" else None


def _reject_all(request: dict[str, Any]) -> Reply:
    """The response that refuses every instruction with other-reason."""
    kinds = [RESPONSE_KIND.get(spec["kind"], "get") for spec in request["requests"]]
    tree = {"apdu": "access-response", "invoke_id": request["invoke_id"], "date_time": None, "requests": None,
            "data": [node("null") for _ in kinds],
            "results": [{"kind": kind, "result": OTHER_REASON} for kind in kinds]}
    return Reply(tree=tree, payload_type="dlms")


def _execute(device: CosemDevice, incoming: Incoming, request: dict[str, Any]) -> tuple[Reply, bool]:
    """Run the request on the object model; (reply, every instruction succeeded)."""
    server = DlmsServer(device, incoming)
    tree = server.execute(request)
    ok = all(result["result"] == 0 for result in tree["results"])
    if server.plaintexts:
        return Reply(tree=tree, payload_type="dlms", plaintexts=server.plaintexts), ok
    return Reply(tree=tree, payload_type="dlms"), ok


def _script_selector(request: dict[str, Any], script: bytes) -> int | None:
    for spec, value in zip(request["requests"], request["data"], strict=False):
        if spec["kind"] == "action" and spec["class_id"] == 9 and parse_obis(spec["obis"]) == script:
            selector = value.get("value")
            return selector if isinstance(selector, int) else None
    return None


def _window(request: dict[str, Any]) -> tuple[bytes, bytes] | None:
    """The start and end date-times an ECS47a / ECS47e writes (the first two date-time sets)."""
    times = [bytes.fromhex(value["value"]) for spec, value in zip(request["requests"], request["data"], strict=False)
             if spec["kind"] == "set" and value.get("type") == "octet-string" and len(value.get("value", "")) == 24]
    return (times[0], times[1]) if len(times) >= 2 else None


def _controller_obis(number: int, member: int) -> bytes:
    return bytes((0, 0, 94, 44, 116 + number, member))


def log_event(device: CosemDevice, code: int, outcome: int = SUCCESS_OUTCOME) -> None:
    """Append an entry to the auxiliary controller event log (a profile buffer, bounded)."""
    log = device.model.add(7, EVENT_LOG)
    buffer = log.mutable(2)["value"]
    buffer.append(structure(node("double-long-unsigned", max(0, to_gbcs_seconds(device.now()))),
                            node("long-unsigned", code), node("enum", outcome), node("double-long-unsigned", 0)))
    limit = log.read(8).get("value") or 0
    if limit and len(buffer) > limit:
        del buffer[: len(buffer) - limit]
    log.write(7, node("double-long-unsigned", len(buffer)))


def send_alert(device: Device, alert_code: int, message_code: int, recipient: bytes | None,
               members: list[Node]) -> bytes | None:
    """Log and send a DLMS alert whose body carries use-case data members (ECS101 / ECS102)."""
    now = device.now()
    device.event_log.add(now, alert_code)
    recipient = recipient or device.alert_recipient()
    if not device.profile.alert_enabled(alert_code) or recipient is None:
        return None
    counter = device.security.next_counter()
    content = dlms_alert(counter, alert_code, cosem_time.encode(now), members)
    try:
        alert = device.security.secure_alert(recipient, counter, message_code.to_bytes(2, "big"), content,
                                             critical=True)
    except KeyUnavailable as exc:
        device.event_log.add(now, 0, f"alert 0x{alert_code:04X} not sent: {exc}")
        return None
    collected = device._collect  # noqa: SLF001 (alerts raised while a command is handled go with its output)
    if collected is not None:
        collected.append(alert)
    else:
        device.outbox.append(alert)
        if device.on_alert is not None:
            device.on_alert(device, alert)
    return alert


def _level(device: CosemDevice, number: int, member: int, default: int) -> int:
    value = device.model.add(1, _controller_obis(number, member)).read(2).get("value")
    return value if isinstance(value, int) else default


def _set_level(device: CosemDevice, number: int, member: int, level: int) -> None:
    device.model.add(1, _controller_obis(number, member)).write(2, node("unsigned", level))


def resulting_level(device: CosemDevice, number: int) -> int:
    """The level a controller runs at: its commanded level (100 until set), capped by an active limit."""
    commanded = _level(device, number, 5, 100)
    limit = _level(device, number, 6, 100)
    return min(commanded, limit)


@handles(kinds=("ESME",), codes=(LIMIT_APC,))
def limit_apc(device: Device, incoming: Incoming) -> Reply | None:
    """ECS47e: limit an APC's level for a window of at most 24 hours; ECS101 now, ECS102 at the end."""
    request = _request(incoming)
    if request is None or not isinstance(device, CosemDevice):
        return None
    selector = _script_selector(request, LIMIT_SCRIPT)
    window = _window(request)
    try:
        if window is None or selector is None:
            raise Rejection("ECS47e needs a start, an end and the limit script")
        start, end = (cosem_time.decode(t) for t in window)
        if not isinstance(start, float) or not isinstance(end, float):
            raise Rejection("start and end must be date-times")
        if end <= start or end - start > MAX_WINDOW:
            raise Rejection("the limit window must end after it starts and last at most 24 hours")
        direction, number, level = check_controller(device, selector)
    except Rejection as exc:
        device.event_log.add(device.now(), 0, f"ECS47e refused: {exc}")
        log_event(device, ALERT_LIMIT_PROCESSED, 2)
        return _reject_all(request)
    reply, ok = _execute(device, incoming, request)
    if not ok:
        return reply
    _set_level(device, number, 6, level)
    log_event(device, ALERT_LIMIT_PROCESSED)
    direction_and_number = node("unsigned", (direction << 4) | number)
    recipient = incoming.originator
    send_alert(device, ALERT_LIMIT_PROCESSED, LIMIT_PROCESSED, recipient, [
        direction_and_number, node("octet-string", window[0].hex().upper()),
        node("octet-string", window[1].hex().upper()), node("unsigned", resulting_level(device, number))])

    def ended() -> None:
        _set_level(device, number, 6, 100)
        log_event(device, ALERT_LIMIT_ENDED)
        send_alert(device, ALERT_LIMIT_ENDED, LIMIT_ENDED, recipient,
                   [direction_and_number, node("unsigned", resulting_level(device, number))])

    device.clock.schedule(max(device.clock.now(), device.virtual_time(end)), ended)
    return reply


@handles(kinds=("ESME",), codes=(SET_STATE,))
def set_state(device: Device, incoming: Incoming) -> Reply | None:
    """ECS47a: command an auxiliary controller to a level (0-100) for a window."""
    request = _request(incoming)
    if request is None or not isinstance(device, CosemDevice):
        return None
    selector = _script_selector(request, STATE_SCRIPT)
    try:
        if selector is None:
            raise Rejection("ECS47a needs the state script")
        _direction, number, level = check_controller(device, selector)
    except Rejection as exc:
        device.event_log.add(device.now(), 0, f"ECS47a refused: {exc}")
        return _reject_all(request)
    reply, ok = _execute(device, incoming, request)
    if ok:
        _set_level(device, number, 5, level)
        log_event(device, SET_STATE)
    return reply


@handles(kinds=("ESME",), codes=(SET_CALENDAR,))
def set_calendar(device: Device, incoming: Incoming) -> Reply | None:
    """ECS46d: the controllers' calendar, at most 120 schedules and 20 special days, levels 0-100."""
    request = _request(incoming)
    if request is None or not isinstance(device, CosemDevice):
        return None
    try:
        for spec, value in zip(request["requests"], request["data"], strict=False):
            if spec["kind"] != "set" or spec.get("attribute") != 2:
                continue
            items = value.get("value") if value.get("type") == "array" else None
            if items is None:
                continue
            if spec["class_id"] == 10:
                if len(items) > MAX_SCHEDULES:
                    raise Rejection(f"{len(items)} schedule entries (at most {MAX_SCHEDULES})")
                for entry in items:
                    members = entry.get("value") or []
                    if len(members) > 3 and isinstance(members[3].get("value"), int):
                        check_controller(device, members[3]["value"])
            elif spec["class_id"] == 11 and len(items) > MAX_SPECIAL_DAYS:
                raise Rejection(f"{len(items)} special days (at most {MAX_SPECIAL_DAYS})")
    except Rejection as exc:
        device.event_log.add(device.now(), 0, f"ECS46d refused: {exc}")
        return _reject_all(request)
    reply, _ok = _execute(device, incoming, request)
    return reply
