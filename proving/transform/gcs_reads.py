"""Gas configuration and register reads (GCS13a/b/c, GCS14, GCS21a/b/d/e/f/j/k, GCS33, GCS38, GCS46, GCS60/60a).

The DUIS bodies of these SRVs carry no data: GBCS fixes the clusters and attributes the
command reads (the GBCS use-case tables), in the order listed below.
"""

from __future__ import annotations

from lxml import etree

from .gcs_helpers import (
    BASIC,
    CALENDAR,
    FC_CLIENT,
    METERING,
    PREPAYMENT,
    PRICE,
    component,
    gbz_payload,
    read_attributes,
)
from .registry import TransformContext, Transformed, transform_for

# Metering: current summation delivered (0x0000), and the unit / multiplier / divisor (0x0300 .. 0x0302)
_FORMATTING = (0x0302, 0x0301, 0x0300)
_REGISTER_READS: dict[str, tuple[tuple[int, tuple[int, ...]], ...]] = {
    "GCS13a": ((METERING, (*_FORMATTING, 0x0000)),),
    # block counters: current block 1..4 period consumption delivered (0x0700 .. 0x0703)
    "GCS13b": ((METERING, (0x0700, 0x0701, 0x0702, 0x0703, *_FORMATTING)),),
    # TOU registers: current tier 1..4 summation delivered (0x0100, 0x0102, 0x0104, 0x0106)
    "GCS13c": ((METERING, (*_FORMATTING, 0x0100, 0x0102, 0x0104, 0x0106)),),
    # prepay values: Price conversion factor / calorific value, Prepayment credit, EC, debts
    "GCS14": ((PRICE, (0x0617, 0x0616)), (PREPAYMENT, (0x0005, 0x0002, 0x0001, 0x0231, 0x0211, 0x0221))),
    # gas configuration: Price calorific value / conversion factor and Metering flow and supply settings
    "GCS21a": ((PRICE, (0x0306, 0x0305, 0x0304, 0x0303, 0x0302)),
               (METERING, (0x0B13, 0x0B12, 0x0B11, 0x0B10, 0x0B14, 0x0B15))),
    # identity: Basic manufacturer, model, hardware version; Metering device and firmware identity
    "GCS21e": ((BASIC, (0x0004, 0x0005, 0x0003)), (METERING, (0x0608, 0x0607))),
    "GCS21j": ((PREPAYMENT, (0x0000,)),),  # payment control configuration
    "GCS33": ((METERING, (0x0205, 0x0014)),),  # supply status
    "GCS38": ((METERING, (0x0206,)),),
    "GCS46": ((METERING, (0x0307,)),),
    # meter balance: Metering bill to date (0x0A00) and Prepayment credit remaining (0x0001)
    "GCS60": ((METERING, (0x0A00,)), (PREPAYMENT, (0x0001,))),
    "GCS60a": ((METERING, (0x0A00,)), (PREPAYMENT, (0x0001,))),
}


@transform_for(*_REGISTER_READS)
def read_registers(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Read Attributes, one component per cluster (the body is empty)."""
    reads = [read_attributes(cluster, *attributes) for cluster, attributes in _REGISTER_READS[ctx.use_case]]
    return gbz_payload(ctx, reads)


# Price attributes of the primary tariff: standing charge, block thresholds, tier prices, block prices
_TARIFF_ATTRIBUTES = (0x0203, 0x0202, 0x0100, 0x0101, 0x0102, 0x0615, 0x0400, 0x0401, 0x0402, 0x0403,
                      0x0410, 0x0420, 0x0430, 0x0440, 0x0616, 0x0617, 0x0301)
_ALL_CALENDARS = 0xFFFFFFFF  # Issuer Calendar ID: any calendar
DELIVERED_CALENDAR, FRIENDLY_CREDIT_CALENDAR = 0x00, 0x03


def _get_calendar(calendar_type: int) -> list[dict]:
    """Get Day Profiles, Get Week Profiles, Get Seasons and Get Special Days of every calendar of the type."""
    everything = {"provider_id": 0, "issuer_calendar_id": _ALL_CALENDARS}
    return [
        component(CALENDAR, FC_CLIENT, 0x01, fields={**everything, "start_day_id": 1, "number_of_days": 0}),
        component(CALENDAR, FC_CLIENT, 0x02, fields={**everything, "start_week_id": 1, "number_of_weeks": 0}),
        component(CALENDAR, FC_CLIENT, 0x03, fields=dict(everything)),
        component(CALENDAR, FC_CLIENT, 0x04, fields={"start_time": 0, "number_of_events": 0,
                                                     "calendar_type": calendar_type, **everything}),
    ]


@transform_for("GCS21f")
def read_tariff(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS21f Read Tariff: Price attributes, the calendar (Get Day / Week / Seasons / Special Days), Get Tariff."""
    components = [read_attributes(PRICE, *_TARIFF_ATTRIBUTES), *_get_calendar(DELIVERED_CALENDAR),
                  component(PRICE, FC_CLIENT, 0x00, fields={"command_options": 0})]
    return gbz_payload(ctx, components)


# prepayment configuration: Prepayment settings and thresholds, Price calorific value
_PREPAYMENT_CONFIGURATION = (0x0239, 0x0006, 0x0216, 0x0226, 0x0040, 0x0010, 0x0011, 0x0031, 0x0021, 0x0022,
                             0x0217, 0x0227)


@transform_for("GCS21b")
def read_prepayment_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS21b: Prepayment configuration attributes, a Price attribute and the non-disablement calendar."""
    components = [read_attributes(PREPAYMENT, *_PREPAYMENT_CONFIGURATION), read_attributes(PRICE, 0x0617),
                  *_get_calendar(FRIENDLY_CREDIT_CALENDAR)]
    return gbz_payload(ctx, components)


NO_MINIMUM_ISSUER_ID = 0xFFFFFFFF


@transform_for("GCS21d", "GCS21k")
def read_billing_calendar(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS21d / GCS21k: Get Billing Period (the current one)."""
    fields = {"earliest_start_time": 0, "min_issuer_event_id": NO_MINIMUM_ISSUER_ID, "number_of_commands": 1,
              "tariff_type": 0}
    return gbz_payload(ctx, [component(PRICE, FC_CLIENT, 0x0B, fields=fields)])
