"""CS02a-g: security credentials (ASN.1).  The certificates come from the DUIS body (base64 DER).

* CS02a / CS02f (SRV 6.24.1): read the trust-anchor details of the listed roles; the ACB
  sends it, authorised by its key-agreement cell.
* CS02b / CS02g: replace trust anchors.  The body names the mode: 6.15.1 by the role it
  replaces (Supplier, NetworkOperator, or LoadController for CS02g), 6.21 a handover, 6.23
  the Change of Supplier by the Transitional CoS party, 8.5 the ACB's own cells.  The
  authorising sequence number is the command's originator counter.  Only the SRVs whose
  future dating the device does (6.15.1, 6.23) carry the execution date-time; the DCC holds
  6.21 and 8.5 requests until theirs.
* CS02c / CS02e: the credential type as a key usage; CS02d: the new device certificate.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lxml import etree

from .cs_helpers import (
    DIGITAL_SIGNATURE,
    KEY_AGREEMENT,
    ROLE_ACB,
    ROLE_LOAD_CONTROLLER,
    ROLE_NETWORK_OPERATOR,
    ROLE_SUPPLIER,
    ROLE_TRANSITIONAL_COS,
    asn1,
    cell,
    certificate,
    certificates,
    credential_type,
    execution_time,
    generalized_time,
    role,
)
from .registry import TransformContext, Transformed, TransformError, transform_for
from .xml_values import boolean, element, elements, integer, text

# replacement mode -> (use case, message code); GBCS CredentialsReplacementMode numbers
SUPPLIER_BY_SUPPLIER, NO_BY_NO, ACB_BY_ACB, SUPPLIER_BY_TRANS_COS, LOAD_CONTROLLER_BY_SUPPLIER = 2, 3, 4, 7, 11
MODES = {SUPPLIER_BY_SUPPLIER: ("CS02b", 0x0102), NO_BY_NO: ("CS02b", 0x0103), ACB_BY_ACB: ("CS02b", 0x0104),
         SUPPLIER_BY_TRANS_COS: ("CS02b", 0x0107), LOAD_CONTROLLER_BY_SUPPLIER: ("CS02g", 0x0126)}
KRP_MODES = {ROLE_SUPPLIER: SUPPLIER_BY_SUPPLIER, ROLE_NETWORK_OPERATOR: NO_BY_NO,
             ROLE_LOAD_CONTROLLER: LOAD_CONTROLLER_BY_SUPPLIER}
DO_NOT_APPLY_CPV_CHECKS = 1  # ApplyTimeBasedCPVChecks doNotApply; 'apply' is the default, left out
TOP_UP_SEQ_USAGE = 0  # OtherFloorSeqNumber usage of the supplier's prepayment top-up floor [I]
FLOOR_MAX = (1 << 63) - 1
CERTIFICATE_CELLS = (("DigitalSigningCertificate", DIGITAL_SIGNATURE, False),
                     ("KeyAgreementCertificate", KEY_AGREEMENT, False),
                     ("KeyAgreementTopUpCertificate", KEY_AGREEMENT, True))


@transform_for("CS02a", "CS02f")
def provide_credential_details(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS02a / CS02f: the requested roles, authorised by the ACB's key-agreement cell."""
    roles = [role(item.text and item.text.strip(), "RemotePartyRole", ctx.use_case)
             for item in elements(body, "RemotePartyRole")]
    if not roles:
        raise TransformError(ctx.use_case, "missing element RemotePartyRole")
    if ctx.use_case == "CS02a" and ROLE_LOAD_CONTROLLER in roles:
        raise TransformError(ctx.use_case, "RemotePartyRole: LoadController is read with CS02f")
    payload = asn1(ctx, "ProvideSecurityCredentialDetailsCommand", {
        "authorisingRemotePartyTACellIdentifier": cell(ROLE_ACB, KEY_AGREEMENT), "remotePartyRoles": roles})
    return dataclasses.replace(payload, acb_originates=True)  # authorised by the ACB's cell: the ACB sends it


