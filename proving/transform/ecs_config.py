"""ESME prepayment, debt and display settings: ECS02, ECS03, ECS04a/b, ECS05, ECS07, ECS09, ECS10, ECS12,
ECS14, ECS15a/c and ECS16.

Values come from the DUIS body; OBIS codes, attribute order and the fixed GBCS parameters
(account status, credit/charge pairs, script ids) follow the GBCS use-case definitions.
"""

from __future__ import annotations

import re

from lxml import etree

from .dlms_helpers import (
    Instruction,
    Node,
    action,
    array,
    bit_string,
    boolean,
    child,
    datetime_element,
    dlms,
    enumerated,
    execution_time,
    find,
    integer,
    node,
    obis_bytes,
    octets,
    set_,
    structure,
    text,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

INT32 = (-(2**31), 2**31 - 1)
ACCOUNT = "0-1:19.0.0.255"  # Account (class 111) of the ESME
CREDIT_MODE, PREPAYMENT_MODE = 1, 2  # account payment mode
ACCOUNT_STATUS = 1  # the account_status member of account_mode_and_status sent with a mode change
METER_BALANCE, EMERGENCY_CREDIT, DEBT_CREDIT = (f"0-0:19.10.{n}.255" for n in (0, 1, 2))
TOU_CHARGE, TIME_DEBT_1, TIME_DEBT_2, PAYMENT_DEBT, STANDING_CHARGE, SECONDARY_CHARGE = (
    f"0-0:19.20.{n}.255" for n in range(6))
DISABLEMENT_THRESHOLD = "0-0:94.44.128.22"


def _credit_charge(credit: str, charge: str, collection: int) -> Node:
    """One credit_charge_configuration entry: credit, charge, 3-bit collection configuration."""
    return structure(octets(obis_bytes(credit)), octets(obis_bytes(charge)), bit_string(collection, 3))


def _collection(suspend_disabled: bool, suspend_emergency: bool) -> int:
    """The 3-bit collection configuration of a time-based debt charge [I].

    First bit: collect while the supply is disabled (cleared by SuspendDebtDisabled); second:
    collect in load-limiting periods (always); third: collect while on emergency credit
    (cleared by SuspendDebtEmergency).  The GBCS bit meanings are not in the spec folder;
    RTDS 4.5.0 sends 110 for these pairs whatever the template's flags, other pairs 111.
    """
    return (0 if suspend_disabled else 4) | 2 | (0 if suspend_emergency else 1)


@transform_for("ECS02", "ECS03")
def update_payment_mode(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Switch the ESME to credit (ECS02) or prepayment (ECS03), now, at ExecutionDateTime, or cancel.

    A twin-element ESME (``ctx.extra["twin_element"]``, from the DCC's device inventory) also
    charges the secondary element's tariff (``0-0:19.20.5.255``) to the meter balance and, in
    prepayment, to emergency credit.
    """
    twin = bool(ctx.extra.get("twin_element"))
    when = octets(execution_time(body, ctx))
    uc = ctx.use_case
    if uc == "ECS02":
        child(body, "Credit", uc)
        pairs = [_credit_charge(METER_BALANCE, charge, 0b111) for charge in (TOU_CHARGE, STANDING_CHARGE)]
        if twin:
            pairs.append(_credit_charge(METER_BALANCE, SECONDARY_CHARGE, 0b111))
        return dlms(ctx, [
            set_(111, ACCOUNT, 2, structure(node("enum", CREDIT_MODE), node("enum", ACCOUNT_STATUS))),
            set_(111, ACCOUNT, 11, array(pairs)),
            set_(111, ACCOUNT, 13, when),
        ])
    prepayment = child(body, "Prepayment", uc)
    debt = _collection(boolean(prepayment, "SuspendDebtDisabled", uc), boolean(prepayment, "SuspendDebtEmergency", uc))
    threshold = integer(prepayment, "DisablementThreshold", uc, *INT32)
    pairs = []
    for credit, charges in ((METER_BALANCE, (TOU_CHARGE, STANDING_CHARGE, TIME_DEBT_1, TIME_DEBT_2, PAYMENT_DEBT)),
                            (EMERGENCY_CREDIT, (PAYMENT_DEBT, TOU_CHARGE, STANDING_CHARGE, TIME_DEBT_1, TIME_DEBT_2)),
                            (DEBT_CREDIT, (STANDING_CHARGE, TIME_DEBT_1, TIME_DEBT_2))):
        for charge in charges:
            time_debt = credit != DEBT_CREDIT and charge in (TIME_DEBT_1, TIME_DEBT_2)
            pairs.append(_credit_charge(credit, charge, debt if time_debt else 0b111))
    if twin:
        pairs += [_credit_charge(credit, SECONDARY_CHARGE, 0b111) for credit in (METER_BALANCE, EMERGENCY_CREDIT)]
    return dlms(ctx, [
        set_(111, ACCOUNT, 2, structure(node("enum", PREPAYMENT_MODE), node("enum", ACCOUNT_STATUS))),
        set_(9000, DISABLEMENT_THRESHOLD, 4, node("double-long", threshold)),
        set_(111, ACCOUNT, 11, array(pairs)),
        set_(9000, DISABLEMENT_THRESHOLD, 6, when),
        set_(111, ACCOUNT, 13, when),
    ])


@transform_for("ECS04a", "ECS04b")
def update_meter_balance(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Adjust the meter balance by AdjustMeterBalance (ECS04a), or reset the credits (ECS04b)."""
    uc = ctx.use_case
    mode = find(body, "PrepaymentMode")
    if mode is None:
        mode = child(body, "CreditMode", uc)
    if uc == "ECS04a":
        amount = integer(mode, "AdjustMeterBalance", uc, *INT32)
        return dlms(ctx, [action(112, METER_BALANCE, 1, node("double-long", amount))])
    child(mode, "ResetMeterBalance", uc)
    return dlms(ctx, [action(112, credit, 2, node("double-long", 0))
                      for credit in (METER_BALANCE, EMERGENCY_CREDIT, DEBT_CREDIT)])


RESET_BLOCK_COUNTERS_SCRIPT = 99  # script of the tariff script table that zeroes the block counters


@transform_for("ECS05")
def reset_block_counters(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Execute the tariffication script that resets the tariff block counter matrix."""
    return dlms(ctx, [action(9, "0-0:10.0.100.255", 1, node("long-unsigned", RESET_BLOCK_COUNTERS_SCRIPT))])


RECOVERY_PERIODS = {"HOURLY": 3600, "DAILY": 86400}  # seconds


@transform_for("ECS07")
def update_debt(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Time-based debt recovery rates and periods, payment-based recovery, then the three debt registers."""
    uc = ctx.use_case
    instructions: list[Instruction] = []
    periods = []
    for number, charge in ((1, TIME_DEBT_1), (2, TIME_DEBT_2)):
        recovery = child(body, f"ElecDebtRecovery{number}", uc)
        rate = integer(recovery, "DebtRecoveryRate", uc, -(2**15), 2**15 - 1)
        scale = integer(recovery, "DebtRecoveryRatePriceScale", uc, -128, 127)
        period = enumerated(recovery, "DebtRecoveryRatePeriod", uc, RECOVERY_PERIODS)
        unit_charge = structure(
            structure(node("integer", 0), node("integer", scale)),
            structure(node("long-unsigned", 0), octets(bytes(6)), node("integer", 0)),
            array([structure(octets(b""), node("long", rate))]),
        )
        instructions.append(set_(113, charge, 6, unit_charge))
        periods.append(set_(113, charge, 8, node("double-long-unsigned", period)))
    per_payment = integer(body, "DebtRecoveryPerPayment", uc, 0, 10000)
    instructions.append(set_(113, PAYMENT_DEBT, 13, node("long-unsigned", per_payment)))
    instructions += periods
    instructions += [action(113, TIME_DEBT_1, 2, node("integer", 0)), action(113, TIME_DEBT_2, 2, node("integer", 0))]
    for element, charge in (("PaymentDebtRegister", PAYMENT_DEBT), ("TimeDebtRegister1", TIME_DEBT_1),
                            ("TimeDebtRegister2", TIME_DEBT_2)):
        instructions.append(action(113, charge, 4, node("double-long", integer(body, element, uc, *INT32))))
    return dlms(ctx, instructions)


@transform_for("ECS09")
def activate_emergency_credit(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Invoke emergency credit on the ESME's emergency credit object."""
    return dlms(ctx, [action(112, EMERGENCY_CREDIT, 3, node("integer", 0))])


@transform_for("ECS10")
def display_message(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Write the supplier message (1-116 printable ASCII characters) to the ESME display."""
    message = _printable(body, "SupplierMessage", ctx.use_case, 116, "[ -~]")
    return dlms(ctx, [set_(1, "0-2:96.13.1.255", 2, octets(message.encode("ascii")))])


@transform_for("ECS12")
def restrict_access_for_change_of_tenancy(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Set the change-of-tenancy date: data before it is no longer shown."""
    when = datetime_element(body, "RestrictionDateTime", ctx.use_case)
    return dlms(ctx, [set_(1, "0-0:94.44.3.2", 2, octets(when))])


@transform_for("ECS14")
def disable_privacy_pin(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Clear the privacy PIN (an empty PIN disables the protection)."""
    return dlms(ctx, [set_(1, "0-0:94.44.3.1", 2, octets(b""))])


EVENT_LOGS = {"ECS15a": "0-0:99.98.0.255", "ECS15c": "0-17:99.98.2.255"}  # ESME event log, ALCS event log


@transform_for("ECS15a", "ECS15c")
def clear_event_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Reset the ESME (ECS15a) or ALCS (ECS15c) event log; ESMEEventLogType, when given, must agree."""
    kind = text(body, "ESMEEventLogType", ctx.use_case, optional=True)
    expected = "ESME" if ctx.use_case == "ECS15a" else "ALCS"
    if kind is not None and kind != expected:
        raise TransformError(ctx.use_case, f"ESMEEventLogType: {kind!r} is not {expected!r}")
    return dlms(ctx, [action(7, EVENT_LOGS[ctx.use_case], 1, node("integer", 0))])


@transform_for("ECS16")
def update_supplier_name(body: etree._Element, ctx: TransformContext) -> Transformed:
    """Write the supplier telephone number and name shown on the ESME."""
    uc = ctx.use_case
    name = _printable(body, "SupplierName", uc, 15, "[ -~]")
    telephone = _printable(body, "SupplierTelephoneNumber", uc, 18, "[0-9 ]")
    return dlms(ctx, [set_(9000, "0-0:96.13.0.255", 2, octets(telephone.encode("ascii"))),
                      set_(9000, "0-0:96.13.1.255", 2, octets(name.encode("ascii")))])


def _printable(body: etree._Element, path: str, use_case: str, longest: int, allowed: str) -> str:
    """A restricted string element: 1..``longest`` characters of the regex class ``allowed``."""
    element = find(body, path)
    value = (element.text or "") if element is not None else ""
    if not value:
        raise TransformError(use_case, f"missing element {path}")
    if len(value) > longest or not re.fullmatch(f"{allowed}+", value):
        raise TransformError(use_case, f"{path}: more than {longest} characters or not {allowed}")
    return value
