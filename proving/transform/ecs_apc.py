"""Auxiliary load switches (ALCS / HCALCS) and auxiliary proportional controllers (APC) of an
ESME (DLMS): descriptions, calendars, state commands, APC limits, reads and boost button
association (ECS46a/c/d, ECS47*, ECS61a/c/d/e, ECS62*); requirements §7."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from lxml import etree

from . import xml_values as xv
from .ecs_control_calendar import SWITCH_SCRIPT, calendar, special_days
from .ecs_control_helpers import (
    action,
    attribute_int,
    cosem_datetime,
    dlms,
    execution_time,
    flag,
    get,
    get_range,
    log_period,
    node,
    octets,
    present,
    put,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

LIMIT_SCRIPT = "0-0:10.0.107.255"
MAX_LIMIT_WINDOW = timedelta(hours=24)
OUTPUT, INPUT = 0x10, 0x20  # apcDirectionAndNumber high nibble
SCHEDULE_FLAG = 0x80  # bit 7 of the level byte in ECS46d schedule selectors
SWITCH_ACTIONS = {"ActivateALCSHCALCS": 0x11, "DeactivateALCSHCALCS": 0x12, "ResetALCSHCALCS": 0x20}
DURATION_MEMBER = {"ActivateALCSHCALCS": 1, "DeactivateALCSHCALCS": 2}
DESCRIPTIONS = [f"0-0:94.44.0.{10 + n}" for n in range(1, 6)]
SWITCH_IDS = [f"0-0:94.44.0.{20 + n}" for n in range(1, 6)]
BOOST = [f"0-0:94.44.6.{n}" for n in range(1, 6)]


def _controller(number: int, member: int) -> str:
    """The Data object 0-0:94.44.(116+n).member of auxiliary controller ``number``."""
    return f"0-0:94.44.{116 + number}.{member}"


def _index(parent: etree._Element, name: str, uc: str) -> int:
    return attribute_int(parent, name, uc, 1, 5)


@transform_for("ECS46a")
def switch_descriptions(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS46a: the descriptions (labels) of the switches the request names."""
    uc = ctx.use_case
    labels: dict[int, str] = {}
    for item in xv.elements(body, "ALCSHCALCSDescription"):
        label = xv.text(item, "SwitchDescription", uc) or ""
        if not 1 <= len(label) <= 22 or not label.isascii() or not label.isprintable():
            raise TransformError(uc, f"ALCSHCALCSDescription/SwitchDescription: {label!r} is not 1-22 printable "
                                     "ASCII characters")
        labels[_index(item, "index", uc)] = label
    if not labels:
        raise TransformError(uc, "missing element ALCSHCALCSDescription")
    return dlms(ctx, [put(1, DESCRIPTIONS[n - 1], 2, node("visible-string", labels[n])) for n in sorted(labels)])


def _switch_selector(uc: str) -> Callable[[etree._Element], int]:
    def selector(entry: etree._Element) -> int:
        switch = xv.element(entry, "ActivateDeactivateSwitch", uc)
        assert switch is not None
        activate = present(switch, "ActivateSwitch")
        if activate == present(switch, "DeactivateSwitch"):
            raise TransformError(uc, "ActivateDeactivateSwitch: exactly one of ActivateSwitch, DeactivateSwitch")
        return _index(switch, "index", uc) << 8 | (1 if activate else 2)
    return selector


