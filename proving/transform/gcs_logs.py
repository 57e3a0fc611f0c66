"""Gas log retrievals (GCS15b/c/d/e, GCS16a/b, GCS17, GCS18, GCS61): snapshots, logs and sampled data.

Each body's ReadLogPeriod (StartDateTime / EndDateTime) becomes the ZCL time window of the
command; the snapshot offsets, causes, log sizes and sample intervals are fixed by GBCS.
URP requests (KAPublicSecurityCredentials present) carry the Unknown Remote Party's KA
certificate in the grouping header's other-information, after the User's ID and counter.
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from gbcs.other_information import OtherInformation, encode_other_information

from . import xml_values as xv
from .gcs_helpers import (
    FC_CLIENT,
    METERING,
    PREPAYMENT,
    component,
    gbz_payload,
    zcl_time,
)
from .registry import TransformContext, Transformed, TransformError, transform_for

GET_SNAPSHOT, GET_PREPAY_SNAPSHOT = 0x06, 0x07  # Metering / Prepayment client commands
GET_SAMPLED_DATA = 0x08
GET_TOP_UP_LOG, GET_DEBT_REPAYMENT_LOG = 0x08, 0x0A
# Snapshot causes (ZCL bitmap32): general (daily), billing period, change of tariff / mode / supplier
CAUSE_DAILY, CAUSE_BILLING_PERIOD, CAUSE_CHANGE_OF_TARIFF_OR_MODE = 0x0001, 0x0002, 0x6008
BILLING_SNAPSHOTS, DAILY_SNAPSHOTS = 12, 31  # the billing data log holds 12 entries, the daily read log 31
DEBT_LOG_ENTRIES, TOP_UP_LOG_ENTRIES = 10, 5
PAYMENT_BASED_DEBT = 2  # ZCL debt type of the payment-based debt (Debt 3)
# Sampled data: (sample id, sample interval in seconds)
PROFILE_DATA, DAILY_CONSUMPTION, NETWORK_DATA = (0, 1800), (1, 86400), (2, 360)


def _window(body: etree._Element, use_case: str) -> tuple[int, int]:
    period = xv.element(body, "ReadLogPeriod", use_case)
    assert period is not None
    start = zcl_time(period, "StartDateTime", use_case)
    end = zcl_time(period, "EndDateTime", use_case)
    if end < start:
        raise TransformError(use_case, "ReadLogPeriod: EndDateTime is before StartDateTime")
    return start, end


def _snapshots(cluster: int, command: int, start: int, end: int, cause: int, count: int) -> list[dict]:
    return [component(cluster, FC_CLIENT, command, fields={"earliest_start_time": start, "latest_end_time": end,
                                                           "snapshot_offset": offset, "snapshot_cause": cause})
            for offset in range(count)]


def urp_information(body: etree._Element, ctx: TransformContext) -> bytes | None:
    """URP other-information: code, the User as Supplementary Remote Party, its counter, its KA certificate."""
    text = xv.text(body, "KAPublicSecurityCredentials", ctx.use_case, required=False)
    if text is None:
        return None
    try:
        certificate = base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error:
        raise TransformError(ctx.use_case, "KAPublicSecurityCredentials: not base64") from None
    if certificate[:1] != b"\x30":
        raise TransformError(ctx.use_case, "KAPublicSecurityCredentials: not a DER certificate")
    return encode_other_information(OtherInformation(ctx.message_code, ctx.originator, ctx.counter,
                                                     certificate=certificate))


@transform_for("GCS15b")
def change_of_mode_billing_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS15b: the Prepayment then the Metering snapshots taken on a change of tariff or payment mode."""
    start, end = _window(body, ctx.use_case)
    parts = _snapshots(PREPAYMENT, GET_PREPAY_SNAPSHOT, start, end, CAUSE_CHANGE_OF_TARIFF_OR_MODE, BILLING_SNAPSHOTS)
    parts += _snapshots(METERING, GET_SNAPSHOT, start, end, CAUSE_CHANGE_OF_TARIFF_OR_MODE, BILLING_SNAPSHOTS)
    return gbz_payload(ctx, parts)


