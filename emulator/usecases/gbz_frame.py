"""GBZ response components: the ZCL result of one command component and the response tree built from them.

A response component answers the command component of the same cluster and ZCL
sequence number, in the other direction (ZCL frame-control bit 3).  Components of the
message codes gbcs spec §1.6 lists are sent encrypted (CF bit 1) when they carry
metering or prepayment data: the ZCL payload becomes the plaintext the security layer
encrypts, behind the ``00 FC`` additional header and the clear ZCL header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gbcs.gbz.codec import CF_ENCRYPTED, CF_LAST, PROFILE_SE
from gbcs.gbz.zcl import encode_payload

from ..device import Reply

DEFAULT_RESPONSE = 0x0B
PROFILE_WIDE, CLUSTER_SPECIFIC, SERVER_TO_CLIENT, DISABLE_DEFAULT_RESPONSE = 0x00, 0x01, 0x08, 0x10
SUCCESS, FAILURE, UNSUP_CLUSTER_COMMAND, UNSUP_GENERAL_COMMAND, NOT_FOUND = 0x00, 0x01, 0x81, 0x82, 0x8B
# GBZ responses with encrypted components (gbcs spec §1.6)
ENCRYPTED_RESPONSE_CODES = frozenset({0x0074, 0x0075, 0x0076, 0x0077, 0x0078, 0x0079, 0x008B, 0x0096, 0x00A0,
                                      0x00B6, 0x00B8, 0x00C3, 0x00C4})
SENSITIVE_CLUSTERS = frozenset({0x0702, 0x0705})  # metering and prepayment data
_PLACEHOLDER = "31" + "00" * 16  # replaced by the security layer's ciphertext


@dataclass(slots=True)
class ZclResult:
    """What the device answers to one command component: a command id, its frame control and payload."""

    command: int
    frame_control: int
    fields: dict[str, Any] | None = None
    records: list[dict[str, Any]] | None = None
    sensitive: bool = False  # data that §1.6 use cases encrypt
    failed: bool = False  # a specific response that reports the command's failure (a rejected top-up ...)


def default_response(command_fc: int, command: int, status: int) -> ZclResult:
    """The ZCL Default Response to a command, in the opposite direction."""
    direction = 0 if command_fc & SERVER_TO_CLIENT else SERVER_TO_CLIENT
    return ZclResult(DEFAULT_RESPONSE, PROFILE_WIDE | direction, {"command": command, "status": status})


def response_fc(command_fc: int, cluster_specific: bool, no_default: bool = True) -> int:
    """Frame control of a specific response: the other direction, default responses disabled."""
    direction = 0 if command_fc & SERVER_TO_CLIENT else SERVER_TO_CLIENT
    kind = CLUSTER_SPECIFIC if cluster_specific else PROFILE_WIDE
    return kind | direction | (DISABLE_DEFAULT_RESPONSE if no_default else 0)


def build_reply(message_code: int, answers: list[tuple[int, int, ZclResult | list[ZclResult]]]) -> Reply:
    """The GBZ response tree for ``(cluster, sequence, result(s))`` answers, with its plaintexts to encrypt.

    A command may be answered by several components (e.g. one publish per day profile).
    """
    encrypt = message_code in ENCRYPTED_RESPONSE_CODES
    flat = [(c, s, r) for c, s, rs in answers for r in (rs if isinstance(rs, list) else [rs])]
    components: list[dict[str, Any]] = []
    plaintexts: list[tuple[str, bytes]] = []
    for i, (cluster, sequence, result) in enumerate(flat):
        zcl: dict[str, Any] = {"frame_control": result.frame_control, "sequence": sequence, "command": result.command}
        if result.records is not None:
            zcl["records"] = result.records
        if result.fields is not None:
            zcl["fields"] = result.fields
        cf = CF_LAST if i == len(flat) - 1 else 0
        comp: dict[str, Any] = {"control": cf, "cluster": cluster, "zcl": zcl}
        if encrypt and result.sensitive and cluster in SENSITIVE_CLUSTERS:
            if cluster == 0x0702 and not result.frame_control & CLUSTER_SPECIFIC:
                zcl["frame_control"] |= DISABLE_DEFAULT_RESPONSE  # encrypted metering reads, as RTDS devices do [I]
            plain = encode_payload(cluster, zcl, f"/components/{i}/zcl")
            comp["control"] = cf | CF_ENCRYPTED
            comp["additional_header"] = {"control": 0, "frame_counter": len(plaintexts)}
            comp["zcl"] = {k: zcl[k] for k in ("frame_control", "sequence", "command")}
            comp["ciphered_information"] = _PLACEHOLDER
            plaintexts.append((f"/components/{i}/ciphered_information", plain))
        components.append(comp)
    tree = {"profile": PROFILE_SE, "components": components}
    return Reply(tree=tree, payload_type="gbz", plaintexts=plaintexts)
