"""Gas device configuration (GCS20 / GCS20r alert behaviour, GCS23 gas conversion): Device Management and Price."""

from __future__ import annotations

from lxml import etree

from . import xml_values as xv
from .gcs_helpers import (
    DEVICE_MANAGEMENT,
    FC_SERVER,
    NOW,
    PRICE,
    UINT32_MAX,
    choice,
    component,
    enumeration,
    gbz_payload,
    issuer_id,
    scaled_decimal,
    trailing_digit,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

# ZCL Event Configuration: log as a general event (bits 0-2 = 3), push to WAN / HAN, raise the meter's alarm
LOG_GENERAL_EVENT, PUSH_TO_WAN, PUSH_TO_HAN, RAISE_ALARM = 0x03, 0x08, 0x10, 0x40
ALERT_FLAGS = (("WANAlert", PUSH_TO_WAN), ("HANAlert", PUSH_TO_HAN), ("EventLog", LOG_GENERAL_EVENT),
               ("Alarm", RAISE_ALARM))
APPLY_BY_LIST = 0x00


@transform_for("GCS20")
def configure_alert_behaviour(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS20: one Set Event Configuration per distinct configuration, listing its events (document order)."""
    uc = ctx.use_case
    form = choice(body, ("GasSupplierAlertEventSettings", "GasSupplierAlerts", "ElectricitySupplierAlerts",
                         "ElectricitySupplierHANAlertSettings", "ElectricitySupplierAlarmSettings",
                         "ElectricitySupplierLoggingSettings", "ElectricityNetworkOperatorAlerts",
                         "ElectricityNetworkOperatorLoggingSettings"), uc)
    if form != "GasSupplierAlertEventSettings":
        # GasSupplierAlerts sets the WAN flag alone; the GSME's Set Event Configuration replaces all four
        raise TransformError(uc, f"{form}: only GasSupplierAlertEventSettings is transformed for a GSME")
    settings = xv.element(body, form, uc)
    assert settings is not None
    groups: dict[int, list[int]] = {}
    for alert in settings:
        name = etree.QName(alert).localname
        try:
            event_id = int(name.removeprefix("x"), 16)
        except ValueError:
            raise TransformError(uc, f"{name}: not an alert code element") from None
        configuration = 0
        for flag, bit in ALERT_FLAGS:
            if enumeration(alert, flag, uc, {"Enable": 1, "Disable": 0}):
                configuration |= bit
        groups.setdefault(configuration, []).append(event_id)
    if not groups:
        raise TransformError(uc, f"{form}: no alert to configure")
    components = [component(DEVICE_MANAGEMENT, FC_SERVER, 0x04, fields={
        "issuer_event_id": issuer_id(ctx), "start_date_time": NOW, "event_configuration": configuration,
        "configuration_control": APPLY_BY_LIST, "configuration_payload": {"event_ids": ids}})
        for configuration, ids in groups.items()]
    return gbz_payload(ctx, components)


MJ_PER_M3 = 0x01  # ZCL calorific value unit


@transform_for("GCS23")
def update_gas_conversion(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS23: Publish Conversion Factor (5 decimals) and Publish Calorific Value (1 decimal), effective now."""
    uc = ctx.use_case
    event = issuer_id(ctx)
    components = [
        component(PRICE, FC_SERVER, 0x02, fields={
            "issuer_event_id": event, "start_time": NOW,
            "conversion_factor": scaled_decimal(body, "ConversionFactor", uc, 5, UINT32_MAX),
            "conversion_factor_trailing_digit": trailing_digit(5)}),
        component(PRICE, FC_SERVER, 0x03, fields={
            "issuer_event_id": event, "start_time": NOW,
            "calorific_value": scaled_decimal(body, "CalorificValue", uc, 1, UINT32_MAX),
            "calorific_value_unit": MJ_PER_M3, "calorific_value_trailing_digit": trailing_digit(1)}),
    ]
    return gbz_payload(ctx, components)


ALL_GSME_EVENTS = 0x81FF  # Get Event Configuration: every GSME event / alert


@transform_for("GCS20r")
def read_event_and_alert_behaviours(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS20r: Get Event Configuration of all the GSME's events."""
    return gbz_payload(ctx, [component(DEVICE_MANAGEMENT, FC_SERVER, 0x05, fields={"event_id": ALL_GSME_EVENTS})])
