"""Trust-anchor use cases (gbcs spec §2.8): CS02a / CS02f read the cells, CS02b / CS02g replace them.

CS02b (0x0100-0x0109) and CS02g (0x0125, 0x0126): the message code names the replacement
mode, and the mode names the party that must authorise it and the roles whose cells it may
replace (:data:`MODES`).  The device refuses (no response, security log) a command whose
payload mode does not match its message code, whose originator is not the authorising party
(the ACB may also hand a DCC-controlled device over to a supplier or network operator, SRV
6.21), or whose authorising sequence number is not above the one it holds for that role.
Each replacement is then checked on its own (an organisation certificate with an EC key
whose key usage fits the target cell, a cell this kind of device has, a role the mode may
replace): a failed one leaves its cell unchanged (status 10 [I]), the others take effect
and the new party's commands verify from then on.  New floor sequence numbers become the
roles' sequence numbers, and a new party's originator counters must exceed its floor.

With an execution date-time in the future the command is stored and answered with
``commandAccepted`` only; at that time it executes and the device raises alert 0x8F66
(every replacement succeeded) or 0x8F67, message code 0x00CB (0x0124 for CS02g), with the
execution outcome.  The date-time 9999-12-31 23:59:59 cancels a stored update.

CS02a / CS02f status codes [I]: 0 success, 25 the device has no cell for the role
(:data:`CELL_ROLES`), 127 a role these use cases do not report (the transitional CoS party).
ZigBee devices hold only the ACB's KA cell (they check its MAC, never its signature) [I].
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from smetsim.keys.keystore import certificate_identity

from ..alerts import FUTURE_DATED_FAILURE, FUTURE_DATED_SUCCESS
from ..device import Device, Reply
from ..faults import HardwareFault
from ..registry import handles
from ..security import Incoming
from ..trust import ROLE_ACB, ROLE_SUPPLIER, USAGES, TrustAnchors, certificate_ski
from .asn1_common import (
    ALL_KINDS,
    NEVER,
    cancel,
    command_value,
    named,
    number,
    parse_generalized_time,
    reply,
    schedule,
    send_alert,
)

STATUS_SUCCESS = 0
STATUS_NO_CELL = 25
STATUS_NOT_REPORTED = 127
STATUS_UNCHANGED = 10
ALL_ROLES = frozenset({0, 1, 2, 3, 4, 5, 6, 8})
# replacement mode -> (authorising role, roles whose cells it may replace)
MODES: dict[int, tuple[int, frozenset[int]]] = {
    0: (2, frozenset({0})), 1: (6, frozenset({0})), 2: (2, frozenset({2})), 3: (3, frozenset({3})),
    4: (4, frozenset({4})), 5: (6, frozenset({6})), 6: (5, frozenset({5})), 7: (5, frozenset({2})),
    8: (1, ALL_ROLES - {0}), 9: (0, ALL_ROLES), 10: (8, frozenset({8})), 11: (2, frozenset({8})),
}
HANDOVER_MODES = frozenset({2, 3})  # the ACB hands a DCC-controlled device over (SRV 6.21)
MODE_OF_CODE = {**{0x0100 + mode: mode for mode in range(10)}, 0x0125: 10, 0x0126: 11}
LOAD_CONTROLLER_CODES = frozenset({0x0125, 0x0126})
ALERT_CS02B, ALERT_CS02G = 0x00CB, 0x0124
# roles with trust-anchor cells on each device kind [I]
CELL_ROLES: dict[str, frozenset[int]] = {
    "ESME": ALL_ROLES, "GPF": frozenset({0, 1, 2, 3, 4, 5}), "GSME": frozenset({0, 1, 2, 4, 5}),
    "CHF": frozenset({0, 1, 4, 6}), "PPMID": frozenset({0, 1, 2, 4, 5}), "HCALCS": frozenset({0, 1, 2, 4, 5}),
}
REPORTED_ROLES = ALL_ROLES - {5}
ZIGBEE_KINDS = frozenset({"GSME", "GPF", "PPMID", "HCALCS"})
ZIGBEE_ACB_USAGES = ("ka",)  # ZigBee devices only check the ACB's MAC: no ACB DS cell [I]
_BITS = {"ds": {"hex": "80", "bits": 1}, "ka": {"hex": "08", "bits": 5}}


# ---------------------------------------------------------------------------- cells


def cell_identifier(role: int, usage: str) -> dict[str, Any]:
    """The TrustAnchorCellIdentifier tree of a cell."""
    tree: dict[str, Any] = {"remotePartyRole": named(role), "keyUsage": dict(_BITS["ka" if usage != "ds" else "ds"])}
    if usage == "pp-ka":
        tree["cellUsage"] = named(1)
    return tree


def cell_usage(identifier: dict[str, Any]) -> str | None:
    """'ds', 'ka' or 'pp-ka' for a TrustAnchorCellIdentifier tree, None when it names no single usage."""
    names = identifier["keyUsage"].get("names") or []
    cell = number(identifier["cellUsage"]) if identifier.get("cellUsage") is not None else 0
    if names == ["digitalSignature"] and cell == 0:
        return "ds"
    if names == ["keyAgreement"]:
        return {0: "ka", 1: "pp-ka"}.get(cell)
    return None


def holds_cell(device: Device, role: int, usage: str) -> bool:
    """True when a device of this kind has a cell of ``role`` and ``usage`` (filled or not) [I]."""
    kind = device.profile.dlms_kind
    if role not in CELL_ROLES.get(kind, ALL_ROLES) or (usage == "pp-ka" and role != ROLE_SUPPLIER):
        return False
    return not (role == ROLE_ACB and kind in ZIGBEE_KINDS and usage not in ZIGBEE_ACB_USAGES)


def has_cells(device: Device, role: int) -> bool:
    """True when the device holds filled cells for ``role``."""
    return role in CELL_ROLES.get(device.profile.dlms_kind, ALL_ROLES) and role in device.security.anchors.by_role


def cell_usages(device: Device, role: int) -> list[str]:
    """The filled cells of ``role`` the device holds (DS, KA, prepayment KA order)."""
    return [u for u in device.security.anchors.by_role[role].usages() if holds_cell(device, role, u)]


def role_details(device: Device, role: int) -> dict[str, Any]:
    """One RemotePartyDetails: the role's sequence number and cell contents, or why there are none."""
    if role not in REPORTED_ROLES:
        return {"targetRemotePartyRole": named(role), "status": named(STATUS_NOT_REPORTED)}
    anchors = device.security.anchors
    if not has_cells(device, role):
        return {"targetRemotePartyRole": named(role), "status": named(STATUS_NO_CELL)}
    anchor = anchors.by_role[role]
    cells = []
    for usage in cell_usages(device, role):
        cell = cell_identifier(role, usage)
        del cell["remotePartyRole"]
        cell["subjectUniqueID"] = anchor.eui.hex().upper()
        cell["subjectKeyIdentifier"] = (anchor.ski(usage) or b"").hex().upper()
        cells.append(cell)
    return {"targetRemotePartyRole": named(role), "status": named(STATUS_SUCCESS),
            "currentSeqNumber": anchors.seq_of(role), "trustAnchorCellContents": cells}