@transform_for("ECS46c")
def switch_calendar(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS46c: switch types / HCALCS ids, then the switches' special days and schedule, activated at the
    ExecutionDateTime (now when absent, never for a cancellation)."""
    uc = ctx.use_case
    identities: dict[int, bytes] = {}
    for item in xv.elements(body, "SwitchTypeAndId"):
        hcalcs = xv.hex_bytes(item, "HCALCS", uc, required=False, length=8)
        if hcalcs is None and not present(item, "ALCS"):
            raise TransformError(uc, "SwitchTypeAndId: one of ALCS, HCALCS is required")
        identities[_index(item, "index", uc)] = hcalcs or bytes(8)
    entries = xv.elements(body, "ALCSHCALCSConnectionSchedule")
    if not 1 <= len(entries) <= 48:
        raise TransformError(uc, f"ALCSHCALCSConnectionSchedule: {len(entries)} entries (1..48)")
    days = special_days(xv.element(body, "ALCSHCALCSSpecialDays", uc), "ALCSHCALCSSpecialDay", "index", uc)
    instructions = [put(1, SWITCH_IDS[n - 1], 2, octets(identities[n])) for n in sorted(identities)]
    instructions += calendar(entries, _switch_selector(uc), "ALCSScheduleDatesAndTime", "index", days,
                             execution_time(body, ctx), uc)
    return dlms(ctx, instructions)


def _direction_and_number(parent: etree._Element, uc: str) -> int:
    """apcDirectionAndNumber: 0x1n output, 0x2n input (InputFromControlledLoad)."""
    direction = INPUT if present(parent, "InputFromControlledLoad") else OUTPUT
    return direction | _index(parent, "auxiliaryControllerN", uc)


def _level(parent: etree._Element, uc: str) -> int:
    level = xv.integer(parent, "CommandedStateLevel", uc, minimum=0, maximum=100)
    assert level is not None
    return level


@transform_for("ECS46d")
def controller_calendar(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS46d: the auxiliary controllers' special days and schedule (levels 0-100), future-dateable."""
    uc = ctx.use_case
    entries = xv.elements(body, "AuxiliaryControllerSchedule")
    if len(entries) > 120:
        raise TransformError(uc, f"AuxiliaryControllerSchedule: {len(entries)} entries (at most 120)")
    definitions = xv.element(body, "AuxiliaryControllerSpecialDayDefinitions", uc)
    days = special_days(definitions, "AuxiliaryControllerSpecialDayDefinition", "identifier", uc)

    def selector(entry: etree._Element) -> int:
        controller = xv.element(entry, "AuxiliaryControllerAction", uc)
        assert controller is not None
        return _direction_and_number(controller, uc) << 8 | SCHEDULE_FLAG | _level(controller, uc)

    return dlms(ctx, calendar(entries, selector, "AuxiliaryControllerSchedulePeriodAndTime", "identifier", days,
                              execution_time(body, ctx), uc))


@transform_for("ECS47", "ECS47Activate", "ECS47Deactivate", "ECS47Reset")
def switch_state(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS47: activate or deactivate a switch for a Duration, or reset it to its calendar."""
    uc = ctx.use_case
    found = [(name, item) for name in SWITCH_ACTIONS for item in xv.elements(body, name)]
    if len(found) != 1:
        raise TransformError(uc, f"missing element: exactly one of {', '.join(SWITCH_ACTIONS)}")
    name, item = found[0]
    number = _index(item, "index", uc)
    instructions = []
    if name in DURATION_MEMBER:
        duration = xv.integer(item, "Duration", uc, minimum=0, maximum=0xFFFF)
        instructions.append(put(1, _controller(number, DURATION_MEMBER[name]), 2, node("long-unsigned", duration)))
    instructions.append(action(9, SWITCH_SCRIPT, 1, node("long-unsigned", number << 8 | SWITCH_ACTIONS[name])))
    return dlms(ctx, instructions)


def _window(body: etree._Element, uc: str, limit: bool) -> tuple[bytes, bytes]:
    start = xv.date_time(body, "StartDateTime", uc)
    end = xv.date_time(body, "EndDateTime", uc)
    assert start is not None and end is not None
    if end <= start:
        raise TransformError(uc, "EndDateTime must be after StartDateTime")
    if limit and end - start > MAX_LIMIT_WINDOW:
        raise TransformError(uc, "EndDateTime: an APC limit lasts at most 24 hours after StartDateTime")
    return cosem_datetime(start), cosem_datetime(end)


@transform_for("ECS47a", "ECS47e")
def controller_window(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS47a: command a controller to a level for a window; ECS47e: limit an APC's level (at most 24 h)."""
    uc = ctx.use_case
    limit = uc == "ECS47e"
    start, end = _window(body, uc, limit)
    number = _index(body, "auxiliaryControllerN", uc)
    first = 3 if limit else 1
    selector = _direction_and_number(body, uc) << 8 | _level(body, uc)
    return dlms(ctx, [put(1, _controller(number, first), 2, octets(start)),
                      put(1, _controller(number, first + 1), 2, octets(end)),
                      action(9, LIMIT_SCRIPT if limit else SWITCH_SCRIPT, 1, node("long-unsigned", selector))])


@transform_for("ECS61a")
def read_switch_data(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS61a: switch descriptions and ids, the active special days and schedule, every switch's state."""
    reads = [get(1, obis, 2) for obis in DESCRIPTIONS + SWITCH_IDS]
    reads += [get(11, "0-0:11.0.3.255", 2), get(10, "0-0:12.0.2.255", 2)]
    reads += [get(70, f"0-{n}:96.3.10.255", 2) for n in range(1, 6)]
    return dlms(ctx, reads)


@transform_for("ECS61c")
def read_boost_button(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS61c: boost duration, the boost button log over ReadLogPeriod, and the five switch associations."""
    start, end = log_period(body, ctx.use_case)
    reads = [get(1, "0-0:94.44.7.255", 2), get_range(7, "0-0:99.98.20.255", start, end)]
    return dlms(ctx, reads + [get(1, obis, 2) for obis in BOOST])


@transform_for("ECS61d")
def read_controller_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS61d: controller descriptions, the active special days and schedule."""
    reads = [get(1, obis, 2) for obis in DESCRIPTIONS]
    return dlms(ctx, reads + [get(11, "0-0:11.0.3.255", 2), get(10, "0-0:12.0.2.255", 2)])


@transform_for("ECS61e")
def read_controller_operation(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS61e: controller types / ids and their operational levels."""
    return dlms(ctx, [get(1, obis, 2) for obis in SWITCH_IDS + [f"0-0:94.44.0.{30 + n}" for n in range(1, 6)]])


@transform_for("ECS62", "ECS62Add", "ECS62Remove")
def boost_button(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS62: associate (Add) or dissociate (Remove) the switches marked true with the boost button."""
    uc = ctx.use_case
    name = "AddToBoostButton" if etree.QName(body).localname.startswith("Add") else "RemoveFromBoostButton"
    marked: dict[int, bool] = {}
    for item in xv.elements(body, name):
        number = _index(item, "index", uc)
        if number in marked:
            raise TransformError(uc, f"{name}/@index: {number} given twice")
        value = (item.text or "").strip()
        if value not in ("true", "false", "1", "0"):
            raise TransformError(uc, f"{name}: {value!r} is not a boolean")
        marked[number] = value in ("true", "1")
    if not marked:
        raise TransformError(uc, f"missing element {name}")
    if not any(marked.values()):
        raise TransformError(uc, f"{name}: no switch is marked true")
    add = name == "AddToBoostButton"
    return dlms(ctx, [put(1, BOOST[n - 1], 2, flag(add)) for n in sorted(marked) if marked[n]])
