"""GCS21f Get Current Price: the tier the calendar gives now, priced from the kept tariff."""

from __future__ import annotations

import datetime as dt

import pytest

from emulator.clock import VirtualClock
from emulator.kinds import create_device
from emulator.profiles import load_profile
from emulator.testkit import RemoteParties
from emulator.usecases.gbz_price import CALENDAR, day_id_at
from tests.test_emulator_gsme import component, send

EUI = bytes.fromhex("00DB1234567890F1")
PRICE = 0x0700
GCS21F = 0x009F
# generic-gsme.toml: day 1 (Mon-Fri) tier 1 from 00:00, tier 2 from 07:00; day 2 (weekend and
# 25 December) tier 1 all day; tier 1 costs 3500, tier 2 2100
CASES = [
    ("2020-06-01T06:59:00Z", 1, 3500),  # Monday before 07:00
    ("2020-06-01T12:00:00Z", 2, 2100),  # Monday after 07:00
    ("2020-06-06T12:00:00Z", 1, 3500),  # Saturday
    ("2020-12-25T12:00:00Z", 1, 3500),  # a Friday, but the special day (day 2)
    ("2020-12-24T12:00:00Z", 2, 2100),  # the Thursday before
]


def _price(device_time: str, profile: str = "generic-gsme") -> dict:
    parties = RemoteParties()
    device = create_device(load_profile(profile), EUI, VirtualClock(device_time), parties.anchors)
    query = component(PRICE, 0x01, 0, 0x00, fields={"command_options": 0})
    return send(parties, device, GCS21F, [query], 10)["components"][0]["zcl"]


@pytest.mark.parametrize(("device_time", "tier", "price"), CASES)
def test_current_price_follows_the_calendar(device_time: str, tier: int, price: int) -> None:
    zcl = _price(device_time)
    assert zcl["command_name"] == "PublishPrice"
    fields = zcl["fields"]
    assert fields["price"] == price
    assert fields["price_trailing_digit_and_price_tier"] == 0x50 | tier
    assert fields["number_of_price_tiers_and_register_tier"] == 0x20 | tier
    assert (fields["currency"], fields["rate_label_text"]) == (826, "standard")


def test_no_tariff_no_price() -> None:
    zcl = _price("2020-06-01T12:00:00Z", "gsme-unconfigured")
    assert zcl["command_name"] == "DefaultResponse" and zcl["fields"]["status"] == 0x8B


@pytest.mark.parametrize(("date", "day_id"), [
    ("2020-02-03T12:00:00Z", 1),   # before the first season start of the year: last year's winter
    ("2020-06-01T12:00:00Z", 3),   # summer (from 1 April)
    ("2020-11-02T12:00:00Z", 1),   # winter (from 1 October)
])
def test_the_season_of_the_date_picks_the_week_profile(date: str, day_id: int) -> None:
    """Two seasons, each with its own week profile; all three dates are Mondays."""
    parties = RemoteParties()
    device = create_device(load_profile("generic-gsme"), EUI, VirtualClock(date), parties.anchors)
    model = device.model_for(CALENDAR)
    model.keep(CALENDAR, 0x03, {"seasons": [{"season_start_date": "FF0A01FF", "week_id_ref": 1},
                                             {"season_start_date": "FF0401FF", "week_id_ref": 2}]})
    model.keep(CALENDAR, 0x02, {"week_id": 2, **{f"day_id_ref_{d}": 3 for d in
                                                 ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                  "saturday", "sunday")}})
    assert day_id_at(device, dt.datetime.fromisoformat(date.replace("Z", "+00:00")).date()) == day_id
