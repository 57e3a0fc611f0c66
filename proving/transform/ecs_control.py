"""ESME configuration and supply control (DLMS): load limiting, voltage, billing calendar,
power thresholds, maximum demand, randomised offset, MPxN, supply switching, tamper state,
daily block counter reset, CIN and clock (ECS28a..ECS81)."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree

from gbcs.dlms.cosem import parse_obis

from . import xml_values as xv
from .ecs_control_helpers import (
    NEVER,
    Instruction,
    Node,
    action,
    array,
    bit_string,
    cosem_datetime,
    dlms,
    enumerated,
    execution_time,
    flag,
    get,
    node,
    octets,
    present,
    put,
    structure,
    time_of_day,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

U32 = 0xFFFFFFFF
LOAD_LIMIT = "0-0:94.44.0.3"  # supply state on load limit (boolean), then the other load limit settings
LOAD_LIMIT_SETTINGS = (  # (OBIS, DUIS element) in GBCS order after the supply state
    ("0-0:94.44.128.7", "LoadLimitPowerThreshold"),
    ("0-0:94.44.128.6", "LoadLimitPeriod"),
    ("0-0:94.44.128.8", "LoadLimitRestorationPeriod"),
)
SUPPLY_SCRIPT = "0-0:10.0.106.255"
SUPPLY_SCRIPTS = {"ECS42": 51, "ECS43": 52, "ECS44": 54}  # GBCS script selectors: enable, disable, arm
ZERO = node("integer", 0)
MAXIMUM_DEMAND_SCRIPT = "0-0:10.128.100.255"  # starts (selector 1) and ends (2) the configurable period


def _u32(body: etree._Element, path: str, use_case: str) -> int:
    value = xv.integer(body, path, use_case, minimum=0, maximum=U32)
    assert value is not None
    return value


def _dlu(body: etree._Element, path: str, use_case: str) -> Node:
    return node("double-long-unsigned", _u32(body, path, use_case))


@transform_for("ECS28a")
def load_limit_settings(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS28a: supply state and the three load limit settings, then their (future) activation times."""
    uc = ctx.use_case
    state = enumerated(body, "LoadLimitSupplyState", uc, ("Disable", "Unchanged"))
    values = [(LOAD_LIMIT, flag(state == "Disable"))]
    values += [(obis, node("double-long-unsigned", _u32(body, name, uc))) for obis, name in LOAD_LIMIT_SETTINGS]
    when = octets(execution_time(body, ctx))
    instructions = [put(9000, obis, 4, value) for obis, value in values]
    instructions += [put(9000, obis, 6, when) for obis, _ in values]
    return dlms(ctx, instructions)


