"""Gas tariff and price updates (GCS01a, GCS01b) and the gas billing calendar (GCS25a): Price cluster publishes.

GCS01a sends the switching table as Calendar publishes, then Publish Tariff Information,
Publish Block Thresholds and Publish Price Matrix; GCS01b sends the last two without
thresholds.  Future-dated by ExecutionDateTime (3000-12-31 cancels the pending update).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from . import xml_values as xv
from .gcs_calendar import publish_calendar
from .gcs_helpers import (
    CANCEL_NEVER,
    CANCEL_UNDEFINED,
    CURRENCIES,
    FC_SERVER,
    PRICE,
    UINT32_MAX,
    choice,
    component,
    enumeration,
    execution_time,
    gbz_payload,
    indexed_integers,
    issuer_id,
    trailing_digit,
    utc_seconds,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

PUBLISH_BLOCK_PERIOD, PUBLISH_TARIFF_INFORMATION, PUBLISH_PRICE_MATRIX = 0x01, 0x04, 0x05
PUBLISH_BLOCK_THRESHOLDS, PUBLISH_BILLING_PERIOD = 0x06, 0x09
UINT48_MAX = (1 << 48) - 1
# Tariff Type: delivered, charged by TOU (0x00) or by blocks (0x10)
TOU_TARIFF, BLOCK_TARIFF = 0x00, 0x10
KWH = 0x00
# GSME prices and standing charge carry no scale in DUIS: GBCS fixes 8 digits after the decimal point
GAS_PRICE_TRAILING_DIGIT = trailing_digit(8)
TIER_BLOCK_MODE_NOT_USED = 0xFF
# block thresholds are given in Wh: multiplier / divisor turn them into the kWh of the unit of measure
THRESHOLD_MULTIPLIER, THRESHOLD_DIVISOR = 1, 1000
# Sub-Payload Control: price matrix by TOU tier (1) or by block (0); thresholds common to every tier (1)
TOU_PRICES, BLOCK_PRICES, COMMON_THRESHOLDS = 0x01, 0x00, 0x01


def _prices(body: etree._Element, ctx: TransformContext) -> tuple[etree._Element, bool, list[int]]:
    """The GasPriceElements, whether they are block prices, and the prices in index order."""
    uc = ctx.use_case
    if xv.elements(body, "PriceElements/ElectricityPriceElements"):
        raise TransformError(uc, "ElectricityPriceElements: electricity prices for a gas meter")
    elements = xv.element(body, "PriceElements/GasPriceElements", uc)
    assert elements is not None
    kind = choice(elements, ("BlockTariff", "TOUTariff"), uc)
    matrix = xv.element(elements, kind, uc)
    assert matrix is not None
    name = "BlockPrice" if kind == "BlockTariff" else "TOUPrice"
    return elements, kind == "BlockTariff", indexed_integers(matrix, name, uc, minimum=0, maximum=UINT32_MAX, most=4)


def _price_components(body: etree._Element, ctx: TransformContext, start: int, cancel: bool,
                      thresholds: list[int] | None) -> list[dict[str, Any]]:
    uc = ctx.use_case
    elements, block, prices = _prices(body, ctx)
    in_use = xv.integer(elements, "BlockTariff/NumberOfThresholds", uc, minimum=1, maximum=3) if block else 0
    ids = {"provider_id": 0, "issuer_event_id": issuer_id(ctx)}
    tariff = issuer_id(ctx)
    out = [component(PRICE, FC_SERVER, PUBLISH_TARIFF_INFORMATION, fields={
        **ids, "issuer_tariff_id": tariff, "start_time": CANCEL_NEVER if cancel else start,
        "tariff_type": BLOCK_TARIFF if block else TOU_TARIFF, "tariff_label": "",
        "number_of_price_tiers_in_use": 0 if block else len(prices), "number_of_block_thresholds_in_use": in_use,
        "unit_of_measure": KWH, "currency": enumeration(elements, "CurrencyUnits", uc, CURRENCIES),
        "price_trailing_digit": GAS_PRICE_TRAILING_DIGIT,
        "standing_charge": xv.integer(elements, "StandingCharge", uc, minimum=0, maximum=UINT32_MAX),
        "tier_block_mode": TIER_BLOCK_MODE_NOT_USED, "block_threshold_multiplier": THRESHOLD_MULTIPLIER,
        "block_threshold_divisor": THRESHOLD_DIVISOR})]
    common = {**ids, "start_time": start, "issuer_tariff_id": tariff, "command_index": 0,
              "total_number_of_commands": 1}
    if thresholds is not None:
        out.append(component(PRICE, FC_SERVER, PUBLISH_BLOCK_THRESHOLDS, fields={
            **common, "sub_payload_control": COMMON_THRESHOLDS,
            "block_thresholds": [{"tier": 0, "thresholds": thresholds}]}))
    # block prices: tier 0, blocks 1..4 as 0..3; TOU prices: tiers 1..4
    matrix = [{"tier_block_id": i if block else i + 1, "price": price} for i, price in enumerate(prices)]
    out.append(component(PRICE, FC_SERVER, PUBLISH_PRICE_MATRIX, fields={
        **common, "sub_payload_control": BLOCK_PRICES if block else TOU_PRICES, "prices": matrix}))
    return out


@transform_for("GCS01a")
def update_tariff(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS01a: the tariff switching table, special days, thresholds and prices."""
    uc = ctx.use_case
    if xv.elements(body, "ElecTariffElements"):
        raise TransformError(uc, "ElecTariffElements: an electricity tariff for a gas meter")
    elements = xv.element(body, "GasTariffElements", uc)
    assert elements is not None
    table = xv.element(elements, "SwitchingTable", uc)
    special = xv.element(elements, "SpecialDays", uc)
    matrix = xv.element(elements, "ThresholdMatrix", uc)
    assert table is not None and matrix is not None
    start = execution_time(body, ctx, cancel=CANCEL_UNDEFINED)
    cancel = start == CANCEL_UNDEFINED
    thresholds = indexed_integers(matrix, "BlockThreshold", uc, minimum=0, maximum=UINT48_MAX, most=3)
    components = publish_calendar(table, ctx, start, friendly_credit=False, special_days=special)
    components += _price_components(body, ctx, start, cancel, thresholds)
    return gbz_payload(ctx, components)


