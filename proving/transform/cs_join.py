"""CS03 joins, CS04 unjoins (SRV 8.7.x / 8.8.x) and CS07 join details (SRV 8.9), ASN.1.

The body names the other device only; its device type (and, for a method C join, its
certificate) comes from the DCC's inventory in ``ctx.extra`` (cs_helpers.EXTRA_KEYS).
Non-critical joins and unjoins (8.7.2, 8.8.2) are sent by the ACB on the User's behalf and
carry the User as Supplementary Remote Party.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .cs_helpers import asn1, eui, extra, supplementary_remote_party
from .registry import TransformContext, Transformed, TransformError, transform_for

JOIN_METHODS = {"CS03A1": 0, "CS03A2": 1, "CS03B": 2, "CS03C": 3}  # JoinMethodAndRole
DEVICE_TYPES = {"GSME": 0, "ESME": 1, "CHF": 2, "GPF": 3, "HCALCS": 4, "PPMID": 5, "IHD": 6, "CAD": 6}
TYPE_2 = 6  # IHD and CAD are Type 2 devices, joined by method B
ACB_SENT_SRVS = frozenset({"8.7.2", "8.8.2"})


def _other_information(ctx: TransformContext) -> bytes | None:
    return supplementary_remote_party(ctx) if ctx.srv in ACB_SENT_SRVS else None


@transform_for(*JOIN_METHODS)
def join(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS03A1/A2/B/C: JoinCommand with the method of the use case and the other device's type."""
    other = eui(body, "OtherDeviceID", ctx.use_case)
    kind = extra(ctx, "other_device_type")
    if kind not in DEVICE_TYPES:
        raise TransformError(ctx.use_case, f"OtherDeviceID: device type {kind!r} cannot be joined")
    method = JOIN_METHODS[ctx.use_case]
    if method == JOIN_METHODS["CS03B"] and DEVICE_TYPES[kind] != TYPE_2:
        raise TransformError(ctx.use_case, f"OtherDeviceID: a method B join is for Type 2 devices, not {kind}")
    value: dict[str, Any] = {"joinMethodAndRole": method, "otherDeviceEntityId": other.hex().upper(),
                             "otherDeviceType": DEVICE_TYPES[kind]}
    if method == JOIN_METHODS["CS03C"]:
        value["otherDeviceCertificate"] = bytes(extra(ctx, "other_device_certificate")).hex().upper()
    return asn1(ctx, "JoinCommand", value, other_information=_other_information(ctx))


@transform_for("CS04AC", "CS04B")
def unjoin(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS04AC / CS04B: UnjoinCommand naming the other device."""
    other = eui(body, "OtherDeviceID", ctx.use_case)
    return asn1(ctx, "UnjoinCommand", other.hex().upper(), other_information=_other_information(ctx))


@transform_for("CS07")
def read_join_details(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS07: ReadDeviceJoinDetailsCommand (NULL); ReadSecurityDetails belongs to CCS07 at the CHF."""
    if body.find(f"{{{etree.QName(body).namespace}}}ReadSecurityDetails") is not None:
        raise TransformError(ctx.use_case, "ReadSecurityDetails: not part of CS07")
    return asn1(ctx, "ReadDeviceJoinDetailsCommand", None)
