"""HAN joins (gbcs spec §3.3): CS03A1 / CS03A2 / CS03B / CS03C joins, CS04AC / CS04B unjoins, CS07, GCS59.

Each device keeps a join table (:class:`~.asn1_common.JoinEntry`: the other device's entity
id and GBCS DeviceType).  It starts with the HAN peers the device was commissioned with whose
kind may join it (:data:`PARTNERS`); a join adds an entry (and, with a certificate, the peer's
key so its device-to-device commands verify), an unjoin removes one.  CS07 lists the table and
GCS59 restores a GPF's device log into it.

Response codes [I] (GBCS defines 0..13; the meanings below are this emulator's reading):
join 0 success, 1 the join method does not fit the message code or the device, 2 the other
device's type cannot join this device by that method, 3 an ESME already has a PPMID, 5 the
join table is full, 11 method C without a device certificate; unjoin 0 success (also for a
device that is not joined: afterwards it is not, and RTDS devices answer 0 for partners a
fresh device never had), 1 when the device fails (emulator.faults).  Joins and unjoins log
0x8F49 / 0x8F48 and 0x8F4B / 0x8F4A.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from smetsim.keys.keystore import certificate_identity

from ..device import Device, Reply
from ..faults import ASN1_FAILURE
from ..registry import handles
from ..security import HanPeer, Incoming
from .asn1_common import (
    ALL_KINDS,
    Asn1State,
    JoinEntry,
    command_tree,
    command_value,
    fault_hits,
    named,
    number,
    reply,
    state,
)

GSME, ESME, CHF, GPF, HCALCS, PPMID, TYPE2 = range(7)
DEVICE_TYPES = {"GSME": GSME, "ESME": ESME, "SAPC": ESME, "CHF": CHF, "GPF": GPF, "HCALCS": HCALCS, "PPMID": PPMID}
KIND_OF_TYPE = {GSME: "GSME", ESME: "ESME", CHF: "CHF", GPF: "GPF", HCALCS: "HCALCS", PPMID: "PPMID", TYPE2: "TYPE2"}
A_INITIATOR, A_RESPONDER, METHOD_B, METHOD_C = range(4)
METHOD_OF_CODE = {0x000D: A_INITIATOR, 0x00AB: A_RESPONDER, 0x000E: METHOD_B, 0x00AF: METHOD_C}
# (device kind, join method) -> the device types that may join it that way
JOINABLE: dict[tuple[str, int], frozenset[int]] = {
    ("ESME", A_INITIATOR): frozenset({PPMID, HCALCS}), ("GSME", A_INITIATOR): frozenset({PPMID}),
    ("PPMID", A_RESPONDER): frozenset({ESME}), ("HCALCS", A_RESPONDER): frozenset({ESME}),
    ("ESME", METHOD_B): frozenset({TYPE2}), ("GSME", METHOD_B): frozenset({TYPE2}),
    ("GPF", METHOD_B): frozenset({TYPE2}), ("GSME", METHOD_C): frozenset({PPMID}),
    ("PPMID", METHOD_C): frozenset({GSME}), ("GPF", METHOD_C): frozenset({PPMID}),
}
# the commissioned HAN peers a device of each kind starts joined to
PARTNERS: dict[str, frozenset[int]] = {
    "ESME": frozenset({PPMID, HCALCS}), "GSME": frozenset({GPF, PPMID}), "GPF": frozenset({GSME, PPMID}),
    "PPMID": frozenset({ESME, GSME}), "HCALCS": frozenset({ESME}), "CHF": frozenset(),
}
MAX_JOINED = 16
JOIN_OK, JOIN_BAD_METHOD, JOIN_BAD_TYPE, JOIN_PPMID_PRESENT, JOIN_FULL, JOIN_NO_CERTIFICATE = 0, 1, 2, 3, 5, 11
UNJOIN_OK, UNJOIN_FAILURE = 0, 1
JOIN_FAILED, JOIN_SUCCEEDED, UNJOIN_FAILED, UNJOIN_SUCCEEDED = 0x8F48, 0x8F49, 0x8F4A, 0x8F4B


def join_table(device: Device) -> Asn1State:
    """The device's ASN.1 state with its join table seeded from its commissioned HAN peers."""
    found = state(device)
    if not found.join_seeded:
        found.join_seeded = True
        partners = PARTNERS.get(device.profile.dlms_kind, frozenset())
        for eui, peer in device.security.han_peers.items():
            device_type = DEVICE_TYPES.get(peer.kind)
            if device_type in partners:
                found.joined[eui] = JoinEntry(eui, device_type)
    return found


def _certificate_key(device: Device, der: str, entity_id: bytes) -> ec.EllipticCurvePublicKey | None:
    """The EC key of the other device's certificate (None when it is not a device certificate).

    RTDS's method C join succeeds with a certificate of another EUI than the entity id it
    joins, so the device accepts that, and notes it in its event log.
    """
    try:
        cert = x509.load_der_x509_certificate(bytes.fromhex(der))
        eui, _, is_device = certificate_identity(cert)
    except ValueError:
        return None
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or eui is None or not is_device:
        return None
    if eui != entity_id:
        device.event_log.add(device.now(), 0, f"join: certificate of {eui.hex().upper()} for "
                                                 f"{entity_id.hex().upper()}")
    return key