@transform_for("GCS01b")
def update_price(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS01b: Publish Tariff Information and Publish Price Matrix."""
    start = execution_time(body, ctx, cancel=CANCEL_UNDEFINED)
    return gbz_payload(ctx, _price_components(body, ctx, start, start == CANCEL_UNDEFINED, None))


# Billing Period Duration Type: timebase (low nibble: 1 days, 2 weeks, 3 months), control "not specified"
_NOT_SPECIFIED = 0x20
PERIODICITIES = {"Daily": (1, 0x01), "Weekly": (1, 0x02), "Monthly": (1, 0x03), "Quarterly": (3, 0x03),
                 "SixMonthly": (6, 0x03), "Yearly": (12, 0x03)}
REPEATING_BLOCK, BLOCK_PERIOD_RESOLUTION = 0x02, 0x01


@transform_for("GCS25a")
def update_billing_calendar(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS25a: Publish Billing Period and Publish Block Period from the gas billing calendar."""
    uc = ctx.use_case
    if xv.elements(body, "ElectricityBillingCalendar"):
        raise TransformError(uc, "ElectricityBillingCalendar: an electricity calendar for a gas meter")
    calendar = xv.element(body, "GasBillingCalendar", uc)
    assert calendar is not None
    when = xv.date_time(calendar, "BillingPeriodStart", uc)
    assert when is not None
    start = utc_seconds(when, uc, "BillingPeriodStart")
    periodicity = xv.text(calendar, "Periodicity", uc)
    if periodicity not in PERIODICITIES:
        raise TransformError(uc, f"Periodicity: {periodicity!r} is not one of {', '.join(PERIODICITIES)}")
    duration, timebase = PERIODICITIES[periodicity]
    ids = {"provider_id": 0, "issuer_event_id": issuer_id(ctx)}
    components = [
        component(PRICE, FC_SERVER, PUBLISH_BILLING_PERIOD, fields={
            **ids, "billing_period_start_time": start, "billing_period_duration": duration,
            "billing_period_duration_type": _NOT_SPECIFIED | timebase, "tariff_type": 0}),
        component(PRICE, FC_SERVER, PUBLISH_BLOCK_PERIOD, fields={
            **ids, "block_period_start_time": start, "block_period_duration": duration,
            "block_period_control": REPEATING_BLOCK, "block_period_duration_type": _NOT_SPECIFIED | timebase,
            "tariff_type": 0, "tariff_resolution_period": BLOCK_PERIOD_RESOLUTION}),
    ]
    return gbz_payload(ctx, components)
