"""ESME (and CHF log) reads of the ESME control family (DLMS): load limit data, event and
security logs, MPxN, supply status, firmware version, daily consumption log, meter balance."""

from __future__ import annotations

from lxml import etree

from gbcs.dlms.cosem import parse_obis

from . import xml_values as xv
from .ecs_control_helpers import (
    action,
    array,
    cosem_datetime,
    dlms,
    get,
    get_range,
    log_period,
    node,
    octets,
    structure,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

# use case -> (LogToRead, profile generic OBIS)
LOGS = {
    "ECS35a": ("Event", "0-0:99.98.0.255"), "ECS35b": ("Security", "0-0:99.98.1.255"),
    "ECS35c": ("Event", "0-0:99.98.0.255"), "ECS35d": ("Security", "0-0:99.98.1.255"),
    "ECS35e": ("PowerEvent", "0-0:99.98.4.255"), "ECS35f": ("ALCSEvent", "0-17:99.98.2.255"),
    "ECS35g": ("ALCSEvent", "0-17:99.98.2.255"),
}
DAILY_CONSUMPTION_LOG = "0-0:99.1.3.255"
PROTECTION_KEY_INFO = b"\x02"  # key-info: agreed key, C(0e, 2s ECC CDH)
PROTECTION_TRANSACTION = 0x04  # transaction-id prefix of payload protection (the KDF "CRA" slot 4)


@transform_for("ECS27")
def read_load_limit_data(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS27: load limit supply state, counter (value and scaler), threshold and durations."""
    limiter = "0-0:17.0.0.255"
    return dlms(ctx, [get(9000, "0-0:94.44.0.3", 2), get(3, "0-0:94.44.42.255", 2), get(3, "0-0:94.44.42.255", 3),
                      get(71, limiter, 4), get(71, limiter, 6), get(71, limiter, 7)])


@transform_for(*LOGS)
def read_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS35a-g: the entries of one event or security log between ReadLogPeriod start and end."""
    uc = ctx.use_case
    expected, obis = LOGS[uc]
    log = xv.text(body, "LogToRead", uc)
    if log != expected:
        raise TransformError(uc, f"LogToRead: {log!r} is not the {expected} log of {uc}")
    start, end = log_period(body, uc)
    return dlms(ctx, [get_range(7, obis, start, end)])


@transform_for("ECS40")
def read_mpxn(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS40: import MPAN(s) and export MPAN."""
    return dlms(ctx, [get(1, "0-0:94.44.34.11", 2), get(1, "1-0:0.0.2.255", 2)])


@transform_for("ECS45")
def read_supply_status(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS45: the load switch control state."""
    return dlms(ctx, [get(70, "0-0:96.3.10.255", 3)])


@transform_for("ECS52")
def read_firmware_version(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS52: the active firmware version."""
    return dlms(ctx, [get(1, "0-0:0.2.1.255", 2)])


@transform_for("ECS66")
def read_daily_consumption_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS66: the daily consumption log between two date-times, returned encrypted (get protected attributes)."""
    uc = ctx.use_case
    start, end = log_period(body, uc)
    selection = structure(node("enum", 1), structure(octets(cosem_datetime(start)), octets(cosem_datetime(end))))
    attribute = structure(node("long-unsigned", 7), octets(parse_obis(DAILY_CONSUMPTION_LOG)), node("integer", 2),
                          node("long-unsigned", 0), selection)
    transaction = bytes((PROTECTION_TRANSACTION,)) + ctx.counter.to_bytes(8, "big")
    key_info = structure(node("enum", 2), structure(octets(PROTECTION_KEY_INFO), octets(b"")))
    options = structure(octets(transaction), octets(ctx.originator), octets(ctx.recipient), octets(b""), key_info)
    protection = array([structure(node("enum", 2), options)])
    parameters = structure(array([attribute]), protection)
    return dlms(ctx, [action(30, "0-0:43.2.4.255", 1, parameters)])


@transform_for("ECS82")
def read_meter_balance(body: etree._Element, ctx: TransformContext) -> Transformed:
    """ECS82: the current credit amount of the account."""
    return dlms(ctx, [get(112, "0-0:19.10.0.255", 2)])
