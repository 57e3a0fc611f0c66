"""Gas prepayment commands (GCS02/03, GCS04, GCS05, GCS06, GCS40a-d): Prepayment cluster commands.

Amounts are the DUIS values as they stand (the GSME's currency units, as GBCS defines them);
GBCS fixes the command layout and the enumerations below.
"""

from __future__ import annotations

from lxml import etree

from . import xml_values as xv
from .gcs_calendar import publish_calendar
from .gcs_helpers import (
    CANCEL_UNDEFINED,
    DEBT_RECOVERY_PERIODS,
    FC_CLIENT,
    PREPAYMENT,
    choice,
    component,
    enumeration,
    execution_time,
    gbz_payload,
    issuer_id,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

INT32 = (-(1 << 31), (1 << 31) - 1)
UINT32 = (0, (1 << 32) - 1)
SELECT_EMERGENCY_CREDIT, CHANGE_DEBT, EMERGENCY_CREDIT_SETUP, CREDIT_ADJUSTMENT = 0x00, 0x02, 0x03, 0x05
CHANGE_PAYMENT_MODE, SET_LOW_CREDIT_WARNING, SET_MAXIMUM_CREDIT_LIMIT, SET_OVERALL_DEBT_CAP = 0x06, 0x09, 0x0B, 0x0C

# Payment Control Configuration (ZCL bitmap16)
DISCONNECTION_ENABLED, PREPAYMENT_ENABLED, CREDIT_MANAGEMENT, CREDIT_DISPLAY = 0x0001, 0x0002, 0x0004, 0x0010
CONTACTOR_FITTED, DEBT_SUSPENDED_WHEN_DISABLED, DEBT_SUSPENDED_IN_EMERGENCY = 0x0080, 0x0400, 0x0800
CREDIT_MODE = CREDIT_MANAGEMENT | CREDIT_DISPLAY | CONTACTOR_FITTED | DEBT_SUSPENDED_WHEN_DISABLED \
    | DEBT_SUSPENDED_IN_EMERGENCY
PREPAYMENT_MODE = DISCONNECTION_ENABLED | PREPAYMENT_ENABLED | CREDIT_MANAGEMENT | CREDIT_DISPLAY | CONTACTOR_FITTED
NO_CUT_OFF = -1  # credit mode: the supply is never cut off

# ZCL Credit Adjustment Type per DUIS choice (mode, action) and use case
CREDIT_ADJUSTMENTS = {("PrepaymentMode", "AdjustMeterBalance"): ("GCS40a", 0x00),
                      ("PrepaymentMode", "ResetMeterBalance"): ("GCS40b", 0x01),
                      ("CreditMode", "ResetMeterBalance"): ("GCS40d", 0x02),
                      ("CreditMode", "AdjustMeterBalance"): ("GCS40c", 0x03)}

# ZCL debt recovery method and debt amount type (incremental) of the three debts
TIME_BASED, PAYMENT_BASED = 0, 1
DEBT_1_INCREMENTAL, DEBT_2_INCREMENTAL, DEBT_3_INCREMENTAL = 0x01, 0x03, 0x05


@transform_for("GCS02", "GCS03")
def update_payment_mode(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS02 (to credit) / GCS03 (to prepayment): Change Payment Mode, future-datable."""
    expected = {"GCS02": "Credit", "GCS03": "Prepayment"}[ctx.use_case]
    mode = choice(body, ("Credit", "Prepayment"), ctx.use_case)
    if mode != expected:
        raise TransformError(ctx.use_case, f"{mode}: this use case switches to {expected}")
    if mode == "Credit":
        configuration, cut_off = CREDIT_MODE, NO_CUT_OFF
    else:
        prepayment = xv.element(body, "Prepayment", ctx.use_case)
        assert prepayment is not None
        configuration = PREPAYMENT_MODE
        if xv.boolean(prepayment, "SuspendDebtDisabled", ctx.use_case):
            configuration |= DEBT_SUSPENDED_WHEN_DISABLED
        if xv.boolean(prepayment, "SuspendDebtEmergency", ctx.use_case):
            configuration |= DEBT_SUSPENDED_IN_EMERGENCY
        cut_off = xv.integer(prepayment, "DisablementThreshold", ctx.use_case, minimum=INT32[0], maximum=INT32[1])
    fields = {"provider_id": 0, "issuer_event_id": issuer_id(ctx),
              "implementation_date_time": execution_time(body, ctx),
              "proposed_payment_control_configuration": configuration, "cut_off_value": cut_off}
    return gbz_payload(ctx, [component(PREPAYMENT, FC_CLIENT, CHANGE_PAYMENT_MODE, fields=fields)])


@transform_for("GCS04")
def update_debt(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS04: Change Debt for the two time-based debts and the payment-based debt."""
    uc = ctx.use_case
    if xv.elements(body, "ElecDebtRecovery1"):
        raise TransformError(uc, "ElecDebtRecovery1: electricity debt recovery for a gas meter")

    def debt(amount_path: str, amount_type: int, method: int, recovery: dict[str, int]) -> dict:
        amount = xv.integer(body, amount_path, uc, minimum=INT32[0], maximum=INT32[1])
        assert amount is not None
        return component(PREPAYMENT, FC_CLIENT, CHANGE_DEBT, fields={
            "issuer_event_id": issuer_id(ctx), "debt_label": "", "debt_amount": amount,
            "debt_recovery_method": method, "debt_amount_type": amount_type, "debt_recovery_start_time": 0,
            "debt_recovery_collection_time": 0, **recovery})

    def time_based(path: str) -> dict[str, int]:
        element = xv.element(body, path, uc)
        assert element is not None
        rate = xv.integer(element, "DebtRecoveryRate", uc, minimum=0, maximum=UINT32[1])
        period = enumeration(element, "DebtRecoveryRatePeriod", uc, DEBT_RECOVERY_PERIODS)
        return {"debt_recovery_frequency": period, "debt_recovery_amount": rate or 0,
                "debt_recovery_balance_percentage": 0}

    percentage = xv.integer(body, "DebtRecoveryPerPayment", uc, minimum=0, maximum=10000)
    components = [
        debt("TimeDebtRegister1", DEBT_1_INCREMENTAL, TIME_BASED, time_based("GasDebtRecovery1")),
        debt("TimeDebtRegister2", DEBT_2_INCREMENTAL, TIME_BASED, time_based("GasDebtRecovery2")),
        debt("PaymentDebtRegister", DEBT_3_INCREMENTAL, PAYMENT_BASED,
             {"debt_recovery_frequency": DEBT_RECOVERY_PERIODS["DAILY"], "debt_recovery_amount": 0,
              "debt_recovery_balance_percentage": percentage}),
    ]
    return gbz_payload(ctx, components)


@transform_for("GCS05")
def update_prepay_configuration(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS05: emergency credit, debt cap, low credit warning, maximum credit and the non-disablement calendar."""
    uc = ctx.use_case
    if xv.elements(body, "UpdatePrepayConfigElectricity"):
        raise TransformError(uc, "UpdatePrepayConfigElectricity: electricity configuration for a gas meter")
    config = xv.element(body, "UpdatePrepayConfigGas", uc)
    assert config is not None

    def amount(name: str, low: int = UINT32[0]) -> int:
        value = xv.integer(config, name, uc, minimum=low, maximum=INT32[1] if low < 0 else UINT32[1])
        assert value is not None
        return value

    when = execution_time(body, ctx)
    event = issuer_id(ctx)
    components = [
        component(PREPAYMENT, FC_CLIENT, EMERGENCY_CREDIT_SETUP, fields={
            "issuer_event_id": event, "start_time": when, "emergency_credit_limit": amount("EmergencyCreditLimit"),
            "emergency_credit_threshold": amount("EmergencyCreditThreshold")}),
        component(PREPAYMENT, FC_CLIENT, SET_OVERALL_DEBT_CAP, fields={
            "provider_id": 0, "issuer_event_id": event, "implementation_date_time": when,
            "overall_debt_cap": amount("DebtRecoveryRateCap", INT32[0])}),
        # Set Low Credit Warning Level has no time field: the GBZ from-date-time carries the execution time
        component(PREPAYMENT, FC_CLIENT, SET_LOW_CREDIT_WARNING,
                  fields={"low_credit_warning_level": amount("LowCreditThreshold")}, from_date_time=when),
        component(PREPAYMENT, FC_CLIENT, SET_MAXIMUM_CREDIT_LIMIT, fields={
            "provider_id": 0, "issuer_event_id": event, "implementation_date_time": when,
            "maximum_credit_level": amount("MaxMeterBalance"),
            "maximum_credit_per_top_up": amount("MaxCreditThreshold")}),
    ]
    calendar = xv.element(config, "GasNonDisablementCalendar", uc)
    assert calendar is not None
    start = execution_time(body, ctx, cancel=CANCEL_UNDEFINED)
    components += publish_calendar(calendar, ctx, start, friendly_credit=True)
    return gbz_payload(ctx, components)


@transform_for("GCS06")
def activate_emergency_credit(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS06: Select Available Emergency Credit, issued now by the head end (originating device 0)."""
    fields = {"command_issue_date_time": 0, "originating_device": 0}
    return gbz_payload(ctx, [component(PREPAYMENT, FC_CLIENT, SELECT_EMERGENCY_CREDIT, fields=fields)])


@transform_for("GCS40a", "GCS40b", "GCS40c", "GCS40d")
def update_meter_balance(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS40a-d: Credit Adjustment (adjust or reset, in prepayment or credit mode)."""
    uc = ctx.use_case
    mode = choice(body, ("PrepaymentMode", "CreditMode"), uc)
    wrapper = xv.element(body, mode, uc)
    assert wrapper is not None
    action = choice(wrapper, ("AdjustMeterBalance", "ResetMeterBalance"), uc)
    expected, adjustment_type = CREDIT_ADJUSTMENTS[(mode, action)]
    if expected != uc:
        raise TransformError(uc, f"{mode}/{action} is use case {expected}")
    value = 0
    if action == "AdjustMeterBalance":
        value = xv.integer(wrapper, action, uc, minimum=INT32[0], maximum=INT32[1]) or 0
    fields = {"issuer_event_id": issuer_id(ctx), "start_time": 0, "credit_adjustment_type": adjustment_type,
              "credit_adjustment_value": value}
    return gbz_payload(ctx, [component(PREPAYMENT, FC_CLIENT, CREDIT_ADJUSTMENT, fields=fields)])

