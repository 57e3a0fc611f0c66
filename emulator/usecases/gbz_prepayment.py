"""Prepayment cluster commands at the GSME: top-up (CS01b / PCS01), credit, debt and payment-mode settings.

A UTRN top-up is accepted when its check digit is right, its counter is above the
last one accepted and, when the device knows the supplier's prepayment key, its MAC
verifies (gbcs spec §2.9); the value is added to CreditRemaining and logged.
"""

from __future__ import annotations

from typing import Any

from ..security import Incoming
from ..utrn_ledger import UtrnLedger, UtrnOutcome
from ..zigbee import ZigbeeDevice
from .gbz_commands import activate
from .gbz_frame import NOT_FOUND, ZclResult, response_fc
from .gbz_future import EPOCH_2000
from .gbz_handlers import C2S, on

PREPAYMENT = 0x0705
PAYMENT_CONTROL, CREDIT_REMAINING, EMERGENCY_CREDIT_REMAINING, CREDIT_STATUS = 0x0000, 0x0001, 0x0002, 0x0003
ACCUMULATED_DEBT, OVERALL_DEBT_CAP = 0x0005, 0x0006
EMERGENCY_LIMIT, EMERGENCY_THRESHOLD, TOTAL_CREDIT_ADDED = 0x0010, 0x0011, 0x0020
MAX_CREDIT, MAX_PER_TOP_UP, LOW_CREDIT_WARNING, CUT_OFF = 0x0021, 0x0022, 0x0031, 0x0040
EMERGENCY_CREDIT_SELECTED = 0x10
ACCEPTED, REJECTED_INVALID, REJECTED_DUPLICATE, REJECTED_OVER_MAX = 0x00, 0x01, 0x02, 0x03


def _model(device: ZigbeeDevice) -> Any:
    return device.model_for(PREPAYMENT)