def _authorised_by_originator(device: Device, incoming: Incoming, identifier: dict[str, Any] | None) -> bool:
    """The command's authorising cell names the originator's role (logged when it does not)."""
    if identifier is None or number(identifier["remotePartyRole"]) == incoming.role:
        return True
    device.security_log.add(device.now(), 0, f"0x{incoming.code:04X}: authorising cell is not the originator's")
    return False


@handles(kinds=ALL_KINDS, codes=(0x0008, 0x011B))
def provide_credential_details(device: Device, incoming: Incoming) -> Reply | None:
    """CS02a / CS02f: the details of each requested role's trust-anchor cells."""
    command = command_value(device, incoming, "ProvideSecurityCredentialDetailsCommand")
    if command is None or not _authorised_by_originator(
            device, incoming, command["authorisingRemotePartyTACellIdentifier"]):
        return None
    details = [role_details(device, number(role)) for role in command["remotePartyRoles"]]
    return reply("ProvideSecurityCredentialDetailsResponse", details)


# ---------------------------------------------------------------------------- replacement


def _new_party(der: str, usage: str) -> tuple[bytes, ec.EllipticCurvePublicKey, bytes] | None:
    """(EUI, key, SKI) of an organisation certificate whose key usage fits the target cell, else None.

    The role in the certificate (subject OU) is not checked: the cell's role is the one the
    party holds on this device (RTDS installs a supplier certificate as load controller).
    """
    try:
        cert = x509.load_der_x509_certificate(bytes.fromhex(der))
        key = cert.public_key()
        usage_ext = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except (ValueError, x509.ExtensionNotFound):
        return None
    eui, _, is_device = certificate_identity(cert)
    if not isinstance(key, ec.EllipticCurvePublicKey) or eui is None or is_device:
        return None
    if (usage == "ds") != usage_ext.digital_signature or (usage != "ds") != usage_ext.key_agreement:
        return None
    return eui, key, certificate_ski(cert)


