"""ZCL Calendar publishes from a DUIS gas calendar (GCS01a switching table, GCS05 non-disablement calendar).

Both DUIS forms have day profiles, week profiles naming a day per weekday, seasons naming
a week from a start date, and special days naming a day.  They become Publish Calendar,
one Publish Day Profile per day, one Publish Week Profile per week, Publish Seasons and
Publish Special Days (in that order), all with the same issuer IDs and start time.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from . import xml_values as xv
from .gcs_helpers import (
    CALENDAR,
    FC_SERVER,
    component,
    gas_date,
    indexed_integers,
    issuer_id,
    minutes_after_midnight,
)
from .registry import TransformContext, TransformError

PUBLISH_CALENDAR, PUBLISH_DAY, PUBLISH_WEEK, PUBLISH_SEASONS, PUBLISH_SPECIAL_DAYS = range(5)
DELIVERED_CALENDAR, FRIENDLY_CREDIT_CALENDAR = 0x00, 0x03  # ZCL Calendar Type
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NON_DISABLEMENT_ACTIONS = {"STOP": 0, "START": 1}  # friendly credit off / on
BLOCK_TIER = 0  # a block-tariff day has one entry from midnight, with no TOU tier


def _day_entries(day: etree._Element, uc: str, friendly_credit: bool) -> list[dict[str, int]]:
    """The schedule entries of a day profile: (minutes after midnight, tier or friendly-credit state)."""
    if not friendly_credit:
        tier = xv.integer(day, "TOUTariffAction", uc, required=False, minimum=1, maximum=4)
        if tier is None and xv.element(day, "BlockTariff", uc, required=False) is None:
            raise TransformError(uc, "DayProfile: missing element TOUTariffAction or BlockTariff")
        return [{"start_time": 0, "tier_or_state": BLOCK_TIER if tier is None else tier}]
    entries = []
    for action in xv.elements(day, "TimeStartAction"):
        start = xv.text(action, "StartTime", uc)
        assert start is not None
        state = NON_DISABLEMENT_ACTIONS.get(xv.text(action, "NonDisablementAction", uc) or "")
        if state is None:
            raise TransformError(uc, "NonDisablementAction: expected START or STOP")
        entries.append({"start_time": minutes_after_midnight(start, uc, "StartTime"), "tier_or_state": state})
    if not 1 <= len(entries) <= 3:
        raise TransformError(uc, "TimeStartAction: 1..3 expected per day profile")
    return entries


def publish_calendar(calendar: etree._Element, ctx: TransformContext, start: int, *, friendly_credit: bool,
                     special_days: etree._Element | None = None) -> list[dict[str, Any]]:
    """The Calendar cluster components of ``calendar`` (a SwitchingTable or a GasNonDisablementCalendar).

    ``special_days`` is the SpecialDays element (GCS01a's sits beside the switching table;
    by default the calendar's own, as in GCS05).
    """
    uc = ctx.use_case
    ids = {"provider_id": 0, "issuer_event_id": issuer_id(ctx), "issuer_calendar_id": issuer_id(ctx)}
    kind = FRIENDLY_CREDIT_CALENDAR if friendly_credit else DELIVERED_CALENDAR
    day_path = "DayProfiles/GasNonDisablementDayProfile" if friendly_credit else "DayProfiles/DayProfile"
    day_name, max_day = ("GasDayName", 5) if friendly_credit else ("DayName", 4)
    days = xv.elements(calendar, day_path)
    weeks = xv.elements(calendar, "WeekProfiles/WeekProfile")
    seasons = xv.elements(calendar, "SeasonProfiles/Season" if friendly_credit else "Seasons/Season")
    if not days or not weeks or not seasons:
        raise TransformError(uc, f"{etree.QName(calendar).localname}: day, week and season profiles are required")
    day_ids = [xv.integer(day, day_name, uc, minimum=1, maximum=max_day) for day in days]
    week_ids = [xv.integer(week, "WeekName", uc, minimum=1, maximum=2) for week in weeks]
    if len(set(day_ids)) != len(day_ids) or len(set(week_ids)) != len(week_ids):
        raise TransformError(uc, f"{day_name} / WeekName: repeated")
    out = [component(CALENDAR, FC_SERVER, PUBLISH_CALENDAR, fields={
        **ids, "start_time": start, "calendar_type": kind, "calendar_time_reference": 0, "calendar_name": "",
        "number_of_seasons": len(seasons), "number_of_week_profiles": len(weeks),
        "number_of_day_profiles": len(days)})]
    for day, day_id in zip(days, day_ids, strict=True):
        entries = _day_entries(day, uc, friendly_credit)
        out.append(component(CALENDAR, FC_SERVER, PUBLISH_DAY, fields={
            **ids, "day_id": day_id, "total_number_of_schedule_entries": len(entries), "command_index": 0,
            "total_number_of_commands": 1, "calendar_type": kind, "schedule_entries": entries}))
    for week, week_id in zip(weeks, week_ids, strict=True):
        refs = indexed_integers(week, "ReferencedDayName", uc, minimum=1, maximum=max_day, most=7)
        if len(refs) != 7 or not set(refs) <= set(day_ids):
            raise TransformError(uc, "ReferencedDayName: seven days naming defined day profiles expected")
        out.append(component(CALENDAR, FC_SERVER, PUBLISH_WEEK, fields={
            **ids, "week_id": week_id, **{f"day_id_ref_{d}": ref for d, ref in zip(WEEKDAYS, refs, strict=True)}}))
    season_entries = []
    for season in seasons:
        date = xv.element(season, "SeasonStartDate", uc)
        assert date is not None
        week_ref = xv.integer(season, "ReferencedWeekName", uc, minimum=1, maximum=2)
        if week_ref not in week_ids:
            raise TransformError(uc, f"ReferencedWeekName: week {week_ref} is not defined")
        season_entries.append({"season_start_date": gas_date(date, uc), "week_id_ref": week_ref})
    out.append(component(CALENDAR, FC_SERVER, PUBLISH_SEASONS, fields={
        **ids, "command_index": 0, "total_number_of_commands": 1, "seasons": season_entries}))
    if special_days is None:
        special_days = xv.element(calendar, "SpecialDays", uc)
    assert special_days is not None
    special = []
    for item in xv.elements(special_days, "SpecialDay"):
        date = xv.element(item, "Date", uc)
        assert date is not None
        ref = xv.integer(item, "ReferencedDayName", uc, minimum=1, maximum=max_day)
        if ref not in day_ids:
            raise TransformError(uc, f"ReferencedDayName: day {ref} is not defined")
        special.append({"special_day_date": gas_date(date, uc), "day_id_ref": ref})
    if len(special) > 20:
        raise TransformError(uc, "SpecialDay: at most 20")
    out.append(component(CALENDAR, FC_SERVER, PUBLISH_SPECIAL_DAYS, fields={
        **ids, "start_time": start, "calendar_type": kind, "total_number_of_special_days": len(special),
        "command_index": 0, "total_number_of_commands": 1, "special_days": special}))
    return out
