"""Gas ASN.1 commands: GCS28 Synchronise Clock (also SRV 8.1.1 commissioning) and GCS59 Restore GPF Device Log."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from gbcs.asn1.codec import encode_asn1

from . import xml_values as xv
from .gcs_helpers import plus_seconds
from .registry import TransformContext, Transformed, TransformError, transform_for

# DUIS tolerancePeriod bounds (seconds)
TOLERANCE_RANGE = (0, 0xFFFFFFFF)
# GBCS ASN.1 DeviceType of the devices a GPF device log may hold
DEVICE_TYPES = {"GSME": 0, "ESME": 1, "CHF": 2, "GPF": 3, "HCALCS": 4, "PPMID": 5, "TYPE2": 6}
MAX_DEVICE_LOG = 5  # the GPF device log's capacity


def _generalized(when: datetime) -> str:
    return when.strftime("%Y%m%d%H%M%SZ")


@transform_for("GCS28")
def synchronise_clock(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS28: the validity interval [CurrentDateTime, CurrentDateTime + TolerancePeriod] for the device's new time."""
    uc = ctx.use_case
    now = xv.date_time(body, "CurrentDateTime", uc)
    tolerance = xv.integer(body, "TolerancePeriod", uc, minimum=TOLERANCE_RANGE[0], maximum=TOLERANCE_RANGE[1])
    assert now is not None and tolerance is not None
    if now.microsecond:
        raise TransformError(uc, "CurrentDateTime: fractions of a second cannot be sent")
    end = plus_seconds(now, tolerance)
    value = {"validityIntervalStart": _generalized(now), "validityIntervalEnd": _generalized(end)}
    payload = encode_asn1({"asn1_type": "SetClockCommand", "value": value})
    return Transformed(uc, ctx.message_code, "asn1", payload)


@transform_for("GCS59")
def restore_gpf_device_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """GCS59: the old GPF's device log, restored into the new GPF.

    The body names the old GPF (OldGPFID); the log itself comes from the DCC's records of that
    GPF: ``ctx.extra["gpf_device_log"]``, a list of (EUI-64 hex, device type) pairs.
    """
    uc = ctx.use_case
    old = xv.hex_bytes(body, "OldGPFID", uc, length=8)
    assert old is not None
    if old == ctx.recipient:
        raise TransformError(uc, "OldGPFID: the old GPF is the target itself")
    log = ctx.extra.get("gpf_device_log")
    if not log or len(log) > MAX_DEVICE_LOG:
        raise TransformError(uc, f"gpf_device_log: the DCC's record of the old GPF's log (1..{MAX_DEVICE_LOG} entries)"
                                 " is required")
    entries = []
    for eui, kind in log:
        if kind not in DEVICE_TYPES or len(bytes.fromhex(eui)) != 8:
            raise TransformError(uc, f"gpf_device_log: bad entry {eui!r} {kind!r}")
        entries.append({"deviceId": eui.upper(), "deviceType": DEVICE_TYPES[kind]})
    payload = encode_asn1({"asn1_type": "RestoreGPFDeviceLogCommand", "value": {"deviceLog": entries}})
    return Transformed(uc, ctx.message_code, "asn1", payload)
