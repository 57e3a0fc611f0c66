"""Who is who in an embedded Production Proving set-up: the PP Users, the DCC's own parties, the devices.

The PP Function acts in several User Roles (import, export and gas supplier, electricity
distributor, gas transporter, other user), each with its own DCC ID from the PP range
(Section P) and its own GBCS and xmlSign key material; the DCC keeps its Access Control
Broker (and the other DCC remote parties devices trust) outside that range.  Devices get
EUIs from a premises block.  :func:`make_pki` writes the whole key set as a test PKI in
the RTDS key-store layout (smetsim.keys.pki).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smetsim.keys.pki import (
    ROLE_ACCESS_CONTROL_BROKER,
    ROLE_NETWORK_OPERATOR,
    ROLE_OTHER,
    ROLE_RECOVERY,
    ROLE_SUPPLIER,
    ROLE_TRANSITIONAL_COS,
    ROLE_WAN_PROVIDER,
    Party,
    Pki,
    init_pki,
)


@dataclass(frozen=True, slots=True)
class PpUser:
    """The PP Function in one DUIS User Role."""

    role: str  # DUIS User Role: IS, GS, ED, GT
    eui: bytes
    gbcs_role: int  # the GBCS remote-party role it signs and MACs as
    name: str


PP_USERS: tuple[PpUser, ...] = (
    PpUser("IS", bytes.fromhex("90B3D51F3F500001"), ROLE_SUPPLIER, "PP-IMPORT-SUPPLIER"),
    PpUser("GS", bytes.fromhex("90B3D51F3F500002"), ROLE_SUPPLIER, "PP-GAS-SUPPLIER"),
    PpUser("ED", bytes.fromhex("90B3D51F3F500003"), ROLE_NETWORK_OPERATOR, "PP-ELEC-DISTRIBUTOR"),
    PpUser("GT", bytes.fromhex("90B3D51F3F500004"), ROLE_NETWORK_OPERATOR, "PP-GAS-TRANSPORTER"),
    PpUser("ES", bytes.fromhex("90B3D51F3F500005"), ROLE_SUPPLIER, "PP-EXPORT-SUPPLIER"),
    PpUser("OU", bytes.fromhex("90B3D51F3F500006"), ROLE_OTHER, "PP-OTHER-USER"),
)
ACB = bytes.fromhex("90B3D51F30000002")  # the DCC's Access Control Broker (and DUIS response signer)
DCC_PARTIES: tuple[Party, ...] = (
    Party(ACB, ROLE_ACCESS_CONTROL_BROKER, "DCC-ACB", ("ds", "ka", "xml-ds")),
    Party(bytes.fromhex("90B3D51F30000001"), ROLE_RECOVERY, "DCC-RECOVERY"),
    Party(bytes.fromhex("90B3D51F30000004"), ROLE_TRANSITIONAL_COS, "DCC-TRANSCOS"),
    Party(bytes.fromhex("90B3D51F30000007"), ROLE_WAN_PROVIDER, "DCC-WANPROVIDER"),
)

# electricity devices trust the PP import supplier and distributor, gas devices the gas supplier and transporter
ELECTRICITY_ANCHORS = {ROLE_SUPPLIER: PP_USERS[0].eui, ROLE_NETWORK_OPERATOR: PP_USERS[2].eui}
GAS_ANCHORS = {ROLE_SUPPLIER: PP_USERS[1].eui, ROLE_NETWORK_OPERATOR: PP_USERS[3].eui}


def user(role: str) -> PpUser:
    """The PP User of a DUIS User Role."""
    for candidate in PP_USERS:
        if candidate.role == role:
            return candidate
    raise KeyError(f"no Production Proving User in role {role!r}")


def pp_parties() -> tuple[Party, ...]:
    """The PP Users as test-PKI parties (suppliers also get a prepayment KA key for UTRNs)."""
    usages = {ROLE_SUPPLIER: ("ds", "ka", "pp-ka", "xml-ds"), ROLE_NETWORK_OPERATOR: ("ds", "ka", "xml-ds"),
              ROLE_OTHER: ("ds", "ka", "xml-ds")}
    return tuple(Party(u.eui, u.gbcs_role, u.name, usages[u.gbcs_role]) for u in PP_USERS)


def make_pki(directory: str | Path, devices: tuple[bytes, ...]) -> Pki:
    """A fresh test PKI with the PP Users, the DCC parties and the devices' keys."""
    return init_pki(directory, parties=(*pp_parties(), *DCC_PARTIES), devices=devices, overwrite=True)