def _seq_changes(control: dict[str, Any], authorising_role: int) -> list[dict[str, Any]]:
    """The new floor sequence numbers the command sets: its authorising role's, then other roles'."""
    changes = []
    if control.get("newRemotePartyFloorSeqNumber") is not None:
        own: dict[str, Any] = {"remotePartyRole": named(authorising_role),
                               "floorSeqNumber": control["newRemotePartyFloorSeqNumber"]}
        if control.get("newRemotePartyOtherFloorSeqNumbers") is not None:
            own["otherFloorSeqNumbers"] = control["newRemotePartyOtherFloorSeqNumbers"]
        changes.append(own)
    for change in control.get("newRemotePartiesFloorSeqNumbers") or ():
        item = {"remotePartyRole": named(number(change["remotePartyRole"])),
                "floorSeqNumber": change["floorSeqNumber"]}
        if change.get("otherFloorSeqNumbers") is not None:
            item["otherFloorSeqNumbers"] = change["otherFloorSeqNumbers"]
        changes.append(item)
    return changes


def execute_update(device: Device, command: dict[str, Any], mode: int,
                   fault: HardwareFault | None = None) -> tuple[dict[str, Any], bool]:
    """Replace the cells now: (UpdateSecurityCredentialsExecutionOutcome tree, every replacement succeeded).

    With a hardware ``fault`` the replacement at its position is not made (status 10, the cell
    unchanged); each replacement stands on its own, so the others still take effect.
    """
    control = command["authorisingRemotePartyControl"]
    authorising_role, allowed = MODES[mode]
    security = device.security
    anchors: TrustAnchors = security.anchors
    outcomes = []
    replaced: dict[int, tuple[bytes | None, bytes]] = {}  # role -> (old EUI, new EUI)
    replacements = command["replacements"]
    failing = fault.index(len(replacements)) if fault is not None and replacements else None
    for index, replacement in enumerate(replacements):
        target = replacement["targetTrustAnchorCell"]
        role = number(target["remotePartyRole"])
        usage = cell_usage(target)
        current = anchors.by_role.get(role)
        old_eui = current.eui if current is not None else bytes(8)
        old_ski = (current.ski(usage) if current is not None and usage in USAGES else None) or b""
        party = None
        if usage is not None and role in allowed and holds_cell(device, role, usage) and index != failing:
            party = _new_party(replacement["replacementCertificate"]["der"], usage)
        if party is not None:
            anchors = anchors.replace_cell(role, usage, *party)
            replaced[role] = (current.eui if current is not None else None, party[0])
        new_eui, new_ski = (party[0], party[2]) if party is not None else (old_eui, old_ski)
        outcomes.append({
            "affectedTrustAnchorCell": cell_identifier(role, usage) if usage else target,
            "status": named(STATUS_SUCCESS if party is not None else STATUS_UNCHANGED),
            "existingSubjectUniqueID": old_eui.hex().upper(), "existingSubjectKeyIdentifier": old_ski.hex().upper(),
            "replacingSubjectUniqueID": new_eui.hex().upper(), "replacingSubjectKeyIdentifier": new_ski.hex().upper(),
        })
    changes = _seq_changes(control, authorising_role)
    anchors = anchors.with_seq({number(c["remotePartyRole"]): c["floorSeqNumber"] for c in changes})
    security.set_anchors(anchors)
    for change in changes:  # a new party's counters start above its floor
        old, new = replaced.get(number(change["remotePartyRole"]), (None, None))
        if new is not None and new != old:
            security.counters[new] = change["floorSeqNumber"]
    ok = all(number(o["status"]) == STATUS_SUCCESS for o in outcomes)
    outcome = {"authorisingRemotePartySeqNumber": control["authorisingRemotePartySeqNumber"],
               "credentialsReplacementMode": named(mode), "remotePartySeqNumberChanges": changes,
               "replacementOutcomes": outcomes}
    return outcome, ok


