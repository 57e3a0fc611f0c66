"""ESME tariffs and prices, SRV 1.1.x / 1.2.x: ECS01a, ECS01b (primary element), ECS01c, ECS01d (secondary).

* switching table -> the activity calendar's passive season, week and day profiles; a day
  profile action runs the tariff script table ``0-0:10.0.100.255`` with selector = TOU rate
  (primary), 100 + block tariff (primary, block / hybrid tariffs), 200 + TOU rate (secondary);
* special days -> the special days table of the element (index, date, day profile);
* threshold matrix -> the thresholds of the eight block register monitors ``0-0:16.1.11..18``;
* prices -> the passive unit charge: 48 TOU rates (index 01..30 hex) then 4 blocks x 8 block
  tariffs (index A1..D8) for the primary element, 4 TOU rates for the secondary; standing
  charge -> the standing charge's passive unit charge;
* then each passive object's activation date-time (now, ExecutionDateTime, or never = cancel).
"""

from __future__ import annotations

from lxml import etree

from .dlms_helpers import (
    Instruction,
    Node,
    array,
    child,
    children,
    cosem_time,
    cosem_wildcard_date,
    dlms,
    enumerated,
    execution_time,
    find,
    integer,
    node,
    octets,
    set_,
    structure,
    text,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

UINT32 = (0, 2**32 - 1)
TARIFF_SCRIPTS = bytes((0, 0, 10, 0, 100, 255))
PRIMARY, SECONDARY = "primary", "secondary"
CALENDAR = {PRIMARY: "0-0:13.0.0.255", SECONDARY: "0-0:13.0.1.255"}
SPECIAL_DAYS = {PRIMARY: "0-1:11.0.0.255", SECONDARY: "0-1:11.0.1.255"}
PRICES = {PRIMARY: "0-0:19.20.0.255", SECONDARY: "0-0:19.20.5.255"}
STANDING_CHARGE = "0-0:19.20.4.255"
# the energy register each element's prices apply to (class 3, value attribute 2), and its scaler
PRICED_REGISTER = {PRIMARY: bytes((1, 0, 1, 8, 0, 255)), SECONDARY: bytes((1, 20, 1, 8, 0, 255))}
COMMODITY_SCALE = 3  # prices per kWh of a register counting Wh
CURRENCY = "0-0:94.44.2.0"
CURRENCY_UNITS = {"GBP": 255, "ECB": 0}  # [I] the ESME's currency flag: true for pounds sterling
THRESHOLD_ACTIVATION = "0-0:94.44.128.29"
SECONDARY_ACTIVATION = "0-0:94.44.128.30"
SPECIAL_DAYS_ACTIVATION = "0-0:63.1.1.255"
TOU_RATES, BLOCKS, BLOCK_TARIFFS, SECONDARY_RATES = 48, 4, 8, 4
ACTION_OFFSETS = {(PRIMARY, "TOUTariffAction"): (0, TOU_RATES), (PRIMARY, "BlockTariffAction"): (100, BLOCK_TARIFFS),
                  (SECONDARY, "TOUTariffAction"): (200, SECONDARY_RATES)}


# ------------------------------------------------------------------ switching table and special days


def _one_byte(value: int) -> Node:
    return octets(bytes((value,)))


def _seasons(table: etree._Element, uc: str) -> Node:
    seasons = []
    for season in children(child(table, "Seasons", uc), "Season"):
        name = (text(season, "SeasonName", uc) or "").encode("ascii", errors="replace")
        start = cosem_wildcard_date(child(season, "SeasonStartDate", uc), uc) + bytes(4) + b"\x80\x00\xff"
        week = integer(season, "ReferencedWeekName", uc, 1, 255) or 0
        seasons.append(structure(octets(name), octets(start), _one_byte(week)))
    return array(seasons)


def _weeks(table: etree._Element, uc: str) -> Node:
    weeks = []
    for week in children(child(table, "WeekProfiles", uc), "WeekProfile"):
        days = {int(d.get("index", 0)): d for d in children(week, "ReferencedDayName")}
        if sorted(days) != list(range(1, 8)):
            raise TransformError(uc, "WeekProfile: ReferencedDayName index 1..7 needed")
        ids = [node("unsigned", _day_id(days[i], uc)) for i in range(1, 8)]
        weeks.append(structure(_one_byte(integer(week, "WeekName", uc, 1, 255) or 0), *ids))
    return array(weeks)


def _day_id(element: etree._Element, uc: str) -> int:
    try:
        value = int((element.text or "").strip())
    except ValueError:
        raise TransformError(uc, "ReferencedDayName: not an integer") from None
    if not 1 <= value <= 16:
        raise TransformError(uc, f"ReferencedDayName: {value} out of range [1, 16]")
    return value


def _days(table: etree._Element, element: str, uc: str) -> Node:
    days = []
    for day in children(child(table, "DayProfiles", uc), "DayProfile"):
        actions = []
        for schedule in children(day, "ProfileSchedule"):
            start = cosem_time(text(schedule, "StartTime", uc) or "", "StartTime", uc)
            for (kind, name), (offset, highest) in ACTION_OFFSETS.items():
                if kind == element and find(schedule, name) is not None:
                    selector = offset + (integer(schedule, name, uc, 1, highest) or 0)
                    break
            else:
                raise TransformError(uc, "ProfileSchedule: missing element TOUTariffAction")
            actions.append(structure(octets(start), octets(TARIFF_SCRIPTS), node("long-unsigned", selector)))
        if not actions:
            raise TransformError(uc, "DayProfile: missing element ProfileSchedule")
        days.append(structure(node("unsigned", integer(day, "DayName", uc, 1, 16) or 0), array(actions)))
    return array(days)


def _special_days(parent: etree._Element, uc: str) -> Node:
    holder = find(parent, "SpecialDays")
    entries = []
    for position, day in enumerate(children(holder, "SpecialDay") if holder is not None else [], 1):
        date = cosem_wildcard_date(child(day, "Date", uc), uc)
        entries.append(structure(node("long-unsigned", position), octets(date),
                                 node("unsigned", integer(day, "ReferencedDayName", uc, 1, 16) or 0)))
    return array(entries)


def _calendar(table: etree._Element, element: str, uc: str) -> list[Instruction]:
    return [set_(20, CALENDAR[element], 7, _seasons(table, uc)), set_(20, CALENDAR[element], 8, _weeks(table, uc)),
            set_(20, CALENDAR[element], 9, _days(table, element, uc))]


def _thresholds(matrix: etree._Element, uc: str) -> list[Instruction]:
    rows = {int(t.get("index", 0)): t for t in children(matrix, "Thresholds")}
    if sorted(rows) != list(range(1, BLOCK_TARIFFS + 1)):
        raise TransformError(uc, f"ThresholdMatrix: Thresholds index 1..{BLOCK_TARIFFS} needed")
    out = []
    for index in range(1, BLOCK_TARIFFS + 1):
        values = []
        for threshold in children(rows[index], "BlockThreshold"):
            value = int((threshold.text or "-1").strip() or -1)
            if not UINT32[0] <= value <= UINT32[1]:
                raise TransformError(uc, f"BlockThreshold: {value} out of range")
            values.append(node("double-long-unsigned", value))
        if not 1 <= len(values) <= BLOCKS:
            raise TransformError(uc, f"Thresholds {index}: 1 to {BLOCKS} BlockThreshold")
        out.append(set_(21, f"0-0:16.1.{10 + index}.255", 2, array(values)))
    return out


# ------------------------------------------------------------------ prices


def _unit_charge(element: str, price_scale: int, entries: list[tuple[bytes, int]]) -> Node:
    return structure(
        structure(node("integer", COMMODITY_SCALE), node("integer", price_scale)),
        structure(node("long-unsigned", 3), octets(PRICED_REGISTER[element]), node("integer", 2)),
        array(structure(octets(index), node("long", price)) for index, price in entries),
    )


def _price(element: etree._Element, uc: str) -> int:
    try:
        value = int((element.text or "").strip())
    except ValueError:
        raise TransformError(uc, f"{etree.QName(element).localname}: not an integer") from None
    if not -(2**15) <= value < 2**15:
        raise TransformError(uc, f"{etree.QName(element).localname}: {value} out of range")
    return value


def _indexed(parent: etree._Element, name: str, highest: int, uc: str) -> dict[int, etree._Element]:
    out = {}
    for position, item in enumerate(children(parent, name), 1):
        index = int(item.get("index", position))
        if not 1 <= index <= highest:
            raise TransformError(uc, f"{name}: index {index} out of range [1, {highest}]")
        out[index] = item
    return out


def _primary_prices(prices: etree._Element, uc: str) -> list[Instruction]:
    """Standing charge and the primary price matrix (TOU, block or hybrid tariff)."""
    standing = integer(prices, "StandingCharge", uc, -(2**15), 2**15 - 1) or 0
    standing_scale = integer(prices, "StandingChargeScale", uc, -128, 127) or 0
    price_scale = integer(prices, "PriceScale", uc, -128, 127) or 0
    tariff = next((e for e in prices if etree.QName(e).localname in ("TOUTariff", "BlockTariff", "HybridTariff")),
                  None)
    if tariff is None:
        raise TransformError(uc, "missing element TOUTariff, BlockTariff or HybridTariff")
    tou = {i: _price(e, uc) for i, e in _indexed(tariff, "TOUPrice", TOU_RATES, uc).items()}
    block: dict[tuple[int, int], int] = {}
    for tariff_index, row in _indexed(tariff, "BlockPrices", BLOCK_TARIFFS, uc).items():
        for block_index, price in _indexed(row, "BlockPrice", BLOCKS, uc).items():
            block[(block_index, tariff_index)] = _price(price, uc)
    entries = [(bytes((i,)), tou.get(i, 0)) for i in range(1, TOU_RATES + 1)]
    entries += [(bytes(((0xA + b - 1) << 4 | t,)), block.get((b, t), 0))
                for b in range(1, BLOCKS + 1) for t in range(1, BLOCK_TARIFFS + 1)]
    standing_charge = structure(
        structure(node("integer", 0), node("integer", standing_scale)),
        structure(node("long-unsigned", 0), octets(bytes(6)), node("integer", 0)),
        array([structure(octets(b""), node("long", standing))]),
    )
    return [set_(113, STANDING_CHARGE, 6, standing_charge),
            set_(113, PRICES[PRIMARY], 6, _unit_charge(PRIMARY, price_scale, entries))]


def _secondary_prices(prices: etree._Element, uc: str) -> Instruction:
    price_scale = integer(prices, "PriceScale", uc, -128, 127) or 0
    rates = {i: _price(e, uc) for i, e in _indexed(prices, "ElectricityPriceElement", SECONDARY_RATES, uc).items()}
    entries = [(bytes((i,)), rates.get(i, 0)) for i in range(1, SECONDARY_RATES + 1)]
    return set_(113, PRICES[SECONDARY], 6, _unit_charge(SECONDARY, price_scale, entries))


# ------------------------------------------------------------------ the use cases


@transform_for("ECS01a")
def update_import_tariff_primary(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Calendar, special days, thresholds, currency, standing charge and prices, then their activation."""
    uc = ctx.use_case
    tariff = child(body, "ElecTariffElements", uc)
    currency = enumerated(tariff, "CurrencyUnits", uc, CURRENCY_UNITS)
    prices = child(body, "PriceElements/ElectricityPriceElements", uc)
    when = octets(execution_time(body, ctx))
    return dlms(ctx, [
        *_calendar(child(tariff, "SwitchingTable", uc), PRIMARY, uc),
        set_(11, SPECIAL_DAYS[PRIMARY], 2, _special_days(tariff, uc)),
        *_thresholds(child(tariff, "ThresholdMatrix", uc), uc),
        set_(9000, CURRENCY, 4, node("boolean", currency)),
        *_primary_prices(prices, uc),
        set_(20, CALENDAR[PRIMARY], 10, when),
        set_(9000, THRESHOLD_ACTIVATION, 6, when),
        set_(9000, CURRENCY, 6, when),
        set_(113, STANDING_CHARGE, 7, when),
        set_(113, PRICES[PRIMARY], 7, when),
        set_(9000, SPECIAL_DAYS_ACTIVATION, 6, when),
    ])


@transform_for("ECS01b")
def update_price_primary(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Standing charge and primary prices, then their activation."""
    uc = ctx.use_case
    when = octets(execution_time(body, ctx))
    prices = child(body, "PriceElements/ElectricityPriceElements", uc)
    return dlms(ctx, [*_primary_prices(prices, uc), set_(113, STANDING_CHARGE, 7, when),
                      set_(113, PRICES[PRIMARY], 7, when)])


@transform_for("ECS01c")
def update_import_tariff_secondary(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Secondary prices, calendar and special days, then their activation."""
    uc = ctx.use_case
    when = octets(execution_time(body, ctx))
    return dlms(ctx, [
        _secondary_prices(child(body, "PriceElements", uc), uc),
        *_calendar(child(body, "SwitchingTable", uc), SECONDARY, uc),
        set_(11, SPECIAL_DAYS[SECONDARY], 2, _special_days(body, uc)),
        set_(20, CALENDAR[SECONDARY], 10, when),
        set_(113, PRICES[SECONDARY], 7, when),
        set_(9000, SECONDARY_ACTIVATION, 6, when),
    ])


@transform_for("ECS01d")
def update_price_secondary(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Secondary prices, then their activation."""
    uc = ctx.use_case
    when = octets(execution_time(body, ctx))
    return dlms(ctx, [_secondary_prices(child(body, "PriceElements", uc), uc), set_(113, PRICES[SECONDARY], 7, when)])
