"""CS01a / CS01b (SRV 2.2 Top Up Device): the UTRN entered at the ESME (DLMS) or the GSME (GBZ)."""

from __future__ import annotations

from lxml import etree

from gbcs.gbz import encode_gbz

from .cs_helpers import dlms, node, result
from .registry import TransformContext, Transformed, TransformError, transform_for
from .xml_values import text

TOKEN_GATEWAY = (115, "0-0:19.40.0.255", 1)  # class 115, method 1 'enter'
PREPAYMENT_CLUSTER, CONSUMER_TOP_UP = 0x0705, 0x04
CLUSTER_SPECIFIC_C2S = 0x01
ORIGINATING_DEVICE_REMOTE = 0  # the top-up comes from the head end (not a PPMID)


def _utrn(body: etree._Element, use_case: str) -> bytes:
    """The 20-digit UTRN as the 20-octet ASCII string GBCS carries."""
    utrn = text(body, "UTRN", use_case)
    if utrn is None or len(utrn) != 20 or not utrn.isdigit():
        raise TransformError(use_case, f"UTRN: {utrn!r} is not 20 decimal digits")
    return utrn.encode("ascii")


@transform_for("CS01a")
def top_up_esme(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS01a: token gateway 'enter' with the UTRN."""
    utrn = _utrn(body, ctx.use_case)
    class_id, obis, method = TOKEN_GATEWAY
    return dlms(ctx, [("action", class_id, obis, method, node("octet-string", utrn.hex().upper()))])


@transform_for("CS01b")
def top_up_gsme(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS01b: Prepayment cluster ConsumerTopUp with the UTRN."""
    utrn = _utrn(body, ctx.use_case)
    component = {"control": 0x01, "cluster": PREPAYMENT_CLUSTER,
                 "zcl": {"frame_control": CLUSTER_SPECIFIC_C2S, "sequence": 0, "command": CONSUMER_TOP_UP,
                         "fields": {"originating_device": ORIGINATING_DEVICE_REMOTE,
                                    "top_up_code": utrn.hex().upper()}}}
    return result(ctx, "gbz", encode_gbz({"profile": 0x0109, "components": [component]}))
