"""GBCS protected data (gbcs spec §3.1): Data protection (class 30) get_protected_attributes.

The command names the attributes to read (each with optional selective access) and the
protection wanted; the device reads them, returns its protection parameters (transaction-id
``04 ‖ counter``, itself as originator, the command's originator as recipient, the key
information of the request) and the values as one encrypted A-XDR structure.  The security
layer encrypts that plaintext to the supplementary remote party or the recipient (§2.5).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from gbcs.dlms.axdr import encode_data

from .cosem_classes import Node, array, node, structure
from .cosem_model import OTHER_REASON, TYPE_UNMATCHED, CosemError

if TYPE_CHECKING:
    from .dlms_server import DlmsServer

AUTHENTICATED_ENCRYPTED = 2  # protection type: authentication and encryption
ENCRYPTION_USE = 0x04  # the "CRA" of payload encryption in the KDF and transaction-id


def _members(value: Node, count: int, what: str) -> list[Node]:
    members = value.get("value") if value.get("type") == "structure" else None
    if members is None or len(members) != count:
        raise CosemError(TYPE_UNMATCHED, f"{what}: structure of {count} expected")
    return members


def get_protected_attributes(server: DlmsServer, parameters: Node) -> Node:
    """Read the requested attributes and return protection parameters plus a placeholder for the ciphertext.

    The plaintext is recorded on ``server.plaintexts`` for the response's data element.
    """
    definitions, protections = _members(parameters, 2, "get_protected_attributes parameters")
    wanted = protections.get("value") or []
    if len(wanted) != 1:
        raise CosemError(OTHER_REASON, "exactly one set of protection parameters expected")
    protection_type, options = _members(wanted[0], 2, "protection parameters")
    if protection_type.get("value") != AUTHENTICATED_ENCRYPTED:
        raise CosemError(OTHER_REASON, "only authenticated and encrypted protection is supported")
    option_members = _members(options, 5, "protection options")
    values = []
    for definition in definitions.get("value") or []:
        class_id, obis, attribute, _index, access = _members(definition, 5, "object definition")
        selector, selection = _members(access, 2, "selective access")
        try:
            raw_obis = bytes.fromhex(obis["value"])
        except (KeyError, ValueError):
            raise CosemError(TYPE_UNMATCHED, "OBIS octet-string expected") from None
        values.append(server.get(class_id.get("value"), raw_obis, attribute.get("value"),
                                 selector.get("value") or None, selection))
    incoming = server.incoming
    if incoming is None:
        raise CosemError(OTHER_REASON, "protected data answers a command")
    device = server.device
    transaction = bytes((ENCRYPTION_USE,)) + incoming.counter.to_bytes(8, "big")
    returned = structure(
        array(structure(node("enum", AUTHENTICATED_ENCRYPTED), structure(
            node("octet-string", transaction.hex().upper()),
            node("octet-string", device.eui.hex().upper()),
            node("octet-string", incoming.originator.hex().upper()),
            node("octet-string", ""),
            copy.deepcopy(option_members[4]),
        ))),
        node("octet-string", ""),
    )
    server.protect(encode_data(structure(*values)), "/value/1/value")
    return returned