@on(PREPAYMENT, C2S, 0x04)
def consumer_top_up(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """CS01b / PCS01: apply a UTRN; the Consumer Top Up Response says whether it was accepted."""
    model = _model(device)
    now = device.now()
    code = bytes.fromhex(fields.get("top_up_code", "")).decode("ascii", "replace")
    result, value = _check_utrn(device, incoming, code)
    if result == ACCEPTED:
        credit = model.get(PREPAYMENT, CREDIT_REMAINING, now) + value
        model.set(PREPAYMENT, CREDIT_REMAINING, credit)
        model.set(PREPAYMENT, TOTAL_CREDIT_ADDED, model.get(PREPAYMENT, TOTAL_CREDIT_ADDED, now) + value)
        device.gbz_state.setdefault("top_ups", []).insert(0, {
            "top_up_code": fields.get("top_up_code", ""), "top_up_amount": value, "top_up_time": int(now) - EPOCH_2000})
    response = {"result_type": result, "top_up_value": value if result == ACCEPTED else -1,
                "source_of_top_up": fields.get("originating_device", 0),
                "credit_remaining": model.get(PREPAYMENT, CREDIT_REMAINING, now) if result == ACCEPTED else -1}
    return ZclResult(0x03, response_fc(comp["zcl"]["frame_control"], True, no_default=False), fields=response,
                     failed=result != ACCEPTED)


_RESULTS = {
    UtrnOutcome.MALFORMED: REJECTED_INVALID,
    UtrnOutcome.NOT_FOR_DEVICE: REJECTED_INVALID,
    UtrnOutcome.DUPLICATE: REJECTED_DUPLICATE,
}


def _check_utrn(device: ZigbeeDevice, incoming: Incoming, code: str) -> tuple[int, int]:
    """``(result type, value in credit units)`` of a UTRN; an accepted one is recorded."""
    ledger = device.gbz_state.setdefault("utrns", UtrnLedger())
    check = ledger.check(device, code)
    if check.outcome is not UtrnOutcome.ACCEPTED:
        return _RESULTS[check.outcome], 0
    limit = _model(device).get(PREPAYMENT, MAX_PER_TOP_UP, device.now())
    if limit and check.amount > limit:
        return REJECTED_OVER_MAX, 0
    ledger.accept(code, check.counter)
    return ACCEPTED, check.amount


def _setter(*pairs: tuple[str, int]) -> Any:
    """A handler writing command fields to prepayment attributes at the command's activation time."""

    def handler(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
        def apply() -> None:
            for name, attribute in pairs:
                if name in fields:
                    _model(device).set(PREPAYMENT, attribute, fields[name])

        return activate(device, incoming, comp, fields, apply)

    return handler


on(PREPAYMENT, C2S, 0x03)(_setter(("emergency_credit_limit", EMERGENCY_LIMIT),
                                  ("emergency_credit_threshold", EMERGENCY_THRESHOLD)))
on(PREPAYMENT, C2S, 0x09)(_setter(("low_credit_warning_level", LOW_CREDIT_WARNING)))
on(PREPAYMENT, C2S, 0x0B)(_setter(("maximum_credit_level", MAX_CREDIT), ("maximum_credit_per_top_up", MAX_PER_TOP_UP)))
on(PREPAYMENT, C2S, 0x0C)(_setter(("overall_debt_cap", OVERALL_DEBT_CAP)))


@on(PREPAYMENT, C2S, 0x00)
def select_emergency_credit(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any],
                            fields: dict[str, Any]) -> Any:
    """GCS06: emergency credit is selected (CreditStatus bit 4) and the allowance becomes available."""
    model = _model(device)
    now = device.now()
    model.set(PREPAYMENT, CREDIT_STATUS, model.get(PREPAYMENT, CREDIT_STATUS, now) | EMERGENCY_CREDIT_SELECTED)
    model.set(PREPAYMENT, EMERGENCY_CREDIT_REMAINING, model.get(PREPAYMENT, EMERGENCY_LIMIT, now))
    return None


@on(PREPAYMENT, C2S, 0x02)
def change_debt(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS04: set (absolute types, even) or adjust (incremental, odd) one of the three debt registers."""
    kind = fields.get("debt_amount_type", 0)
    register = 0x0211 + (kind // 2) * 0x10  # DebtAmount1..3
    if kind > 5:
        return 0x85  # INVALID_FIELD
    model = _model(device)
    amount = fields.get("debt_amount", 0)
    current = model.get(PREPAYMENT, register, device.now())
    model.set(PREPAYMENT, register, max(0, amount if kind % 2 == 0 else current + amount))
    return None


@on(PREPAYMENT, C2S, 0x05)
def credit_adjustment(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS40a-d: adjust credit (type 0 incremental, 1 absolute)."""

    def apply() -> Any:
        model = _model(device)
        kind, value = fields.get("credit_adjustment_type", 0), fields.get("credit_adjustment_value", 0)
        if kind == 0:
            model.set(PREPAYMENT, CREDIT_REMAINING, model.get(PREPAYMENT, CREDIT_REMAINING, device.now()) + value)
        elif kind == 1:
            model.set(PREPAYMENT, CREDIT_REMAINING, value)
        return None

    return activate(device, incoming, comp, fields, apply)


@on(PREPAYMENT, C2S, 0x06)
def change_payment_mode(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any],
                        fields: dict[str, Any]) -> Any:
    """GCS02 / GCS03: new payment control configuration and cut-off value; answered with the emergency settings."""

    def apply() -> None:
        model = _model(device)
        model.set(PREPAYMENT, PAYMENT_CONTROL, fields.get("proposed_payment_control_configuration", 0))
        model.set(PREPAYMENT, CUT_OFF, fields.get("cut_off_value", 0))

    activate(device, incoming, comp, fields, apply)
    model = _model(device)
    now = device.now()
    response = {"friendly_credit": 1 if device.gbz_state.get("friendly_credit_calendar") else 0,
                "friendly_credit_calendar_id": device.gbz_state.get("friendly_credit_calendar", 0),
                "emergency_credit_limit": model.get(PREPAYMENT, EMERGENCY_LIMIT, now),
                "emergency_credit_threshold": model.get(PREPAYMENT, EMERGENCY_THRESHOLD, now)}
    return ZclResult(0x02, response_fc(comp["zcl"]["frame_control"], True), fields=response)


@on(PREPAYMENT, C2S, 0x08)
def get_top_up_log(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any], fields: dict[str, Any]) -> Any:
    """GCS15e: the latest top-ups, newest first; NOT_FOUND when there are none."""
    count = fields.get("number_of_records", 0) or 0xFF
    top_ups = device.gbz_state.get("top_ups", [])[:count]
    if not top_ups:
        return NOT_FOUND
    return ZclResult(0x05, response_fc(comp["zcl"]["frame_control"], True), sensitive=True, fields={
        "command_index": 0, "total_number_of_commands": 1, "top_ups": top_ups})


@on(PREPAYMENT, C2S, 0x0A)
def get_debt_repayment_log(device: ZigbeeDevice, incoming: Incoming, comp: dict[str, Any],
                           fields: dict[str, Any]) -> Any:
    """GCS15d: the debt repayment log (no repayments are collected yet: NOT_FOUND)."""
    return NOT_FOUND
