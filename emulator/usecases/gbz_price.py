"""Get Current Price at the GSME / GPF (GCS21f): a Publish Price built from the tariff it holds.

The price in force comes from the kept Publish Tariff Information (label, unit, currency,
trailing digit, number of tiers) and Publish Price Matrix (TOU based: one price per tier),
at the tier the kept calendar names for the device's current time: the special day of the
date, else the day of the week in the week profile of the current season; the day
profile's last schedule entry that has started gives the tier.  Without a tariff the
device has no price: NOT_FOUND.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..security import Incoming
from ..zigbee import ZigbeeDevice
from .gbz_frame import NOT_FOUND, ZclResult, response_fc
from .gbz_future import EPOCH_2000
from .gbz_handlers import C2S, on

PRICE, CALENDAR = 0x0700, 0x0707
PUBLISH_CALENDAR_DAY, PUBLISH_WEEK, PUBLISH_SEASONS, PUBLISH_SPECIAL_DAYS = 0x01, 0x02, 0x03, 0x04
PUBLISH_TARIFF, PUBLISH_MATRIX = 0x04, 0x05
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNTIL_CHANGED = 0xFFFF  # duration in minutes: until a new price


def _matches(date_hex: str, day: dt.date) -> bool:
    """A ZCL date (year - 1900, month, day of month, day of week; 0xFF = any) against a date."""
    try:
        year, month, mday, wday = bytes.fromhex(date_hex)
    except ValueError:
        return False
    return ((year == 0xFF or year + 1900 == day.year) and (month == 0xFF or month == day.month)
            and (mday == 0xFF or mday == day.day) and (wday == 0xFF or wday == day.isoweekday()))


def _season_start(date_hex: str, day: dt.date) -> dt.date | None:
    """The start date of a season in the year of ``day`` (None when it cannot be read)."""
    try:
        year, month, mday, _ = bytes.fromhex(date_hex)
        return dt.date(day.year if year == 0xFF else year + 1900, month, mday)
    except ValueError:
        return None


def day_id_at(device: ZigbeeDevice, day: dt.date) -> int | None:
    """The calendar's day profile for a date: a special day's, else the current season's week profile's."""
    model = device.model_for(CALENDAR)
    for kept in model.kept(CALENDAR, PUBLISH_SPECIAL_DAYS):
        for special in kept.get("special_days") or ():
            if _matches(special.get("special_day_date", ""), day):
                return special.get("day_id_ref")
    seasons = [s for kept in model.kept(CALENDAR, PUBLISH_SEASONS) for s in kept.get("seasons") or ()]
    ordered = sorted(((start, s) for s in seasons if (start := _season_start(s.get("season_start_date", ""), day))),
                     key=lambda item: item[0])
    if not ordered:
        return None
    begun = [s for start, s in ordered if start <= day]
    week_id = (begun[-1] if begun else ordered[-1][1]).get("week_id_ref")  # before the first: last year's last
    for week in model.kept(CALENDAR, PUBLISH_WEEK):
        if week.get("week_id") == week_id:
            return week.get(f"day_id_ref_{WEEKDAYS[day.weekday()]}")
    return None


def tier_at(device: ZigbeeDevice, when: dt.datetime) -> int:
    """The price tier the calendar gives at ``when`` (tier 1 when the calendar does not say)."""
    day_id = day_id_at(device, when.date())
    minutes = when.hour * 60 + when.minute
    for profile in device.model_for(CALENDAR).kept(CALENDAR, PUBLISH_CALENDAR_DAY):
        if profile.get("day_id") == day_id:
            begun = [e for e in profile.get("schedule_entries") or () if e.get("start_time", 0) <= minutes]
            if begun:
                return int(max(begun, key=lambda e: e.get("start_time", 0)).get("tier_or_state", 1)) or 1
    return 1


@on(PRICE, C2S, 0x00)
def get_current_price(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS21f: Publish Price of the tier in force now, or NOT_FOUND without a tariff."""
    model = device.model_for(PRICE)
    tariffs = model.kept(PRICE, PUBLISH_TARIFF)
    if not tariffs:
        return NOT_FOUND
    tariff = tariffs[-1]
    now = device.now()
    tier = tier_at(device, dt.datetime.fromtimestamp(now, dt.UTC))
    prices = {p.get("tier_block_id"): p.get("price", 0) for m in model.kept(PRICE, PUBLISH_MATRIX)
              for p in m.get("prices") or ()}
    tiers = int(tariff.get("number_of_price_tiers_in_use", 1)) & 0x0F
    trailing = int(tariff.get("price_trailing_digit", 0)) & 0xF0
    return ZclResult(0x00, response_fc(comp["zcl"]["frame_control"], True, no_default=False), fields={
        "provider_id": tariff.get("provider_id", 0), "rate_label": tariff.get("tariff_label", ""),
        "issuer_event_id": tariff.get("issuer_event_id", 0), "current_time": int(now) - EPOCH_2000,
        "unit_of_measure": tariff.get("unit_of_measure", 0), "currency": tariff.get("currency", 0),
        "price_trailing_digit_and_price_tier": trailing | (tier & 0x0F),
        "number_of_price_tiers_and_register_tier": (tiers << 4) | (tier & 0x0F),
        "start_time": int(tariff.get("start_time", 0)), "duration_in_minutes": UNTIL_CHANGED,
        "price": prices.get(tier, 0)})
