"""ESME prepayment configuration, SRV 2.1: ECS08 and ECS08a (future-datable at the device).

Sets the non-disablement special days and schedule, the credit thresholds and limits and
their activation date-time (now, ExecutionDateTime, or never to cancel a pending change).

DUIS 5.4 carries no debt recovery rate cap *period* (RTDS 4.5.0 commands set one on
``0-0:94.44.128.13``); without a DUIS value the transform leaves the device's period unchanged.
"""

from __future__ import annotations

from lxml import etree

from .dlms_helpers import (
    Node,
    array,
    bit_string,
    child,
    children,
    cosem_plain_date,
    cosem_time,
    cosem_wildcard_date,
    dlms,
    enumerated,
    execution_time,
    integer,
    node,
    octets,
    set_,
    structure,
    text,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

INT32 = (-(2**31), 2**31 - 1)
SPECIAL_DAYS = "0-1:11.0.2.255"  # non-disablement special days (class 11)
SCHEDULE = "0-1:12.0.1.255"  # non-disablement schedule (class 10)
NON_DISABLEMENT_SCRIPTS = bytes((0, 0, 10, 0, 106, 255))  # script table run by the schedule
SCRIPTS = {"START": 32, "STOP": 33}  # script selectors: non-disablement period starts / stops
ALL_WINDOW = 65535  # validity window: the entry applies whenever the switch time has passed
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WILDCARD_YEAR = 65535  # DUIS: year 65535 in a schedule date means every year
MAX_METER_BALANCE, MAX_CREDIT_THRESHOLD = "0-0:94.44.2.20", "0-0:94.44.2.10"
CAP, LOW_CREDIT, EMERGENCY_LIMIT, EMERGENCY_THRESHOLD = (f"0-0:94.44.128.{n}" for n in (12, 9, 2, 3))
CALENDAR_ACTIVATION, SPECIAL_DAYS_ACTIVATION = "0-0:94.44.128.31", "0-0:94.44.128.28"


def _special_days(calendar: etree._Element, uc: str) -> list[Node]:
    days = children(child(calendar, "ElectricitySpecialDays", uc), "SpecialDay")
    entries = []
    for position, day in enumerate(days, 1):
        index = int(day.get("index", position))
        if not 1 <= index <= 20:
            raise TransformError(uc, f"SpecialDay index {index} out of range [1, 20]")
        entries.append(structure(node("long-unsigned", index), octets(cosem_wildcard_date(child(day, "Date", uc), uc)),
                                 node("unsigned", index)))
    return entries


def _schedule_entry(index: int, entry: etree._Element, special_days: int, uc: str) -> Node:
    script = enumerated(entry, "NonDisablementScript", uc, SCRIPTS)
    weekdays = 0
    for day in entry.iterfind(".//{*}DayOfWeekID"):
        if day.text not in WEEKDAYS:
            raise TransformError(uc, f"DayOfWeekID: {day.text!r} is not a day of the week")
        weekdays |= 1 << (6 - WEEKDAYS.index(day.text))
    specials = 0
    for special in entry.iterfind(".//{*}SpecialDayID"):
        number = int(special.text or 0)
        if not 1 <= number <= special_days:
            raise TransformError(uc, f"SpecialDayID: {number} is not a special day of the calendar")
        specials |= 1 << (special_days - number)
    when = child(entry, "ScheduleDatesAndTime", uc)
    switch = cosem_time(text(when, "SwitchTime", uc) or "", "SwitchTime", uc)
    start = cosem_plain_date(text(when, "StartDate", uc) or "", "StartDate", uc, wildcard_year=WILDCARD_YEAR)
    end = cosem_plain_date(text(when, "EndDate", uc) or "", "EndDate", uc, wildcard_year=WILDCARD_YEAR)
    return structure(
        node("long-unsigned", index), node("boolean", 255), octets(NON_DISABLEMENT_SCRIPTS),
        node("long-unsigned", script), octets(switch), node("long-unsigned", ALL_WINDOW),
        bit_string(weekdays, 7), bit_string(specials, special_days), octets(start), octets(end),
    )


@transform_for("ECS08", "ECS08a")
def update_prepay_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Non-disablement calendar, thresholds and limits, then the activation time of each."""
    uc = ctx.use_case
    config = child(body, "UpdatePrepayConfigElectricity", uc)
    when = octets(execution_time(body, ctx))
    calendar = child(config, "ElectricityNonDisablementCalendar", uc)
    special_days = _special_days(calendar, uc)
    schedules = children(calendar, "ElectricityNonDisablementSchedule")
    if not 1 <= len(schedules) <= 22:
        raise TransformError(uc, "ElectricityNonDisablementSchedule: 1 to 22 entries")
    schedule = [_schedule_entry(i, e, len(special_days), uc) for i, e in enumerate(schedules, 1)]

    def amount(name: str) -> Node:
        return node("double-long", integer(config, name, uc, *INT32))

    # ECS08 writes the maximum meter balance to the value attribute, ECS08a to the passive value
    max_balance_attribute = 2 if uc == "ECS08" else 4
    return dlms(ctx, [
        set_(11, SPECIAL_DAYS, 2, array(special_days)),
        set_(9000, MAX_METER_BALANCE, max_balance_attribute, amount("MaxMeterBalance")),
        set_(9000, MAX_CREDIT_THRESHOLD, 4, amount("MaxCreditThreshold")),
        set_(10, SCHEDULE, 2, array(schedule)),
        set_(9000, CAP, 4, node("long-unsigned", integer(config, "DebtRecoveryRateCap", uc, 0, 65535))),
        set_(9000, LOW_CREDIT, 4, amount("LowCreditThreshold")),
        set_(9000, EMERGENCY_LIMIT, 4, amount("EmergencyCreditLimit")),
        set_(9000, CALENDAR_ACTIVATION, 6, when),
        set_(9000, EMERGENCY_THRESHOLD, 4, amount("EmergencyCreditThreshold")),
        *(set_(9000, obis, 6, when) for obis in (MAX_METER_BALANCE, MAX_CREDIT_THRESHOLD, CAP, LOW_CREDIT,
                                                  EMERGENCY_LIMIT, EMERGENCY_THRESHOLD, SPECIAL_DAYS_ACTIVATION)),
    ])