@transform_for("GCS15c")
def billing_calendar_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS15c: the Metering then the Prepayment snapshots taken at the end of each billing period."""
    start, end = _window(body, ctx.use_case)
    parts = _snapshots(METERING, GET_SNAPSHOT, start, end, CAUSE_BILLING_PERIOD, BILLING_SNAPSHOTS)
    parts += _snapshots(PREPAYMENT, GET_PREPAY_SNAPSHOT, start, end, CAUSE_BILLING_PERIOD, BILLING_SNAPSHOTS)
    return gbz_payload(ctx, parts)


@transform_for("GCS16a")
def import_daily_read_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS16a: the daily Metering snapshots of the window."""
    start, end = _window(body, ctx.use_case)
    parts = _snapshots(METERING, GET_SNAPSHOT, start, end, CAUSE_DAILY, DAILY_SNAPSHOTS)
    return gbz_payload(ctx, parts, other_information=urp_information(body, ctx))


@transform_for("GCS16b")
def prepayment_daily_read_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS16b: the daily Prepayment snapshots of the window."""
    start, end = _window(body, ctx.use_case)
    parts = _snapshots(PREPAYMENT, GET_PREPAY_SNAPSHOT, start, end, CAUSE_DAILY, DAILY_SNAPSHOTS)
    return gbz_payload(ctx, parts, other_information=urp_information(body, ctx))


def _from_start(cluster: int, command: int, start: int, fields: dict) -> list[dict]:
    """A log read whose window start travels as the component's from-date-time (GBCS GCS15d / GCS15e)."""
    return [component(cluster, FC_CLIENT, command, fields=fields, from_date_time=start)]


@transform_for("GCS15d")
def debt_payment_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS15d: Get Debt Repayment Log of the payment-based debt."""
    start, end = _window(body, ctx.use_case)
    fields = {"latest_end_time": end, "number_of_debts": DEBT_LOG_ENTRIES, "debt_type": PAYMENT_BASED_DEBT}
    return gbz_payload(ctx, _from_start(PREPAYMENT, GET_DEBT_REPAYMENT_LOG, start, fields))


@transform_for("GCS15e")
def prepayment_credit_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS15e: Get Top Up Log."""
    start, end = _window(body, ctx.use_case)
    fields = {"latest_end_time": end, "number_of_records": TOP_UP_LOG_ENTRIES}
    return gbz_payload(ctx, _from_start(PREPAYMENT, GET_TOP_UP_LOG, start, fields))


def _sampled(ctx: TransformContext, body: etree._Element, sample: tuple[int, int]) -> list[dict]:
    sample_id, interval = sample
    start, end = _window(body, ctx.use_case)
    count = (end - start) // interval + 1  # both ends of the window included
    if count > 0xFFFF:
        raise TransformError(ctx.use_case, f"ReadLogPeriod: {count} samples exceed the ZCL limit")
    fields = {"sample_id": sample_id, "earliest_sample_time": start, "sample_type": 0, "number_of_samples": count}
    return [component(METERING, FC_CLIENT, GET_SAMPLED_DATA, fields=fields)]


@transform_for("GCS17")
def active_import_profile(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS17: Get Sampled Data of the half-hourly consumption profile."""
    return gbz_payload(ctx, _sampled(ctx, body, PROFILE_DATA))


@transform_for("GCS18")
def network_data(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS18: Get Sampled Data of the 6-minute network data samples."""
    return gbz_payload(ctx, _sampled(ctx, body, NETWORK_DATA))


@transform_for("GCS61")
def daily_consumption_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS61: Get Sampled Data of the daily consumption log."""
    return gbz_payload(ctx, _sampled(ctx, body, DAILY_CONSUMPTION), other_information=urp_information(body, ctx))