@transform_for("CS02c")
def issue_credentials(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS02c: the device generates a key pair of the requested usage."""
    return asn1(ctx, "IssueSecurityCredentialsCommand", {"keyUsage": credential_type(body, ctx.use_case)})


@transform_for("CS02d")
def update_device_certificate(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS02d: the new device certificate."""
    der = certificate(body, "DeviceCertificate", ctx.use_case)
    assert der is not None
    return asn1(ctx, "UpdateDeviceCertificateCommand", der.hex().upper())


@transform_for("CS02e")
def provide_device_certificate(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS02e: read the device certificate of the requested usage."""
    return asn1(ctx, "ProvideDeviceCertificateCommand", {"keyUsage": credential_type(body, ctx.use_case)})


def _floor(body: etree._Element, path: str, use_case: str) -> int | None:
    return integer(body, path, use_case, required=False, minimum=0, maximum=FLOOR_MAX)


def _replacements(container: etree._Element, target_role: int, use_case: str) -> list[dict[str, Any]]:
    """(certificate, target cell) pairs for the DS, KA and prepayment KA certificates present."""
    out = []
    for name, usage, top_up in CERTIFICATE_CELLS:
        der = certificate(container, name, use_case, required=False)
        if der is None:
            continue
        if top_up and target_role != ROLE_SUPPLIER:
            raise TransformError(use_case, f"{name}: only a supplier has a prepayment top-up cell")
        out.append({"replacementCertificate": der.hex().upper(),
                    "targetTrustAnchorCell": cell(target_role, usage, top_up)})
    if not out:
        raise TransformError(use_case, f"{container.tag.split('}')[-1]}: no replacement certificate")
    return out


def _own_floors(control: dict[str, Any], body: etree._Element, floor_path: str, top_up_path: str | None,
                use_case: str) -> None:
    """The authorising role's new floor sequence numbers (and the supplier's top-up floor)."""
    floor = _floor(body, floor_path, use_case)
    top_up = _floor(body, top_up_path, use_case) if top_up_path else None
    if floor is not None:
        control["newRemotePartyFloorSeqNumber"] = floor
    if top_up is not None:
        control["newRemotePartyOtherFloorSeqNumbers"] = [{"seqNumberUsage": TOP_UP_SEQ_USAGE, "floorSeqNumber": top_up}]


def _krp(body: etree._Element, ctx: TransformContext, handover: bool) -> tuple[int, dict[str, Any], list[dict]]:
    """6.15.1 / 6.21: (mode, control, replacements) for the role the body names."""
    target = role(text(body, "RemotePartyRole", ctx.use_case), "RemotePartyRole", ctx.use_case)
    allowed = (ROLE_SUPPLIER, ROLE_NETWORK_OPERATOR) if handover else tuple(KRP_MODES)
    if target not in allowed:
        raise TransformError(ctx.use_case, f"RemotePartyRole: role {target} cannot be replaced by this request")
    mode = KRP_MODES[target]
    authorising = ROLE_SUPPLIER if target == ROLE_LOAD_CONTROLLER else target
    control: dict[str, Any] = {"authorisingRemotePartyTACellIdentifier": cell(authorising, DIGITAL_SIGNATURE)}
    top_up = _floor(body, "RemotePartyPrepaymentTopUpFloorSeqNumber", ctx.use_case)
    if top_up is not None and target != ROLE_SUPPLIER:
        raise TransformError(ctx.use_case, "RemotePartyPrepaymentTopUpFloorSeqNumber: only for the Supplier role")
    if target == ROLE_LOAD_CONTROLLER:
        floor = _floor(body, "RemotePartyFloorSeqNumber", ctx.use_case)
        if floor is not None:
            control["newRemotePartiesFloorSeqNumbers"] = [{"remotePartyRole": target, "floorSeqNumber": floor}]
    else:
        _own_floors(control, body, "RemotePartyFloorSeqNumber", "RemotePartyPrepaymentTopUpFloorSeqNumber",
                    ctx.use_case)
    certs = element(body, "ReplacementCertificates", ctx.use_case)
    if not handover:
        certs = element(certs, "SupplierOrNetworkOperatorCertificates", ctx.use_case)
    return mode, control, _replacements(certs, target, ctx.use_case)


def _change_of_supplier(body: etree._Element, ctx: TransformContext) -> tuple[int, dict[str, Any], list[dict]]:
    """6.23: the Transitional CoS party installs the new supplier's certificates."""
    change: dict[str, Any] = {"remotePartyRole": ROLE_SUPPLIER,
                              "floorSeqNumber": _floor(body, "SupplierFloorSeqNumber", ctx.use_case)}
    if change["floorSeqNumber"] is None:
        raise TransformError(ctx.use_case, "missing element SupplierFloorSeqNumber")
    top_up = _floor(body, "SupplierPrepaymentTopUpFloorSeqNumber", ctx.use_case)
    if top_up is not None:
        change["otherFloorSeqNumbers"] = [{"seqNumberUsage": TOP_UP_SEQ_USAGE, "floorSeqNumber": top_up}]
    control = {"authorisingRemotePartyTACellIdentifier": cell(ROLE_TRANSITIONAL_COS, DIGITAL_SIGNATURE),
               "newRemotePartiesFloorSeqNumbers": [change]}
    certs = element(body, "SupplierReplacementCertificates", ctx.use_case)
    return SUPPLIER_BY_TRANS_COS, control, _replacements(certs, ROLE_SUPPLIER, ctx.use_case)


def _opt_out(body: etree._Element, ctx: TransformContext) -> tuple[int, dict[str, Any], list[dict]]:
    """8.5: the ACB replaces its own cells (MAC'd, so no authorising cell)."""
    control: dict[str, Any] = {}
    _own_floors(control, body, "ACBFloorSeqNumber", None, ctx.use_case)
    if "newRemotePartyFloorSeqNumber" not in control:
        raise TransformError(ctx.use_case, "missing element ACBFloorSeqNumber")
    certs = element(body, "ReplacementCertificates", ctx.use_case)
    return ACB_BY_ACB, control, _replacements(certs, ROLE_ACB, ctx.use_case)


# body element -> (builder, whether the device executes a future date (else the DCC holds the request))
_BODIES = {
    "UpdateSecurityCredentialsKRP": (lambda b, c: _krp(b, c, False), True),
    "RequestHandoverOfDCCControlledDevice": (lambda b, c: _krp(b, c, True), False),
    "UpdateSecurityCredentialsCoS": (_change_of_supplier, True),
    "ServiceOptOut": (_opt_out, False),
}


@transform_for("CS02b", "CS02g")
def update_credentials(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CS02b / CS02g: UpdateSecurityCredentialsCommand.

    The body gives the replacement mode, and the mode the use case and message code (0x0102,
    0x0103, 0x0104, 0x0107 or 0x0126) whatever ``ctx.message_code`` says; a body of the other
    use case than ``ctx.use_case`` is refused.
    """
    name = etree.QName(body).localname
    if name not in _BODIES:
        raise TransformError(ctx.use_case, f"{name}: not a credential update request")
    build, device_dated = _BODIES[name]
    mode, control, replacements = build(body, ctx)
    use_case, code = MODES[mode]
    if use_case != ctx.use_case:
        raise TransformError(ctx.use_case, f"{name}: the request is a {use_case} credential update")
    head: dict[str, Any] = {"credentialsReplacementMode": mode}
    if boolean(body, "ApplyTimeBasedCPVChecks", ctx.use_case) is False:
        head["applyTimeBasedCPVChecks"] = DO_NOT_APPLY_CPV_CHECKS
    value: dict[str, Any] = {
        "authorisingRemotePartyControl": {**head, **control, "authorisingRemotePartySeqNumber": ctx.counter},
        "replacements": replacements,
        "certificationPathCertificates": [der.hex().upper() for der in certificates(
            element(body, "CertificationPathCertificates", ctx.use_case), "Certificate", ctx.use_case)],
    }
    when = execution_time(body, ctx) if device_dated else None
    if when is not None:
        value["executionDateTime"] = generalized_time(when)
    return asn1(ctx, "UpdateSecurityCredentialsCommand", value, use_case=use_case, message_code=code)
