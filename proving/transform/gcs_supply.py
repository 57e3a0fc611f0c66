"""Gas supply and sampling (GCS24/24a gas flow, GCS31 network data sampling, GCS32 / GCS39 valve): Metering commands."""

from __future__ import annotations

from typing import Any

from lxml import etree

from . import xml_values as xv
from .gcs_helpers import (
    FC_CLIENT,
    METERING,
    NOW,
    UINT16_MAX,
    choice,
    component,
    enumeration,
    gbz_payload,
    issuer_id,
    scaled_decimal,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

# Set Supply Status states: supply off (the valve locks), unchanged
SUPPLY_OFF, SUPPLY_UNCHANGED = 0x00, 0x03
LOCK_STATES = {"Unchanged": SUPPLY_UNCHANGED, "Locked": SUPPLY_OFF}
CUBIC_METRES = 0x01  # ZCL unit of measure: m3, m3/h


@transform_for("GCS24", "GCS24a")
def update_gas_flow(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS24 / GCS24a: Set Uncontrolled Flow Threshold, then Set Supply Status (uncontrolled flow locks the valve)."""
    uc = ctx.use_case
    form = choice(body, ("UncontrolledGasFlowRate", "UncontrolledGasFlowRateDecimal"), uc)
    expected = "UncontrolledGasFlowRate" if uc == "GCS24" else "UncontrolledGasFlowRateDecimal"
    if form != expected:
        raise TransformError(uc, f"{form}: this use case takes {expected}")
    if form == "UncontrolledGasFlowRate":
        threshold, divisor = xv.integer(body, form, uc, minimum=0, maximum=UINT16_MAX), 1
    else:
        threshold, divisor = scaled_decimal(body, form, uc, 4, UINT16_MAX), 10_000
    event = issuer_id(ctx)
    components = [
        component(METERING, FC_CLIENT, 0x0E, fields={
            "provider_id": 0, "issuer_event_id": event, "uncontrolled_flow_threshold": threshold,
            "unit_of_measure": CUBIC_METRES, "multiplier": 1, "divisor": divisor,
            "stabilisation_period": xv.integer(body, "StabilisationPeriod", uc, minimum=1, maximum=0xFF),
            "measurement_period": xv.integer(body, "MeasurementPeriod", uc, minimum=1, maximum=UINT16_MAX)}),
        component(METERING, FC_CLIENT, 0x0D, fields={
            "issuer_event_id": event,
            "supply_tamper_state": enumeration(body, "SupplyTamperState", uc, LOCK_STATES),
            "supply_depletion_state": enumeration(body, "SupplyDepletionState", uc, LOCK_STATES),
            "supply_uncontrolled_flow_state": SUPPLY_OFF, "load_limit_supply_state": SUPPLY_UNCHANGED}),
    ]
    return gbz_payload(ctx, components)


# Record Network Data: 6-minute consumption samples over 4 hours (both ends included)
NETWORK_SAMPLE_INTERVAL = 6 * 60
NETWORK_SAMPLES = 4 * 60 // 6 + 1
CONSUMPTION_DELIVERED = 0x00  # ZCL sample type


@transform_for("GCS31")
def record_network_data(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS31: Start Sampling now."""
    fields = {"issuer_event_id": issuer_id(ctx), "start_sampling_time": NOW, "sample_type": CONSUMPTION_DELIVERED,
              "sample_request_interval": NETWORK_SAMPLE_INTERVAL, "max_number_of_samples": NETWORK_SAMPLES}
    return gbz_payload(ctx, [component(METERING, FC_CLIENT, 0x07, fields=fields)])


# Change Supply: proposed supply status (0 off, 1 armed) and "acknowledge required"
SUPPLY_STATES = {"GCS32": 0x00, "GCS39": 0x01}
ACKNOWLEDGE_REQUIRED = 0x01


@transform_for("GCS32", "GCS39")
def change_supply(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS32 (disable) / GCS39 (arm): Change Supply, now."""
    fields: dict[str, Any] = {"provider_id": 0, "issuer_event_id": issuer_id(ctx), "request_date_time": NOW,
                              "implementation_date_time": NOW, "proposed_supply_status": SUPPLY_STATES[ctx.use_case],
                              "supply_control_bits": ACKNOWLEDGE_REQUIRED}
    return gbz_payload(ctx, [component(METERING, FC_CLIENT, 0x0B, fields=fields)])