@transform_for("ECS28b")
def reset_load_limit_counter(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS28b: reset the load limit counter register."""
    return dlms(ctx, [action(3, "0-0:94.44.42.255", 1, ZERO)])


def _phase_settings(body: etree._Element, uc: str, polyphase: bool) -> list[etree._Element]:
    if not polyphase:
        if xv.elements(body, "PolyPhaseVoltageSettings"):
            raise TransformError(uc, "PolyPhaseVoltageSettings given to a single-phase use case")
        single = xv.element(body, "SinglePhaseVoltageSettings", uc)
        assert single is not None
        return [single]
    phases: dict[int, etree._Element] = {}
    for item in xv.elements(body, "PolyPhaseVoltageSettings"):
        phase = xv.integer(item, "Phase", uc, minimum=1, maximum=3)
        assert phase is not None
        settings = xv.element(item, "PhaseVoltageSettings", uc)
        assert settings is not None
        phases[phase] = settings
    if sorted(phases) != [1, 2, 3]:
        raise TransformError(uc, "PolyPhaseVoltageSettings: phases 1, 2 and 3 are each required once")
    return [phases[1], phases[2], phases[3]]


@transform_for("ECS29a", "ECS29b", "ECS29c", "ECS29d")
def voltage_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS29a-d: average RMS thresholds and periods per phase, extreme / sag / swell limiters, counter resets."""
    uc = ctx.use_case
    polyphase = uc in ("ECS29b", "ECS29d")
    keep_counters = uc in ("ECS29c", "ECS29d")
    if present(body, "RMSVoltageCountersNotReset") != keep_counters:
        raise TransformError(uc, "RMSVoltageCountersNotReset must be present exactly for ECS29c / ECS29d")
    phases = _phase_settings(body, uc, polyphase)
    groups = (32, 52, 72)[: len(phases)]
    rms = xv.element(body, "RMSVoltageSettings", uc)
    assert rms is not None
    periods = [put(7, f"1-0:{c}.24.0.255", 4, _dlu(p, "AverageRMSVoltageMeasurementPeriod", uc))
               for c, p in zip(groups, phases, strict=True)]
    limiters: list[Instruction] = []
    for number, name in enumerate(("ExtremeOverVoltage", "ExtremeUnderVoltage", "VoltageSag", "VoltageSwell"), 1):
        obis = f"0-0:17.0.{number}.255"
        limiters.append(put(71, obis, 4, _dlu(rms, f"RMS{name}Threshold", uc)))
        limiters.append(put(71, obis, 6, _dlu(rms, f"RMS{name}MeasurementPeriod", uc)))
    thresholds: list[Instruction] = []
    for index, (c, p) in enumerate(zip(groups, phases, strict=True)):
        under = put(1, f"1-0:{c}.31.0.4", 2, _dlu(p, "AverageRMSUnderVoltageThreshold", uc))
        over = put(1, f"1-0:{c}.35.0.4", 2, _dlu(p, "AverageRMSOverVoltageThreshold", uc))
        # the use cases that reset the counters write phase 1's over threshold first (GBCS ECS29a / ECS29b order)
        thresholds += [over, under] if index == 0 and not keep_counters else [under, over]
    if keep_counters:
        return dlms(ctx, thresholds + periods + limiters)
    return dlms(ctx, periods + limiters + thresholds + _counter_resets(groups))


def _counter_resets(groups: tuple[int, ...]) -> list[Instruction]:
    return [action(3, f"1-0:{c}.{d}.0.4", 1, ZERO) for c in groups for d in (32, 36)]


@transform_for("ECS29e", "ECS29f")
def reset_rms_counters(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS29e (single phase) / ECS29f (polyphase): reset the RMS voltage sag and swell counters."""
    return dlms(ctx, _counter_resets((32,) if ctx.use_case == "ECS29e" else (32, 52, 72)))


def _billing_dates(calendar: etree._Element, uc: str) -> list[bytes]:
    """The COSEM dates (5 bytes, wildcards) of an ElectricityBillingCalendar periodicity."""
    if present(calendar, "Daily"):
        return [b"\xff" * 5]
    weekly = xv.integer(calendar, "Weekly", uc, required=False, minimum=1, maximum=7)
    if weekly is not None:
        return [b"\xff" * 4 + bytes((weekly,))]
    monthly = xv.integer(calendar, "Monthly", uc, required=False, minimum=1, maximum=28)
    if monthly is not None:
        return [b"\xff\xff\xff" + bytes((monthly, 0xFF))]
    for name, count in (("Quarterly", 4), ("SixMonthly", 2), ("Yearly", 1)):
        group = xv.element(calendar, name, uc, required=False)
        if group is None:
            continue
        day = xv.integer(group, "DayOfMonth", uc, minimum=1, maximum=28)
        first = xv.integer(group, "BillingPeriodStartMonth", uc, minimum=1, maximum=12)
        assert day is not None and first is not None
        step = 12 // count
        return [b"\xff\xff" + bytes(((first - 1 + i * step) % 12 + 1, day, 0xFF)) for i in range(count)]
    raise TransformError(uc, "ElectricityBillingCalendar: no periodicity (Daily, Weekly, Monthly, ...)")


@transform_for("ECS30", "ECS30a")
def billing_calendar(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS30 / ECS30a: the end-of-billing-period single action schedule (execution times)."""
    uc = ctx.use_case
    calendar = xv.element(body, "ElectricityBillingCalendar", uc)
    assert calendar is not None
    time = time_of_day(calendar, "BillingTime", uc)
    entries = [structure(octets(time), octets(date)) for date in _billing_dates(calendar, uc)]
    return dlms(ctx, [put(22, "0-0:15.0.0.255", 4, array(entries))])


@transform_for("ECS34")
def power_thresholds(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS34: the low/medium and medium/high instantaneous power thresholds (register monitor)."""
    uc = ctx.use_case
    low, high = _u32(body, "LowMediumPowerThreshold", uc), _u32(body, "MediumHighPowerThreshold", uc)
    if high < low:
        raise TransformError(uc, "MediumHighPowerThreshold is below LowMediumPowerThreshold")
    values = [node("double-long-unsigned", low), node("double-long-unsigned", high)]
    return dlms(ctx, [put(21, "0-0:16.0.0.255", 2, array(values))])


@transform_for("ECS37")
def maximum_demand_period(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS37: the configurable maximum demand period as two daily schedule entries (start, end)."""
    uc = ctx.use_case
    schedule = xv.element(body, "MaximumDemandTimePeriodSchedule", uc)
    assert schedule is not None
    entries = []
    for index, name in enumerate(("StartTime", "EndTime")):
        entries.append(structure(
            node("long-unsigned", index), flag(True), octets(parse_obis(MAXIMUM_DEMAND_SCRIPT)),
            node("long-unsigned", index + 1), octets(time_of_day(schedule, name, uc)),
            node("long-unsigned", 0xFFFF), bit_string([True] * 7), bit_string([]),
            octets(b"\xff" * 5), octets(b"\xff" * 5)))
    return dlms(ctx, [put(10, "0-0:12.0.0.255", 2, array(entries))])


@transform_for("ECS38")
def randomised_offset_limit(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS38: the randomised offset limit (seconds, 0..1799)."""
    limit = xv.integer(body, "RandomisedOffsetLimit", ctx.use_case, minimum=0, maximum=1799)
    return dlms(ctx, [put(1, "0-0:94.44.0.1", 2, node("long-unsigned", limit))])


def _mpan(parent: etree._Element, path: str, uc: str, required: bool = True) -> bytes | None:
    value = xv.text(parent, path, uc, required)
    if value is None:
        return None
    if len(value) != 13 or not value.isdigit():
        raise TransformError(uc, f"{path}: {value!r} is not a 13-digit MPAN")
    return value.encode("ascii")


@transform_for("ECS39a")
def import_mpan(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS39a: the import MPAN (twin element: primary then secondary MPAN in one octet string)."""
    uc = ctx.use_case
    if xv.elements(body, "ImportMPRN"):
        raise TransformError(uc, "ImportMPRN is for a GSME; an ESME takes ImportMPANs")
    mpans = xv.element(body, "ImportMPANs", uc)
    assert mpans is not None
    value = (_mpan(mpans, "ImportMPAN", uc) or b"") + (_mpan(mpans, "SecondaryImportMPAN", uc, False) or b"")
    return dlms(ctx, [put(1, "0-0:94.44.34.11", 2, octets(value))])


@transform_for("ECS39b")
def export_mpan(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS39b: the export MPAN."""
    return dlms(ctx, [put(1, "1-0:0.0.2.255", 2, octets(_mpan(body, "ExportMPAN", ctx.use_case) or b""))])


@transform_for("ECS42", "ECS43", "ECS44")
def supply_switch(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS42 enable / ECS43 disable / ECS44 arm the supply: execute the load switch script."""
    selector = SUPPLY_SCRIPTS[ctx.use_case]
    return dlms(ctx, [action(9, SUPPLY_SCRIPT, 1, node("long-unsigned", selector))])


@transform_for("ECS48")
def daily_block_counter_reset(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS48: daily reset of the tariff block counter matrix at midnight (true) or never (false: no entries)."""
    daily = xv.boolean(body, "DailyTariffBlockCounterMatrixReset", ctx.use_case)
    entries = [structure(octets(bytes(4)), octets(b"\xff" * 5))] if daily else []
    return dlms(ctx, [put(22, "0-0:15.1.0.255", 4, array(entries))])


@transform_for("ECS50")
def customer_identification_number(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS50: send the CIN the DCC generated (context ``extra["cin"]``, 4 digits) to the ESME."""
    cin = str(ctx.extra.get("cin", ""))
    if len(cin) != 4 or not cin.isdigit():
        raise TransformError(ctx.use_case, "CustomerIdentificationNumber (DCC generated, context extra 'cin') "
                                           f"{cin!r} is not 4 digits")
    return dlms(ctx, [put(1, "0-3:96.13.1.255", 2, octets(cin.encode("ascii")))])


@transform_for("ECS57")
def reset_maximum_demand(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS57: reset the maximum demand registers the request names (at least one)."""
    registers = (("MaxDemandActivePowerImportValue", "1-0:1.6.0.255"),
                 ("MaxDemandConfigTimeActivePowerImportValue", "1-0:1.6.1.255"),
                 ("MaxDemandActivePowerExportValue", "1-0:2.6.0.255"))
    instructions = [action(4, obis, 1, ZERO) for name, obis in registers if present(body, name)]
    if not instructions:
        names = ", ".join(name for name, _ in registers)
        raise TransformError(ctx.use_case, f"missing element: at least one of {names}")
    return dlms(ctx, instructions)


@transform_for("ECS70", "ECS70Commission")
def synchronise_clock(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS70: set the clock within CurrentDateTime .. CurrentDateTime + TolerancePeriod, then read it back."""
    uc = ctx.use_case
    current = xv.date_time(body, "CurrentDateTime", uc)
    tolerance = xv.integer(body, "TolerancePeriod", uc, minimum=0, maximum=86400)
    assert current is not None and tolerance is not None
    window = structure(octets(NEVER), octets(cosem_datetime(current)),
                       octets(cosem_datetime(current + timedelta(seconds=tolerance))))
    clock = "0-0:1.0.0.255"
    return dlms(ctx, [put(8, clock, 9, node("enum", 5)), action(8, clock, 5, window), action(8, clock, 4, ZERO),
                      get(8, clock, 2), get(8, clock, 4)])


@transform_for("ECS81")
def supply_tamper_state(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS81: lock the supply on tamper (Locked) or leave it unchanged."""
    state = enumerated(body, "SupplyTamperState", ctx.use_case, ("Locked", "Unchanged"))
    return dlms(ctx, [put(1, "0-0:94.44.0.4", 2, flag(state == "Locked"))])