def join(device: Device, method: int, entity_id: bytes, device_type: int, certificate: str | None) -> int:
    """Add a device to the join table; the GBCS join response code."""
    kind = device.profile.dlms_kind
    table = join_table(device).joined
    allowed = JOINABLE.get((kind, method))
    if allowed is None:
        return JOIN_BAD_METHOD
    if device_type not in allowed:
        return JOIN_BAD_TYPE
    key = None
    if method == METHOD_C:
        key = _certificate_key(device, certificate, entity_id) if certificate else None
        if key is None:
            return JOIN_NO_CERTIFICATE
    if kind == "ESME" and device_type == PPMID and any(
            e.device_type == PPMID and e.entity_id != entity_id for e in table.values()):
        return JOIN_PPMID_PRESENT
    if entity_id not in table and len(table) >= MAX_JOINED:
        return JOIN_FULL
    table[entity_id] = JoinEntry(entity_id, device_type)
    peer = device.security.han_peers.get(entity_id)
    device.security.han_peers[entity_id] = HanPeer(KIND_OF_TYPE[device_type], key or (peer.ka if peer else None),
                                                   peer.ds if peer else None)
    return JOIN_OK


@handles(kinds=ALL_KINDS, codes=tuple(METHOD_OF_CODE))
def join_device(device: Device, incoming: Incoming) -> Reply | None:
    """CS03A1 / CS03A2 / CS03B / CS03C."""
    command = command_value(device, incoming, "JoinCommand")
    if command is None:
        return None
    method = number(command["joinMethodAndRole"])
    entity_id = bytes.fromhex(command["otherDeviceEntityId"])
    certificate = (command.get("otherDeviceCertificate") or {}).get("der")
    if method != METHOD_OF_CODE[incoming.code] or len(entity_id) != 8:
        code = JOIN_BAD_METHOD
    else:
        code = join(device, method, entity_id, number(command["otherDeviceType"]), certificate)
    device.raise_alert(JOIN_SUCCEEDED if code == JOIN_OK else JOIN_FAILED)
    return reply("JoinResponse", named(code))


@handles(kinds=ALL_KINDS, codes=(0x000F, 0x0010))
def unjoin_device(device: Device, incoming: Incoming) -> Reply | None:
    """CS04AC / CS04B: remove the device from the join table (and the HAN peers)."""
    entity_id = command_value(device, incoming, "UnjoinCommand")
    if entity_id is None:
        return None
    if fault_hits(device):
        device.raise_alert(UNJOIN_FAILED)
        return reply("UnjoinResponse", named(UNJOIN_FAILURE))
    eui = bytes.fromhex(entity_id)
    if join_table(device).joined.pop(eui, None) is not None:
        device.unjoin(eui)
    device.raise_alert(UNJOIN_SUCCEEDED)
    return reply("UnjoinResponse", named(UNJOIN_OK))


def log_entries(device: Device) -> list[dict[str, object]]:
    return [{"deviceId": e.entity_id.hex().upper(), "deviceType": named(e.device_type)}
            for e in join_table(device).joined.values()]


@handles(kinds=ALL_KINDS, codes=(0x0013,))
def read_join_details(device: Device, incoming: Incoming) -> Reply | None:
    """CS07: the join table."""
    if command_tree(device, incoming, "ReadDeviceJoinDetailsCommand") is None:
        return None
    if fault_hits(device):
        return reply("ReadDeviceJoinDetailsResponse", {"responseCode": named(ASN1_FAILURE)})
    return reply("ReadDeviceJoinDetailsResponse", {"responseCode": named(0), "deviceLog": log_entries(device)})


@handles(kinds=("GPF",), codes=(0x008C,))
def restore_device_log(device: Device, incoming: Incoming) -> Reply | None:
    """GCS59: restore the GPF device log entry by entry (1: table full or hardware fault, 2: not a device type)."""
    command = command_value(device, incoming, "RestoreGPFDeviceLogCommand")
    if command is None:
        return None
    table = join_table(device).joined
    outcomes = []
    entries = command["deviceLog"]
    failing = device.active_fault.index(len(entries)) if device.active_fault is not None and entries else None
    for index, entry in enumerate(entries):
        eui = bytes.fromhex(entry["deviceId"])
        device_type = number(entry["deviceType"])
        if index == failing:  # a hardware fault: this entry is not restored
            result = ASN1_FAILURE
        elif device_type not in KIND_OF_TYPE or len(eui) != 8:
            result = 2
        elif eui not in table and len(table) >= MAX_JOINED:
            result = 1
        else:
            table[eui] = JoinEntry(eui, device_type)
            result = 0
        outcomes.append({"deviceLogEntry": {"deviceId": entry["deviceId"], "deviceType": named(device_type)},
                         "restoreResult": named(result)})
    return reply("RestoreGPFDeviceLogResponse", {"restoreOutcomes": outcomes})