def _refuse(device: Device, incoming: Incoming, detail: str) -> None:
    device.security_log.add(device.now(), 0, f"0x{incoming.code:04X} refused: {detail}")


@handles(kinds=ALL_KINDS, codes=tuple(MODE_OF_CODE))
def update_security_credentials(device: Device, incoming: Incoming) -> Reply | None:
    """CS02b / CS02g: check the authorisation, then replace the cells now, later, or cancel."""
    command = command_value(device, incoming, "UpdateSecurityCredentialsCommand")
    if command is None:
        return None
    control = command["authorisingRemotePartyControl"]
    mode = number(control["credentialsReplacementMode"])
    if mode != MODE_OF_CODE[incoming.code]:
        _refuse(device, incoming, f"replacement mode {mode} does not match the message code")
        return None
    authorising_role = MODES[mode][0]
    if incoming.role != authorising_role and not (incoming.role == ROLE_ACB and mode in HANDOVER_MODES):
        _refuse(device, incoming, f"mode {mode} is authorised by role {authorising_role}, not {incoming.role}")
        return None
    identifier = control.get("authorisingRemotePartyTACellIdentifier")
    if identifier is not None and number(identifier["remotePartyRole"]) != authorising_role:
        _refuse(device, incoming, "the authorising cell is not the authorising party's")
        return None
    anchors = device.security.anchors
    seq = control["authorisingRemotePartySeqNumber"]
    if seq <= anchors.seq_of(authorising_role):
        _refuse(device, incoming, f"sequence number {seq} is not above {anchors.seq_of(authorising_role)}")
        return None
    device.security.set_anchors(anchors.with_seq({authorising_role: seq}))
    target = "credentials-lc" if incoming.code in LOAD_CONTROLLER_CODES else "credentials"
    when_text = command.get("executionDateTime")
    if when_text == NEVER:
        cancel(device, target)
        return reply("UpdateSecurityCredentialsResponse", {"commandAccepted": None})
    when = parse_generalized_time(when_text) if when_text else None
    if when is not None and when > device.now():
        alert_code = ALERT_CS02G if incoming.code in LOAD_CONTROLLER_CODES else ALERT_CS02B
        originator, fault = incoming.originator, device.active_fault

        def execute_later() -> None:  # a fault present at receipt strikes at execution
            outcome, ok = execute_update(device, command, mode, fault)
            send_alert(device, alert_code, FUTURE_DATED_SUCCESS if ok else FUTURE_DATED_FAILURE,
                       "UpdateSecurityCredentialsAlert",
                       {"alertCode": named(FUTURE_DATED_SUCCESS if ok else FUTURE_DATED_FAILURE),
                        "executionDateTime": when_text, "executionOutcome": outcome}, originator)

        schedule(device, target, when, execute_later)
        return reply("UpdateSecurityCredentialsResponse", {"commandAccepted": None})
    outcome, _ = execute_update(device, command, mode, device.active_fault)
    return reply("UpdateSecurityCredentialsResponse", {"commandAccepted": None, "executionOutcome": outcome})
