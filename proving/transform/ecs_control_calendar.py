"""Calendars of the ESME's switches and auxiliary controllers (ECS46c, ECS46d): the special days
table and the schedule table written to the passive calendar objects, then activated."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from gbcs.dlms.cosem import parse_obis

from . import xml_values as xv
from .ecs_control_helpers import (
    Instruction,
    Node,
    array,
    attribute_int,
    bit_string,
    cosem_date,
    flag,
    node,
    octets,
    put,
    structure,
    time_of_day,
    weekday_flags,
)
from .registry import TransformError

SPECIAL_DAYS = "0-1:11.0.3.255"  # passive special days table (class 11)
SCHEDULE = "0-1:12.0.2.255"  # passive schedule (class 10)
ACTIVATIONS = ("0-0:94.44.128.26", "0-0:94.44.128.35")  # class 9000 attribute 6: when the tables take effect
SWITCH_SCRIPT = "0-0:10.0.103.255"
MAX_SPECIAL_DAYS = 20


def special_days(container: etree._Element | None, item: str, key: str, use_case: str) -> list[tuple[int, bytes]]:
    """(identifier, COSEM date) of each special day definition, in identifier order."""
    days: dict[int, bytes] = {}
    for day in xv.elements(container, item) if container is not None else []:
        identifier = attribute_int(day, key, use_case, 1, MAX_SPECIAL_DAYS)
        if identifier in days:
            raise TransformError(use_case, f"{item}/@{key}: {identifier} defined twice")
        days[identifier] = cosem_date(day, use_case)
    return sorted(days.items())


def special_days_table(days: list[tuple[int, bytes]]) -> Node:
    """The special days table entries: index, date, day id (the identifier)."""
    return array([structure(node("long-unsigned", i), octets(date), node("unsigned", i)) for i, date in days])


def schedule_entry(index: int, selector: int, entry: etree._Element, period: str, key: str,
                   days: list[tuple[int, bytes]], use_case: str) -> Node:
    """One schedule entry: the switch script with ``selector`` at SwitchTime on the applicable days."""
    defined = {i for i, _ in days}
    width = max(defined, default=0)
    flags = [False] * width
    for applicability in xv.elements(entry, "SpecialDaysApplicability"):
        identifier = attribute_int(applicability, key, use_case, 1, MAX_SPECIAL_DAYS)
        if identifier not in defined:
            raise TransformError(use_case, f"SpecialDaysApplicability/@{key}: special day {identifier} is not defined")
        flags[identifier - 1] = True
    when = xv.element(entry, period, use_case)
    assert when is not None
    start = xv.element(when, "StartDate", use_case)
    end = xv.element(when, "EndDate", use_case)
    assert start is not None and end is not None
    return structure(
        node("long-unsigned", index), flag(True), octets(parse_obis(SWITCH_SCRIPT)),
        node("long-unsigned", selector), octets(time_of_day(when, "SwitchTime", use_case)),
        node("long-unsigned", 0xFFFF), bit_string(weekday_flags(entry, "DaysOfWeekApplicability", use_case)),
        bit_string(flags), octets(cosem_date(start, use_case)), octets(cosem_date(end, use_case)))


def calendar(entries: list[etree._Element], selector: Callable[[etree._Element], int],
             period: str, key: str, days: list[tuple[int, bytes]], when: bytes, use_case: str) -> list[Instruction]:
    """Special days, schedule and the two activation date-times, in GBCS order."""
    schedule = [schedule_entry(i, selector(entry), entry, period, key, days, use_case)
                for i, entry in enumerate(entries, 1)]
    return [put(11, SPECIAL_DAYS, 2, special_days_table(days)), put(10, SCHEDULE, 2, array(schedule))] + [
        put(9000, obis, 6, octets(when)) for obis in ACTIVATIONS]
