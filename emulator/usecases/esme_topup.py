"""CS01a (0x0007): a UTRN top-up at the ESME, entered through the token gateway (class 115, 0-0:19.40.0.255).

The DLMS server runs the ``enter`` method (method 1) with the UTRN as a 20-byte ASCII
octet-string; :func:`enter_utrn` checks it (gbcs spec §2.9) the way the GSME does for CS01b:

* not a UTRN (not 20 digits, wrong check digit, reserved value class): not authentic, 0x8F63;
* a well-formed UTRN whose MAC does not verify with this device's KA key and the supplier's
  prepayment key: not for this device, 0x8F64.  The check digit catches mistyped tokens, so
  a token that passes it but not the MAC is taken as one computed for another device's key [I];
* a UTRN already accepted, or whose counter is below the last one accepted: duplicate, 0x8F51;
* otherwise the value is added to the token credit (class 112, 0-0:19.10.0.255, attribute 2)
  and the account's total credit added is not modelled.

Result codes: as for any token gateway (DLMS class 115), ``enter`` succeeds once the token is
delivered (action-result success); the outcome of processing it is the token status (attribute
6: 3 executed, 4 format failure, 5 authentication failure, 6 validation failure) and, for a
refused UTRN, the alert (when the profile's alert set enables it).  A parameter that is not an
octet-string is type-unmatched (12).  [I]: the GBCS text on the CS01a response was not
available; in a replay the emulated device's KA key is not the one the corpus UTRNs were made
for, so their MAC check fails and 0x8F64 is alerted.  Without the supplier's prepayment key the
device can only check the check digit, as at the GSME.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..cosem_classes import Node, node, structure
from ..cosem_model import TYPE_UNMATCHED, CosemError
from ..utrn_ledger import UtrnOutcome

if TYPE_CHECKING:
    from ..cosem_device import CosemDevice
    from ..cosem_model import CosemObject

TOKEN_GATEWAY_CLASS = 115
TOKEN_CREDIT = (112, bytes((0, 0, 19, 10, 0, 255)))
UTRN_NOT_AUTHENTIC, UTRN_NOT_FOR_DEVICE, DUPLICATE_UTRN = 0x8F63, 0x8F64, 0x8F51
# token status codes of the token gateway (attribute 6, status_code enum)
TOKEN_EXECUTION_OK, FORMAT_FAILURE, AUTHENTICATION_FAILURE, VALIDATION_FAILURE = 3, 4, 5, 6


_REFUSALS = {
    UtrnOutcome.MALFORMED: (UTRN_NOT_AUTHENTIC, FORMAT_FAILURE),
    UtrnOutcome.NOT_FOR_DEVICE: (UTRN_NOT_FOR_DEVICE, AUTHENTICATION_FAILURE),
    UtrnOutcome.DUPLICATE: (DUPLICATE_UTRN, VALIDATION_FAILURE),
}


def enter_utrn(device: CosemDevice, obj: CosemObject, params: Node) -> None:
    """The token gateway's ``enter`` at an ESME: check the UTRN, add its credit or refuse it."""
    if params.get("type") != "octet-string":
        raise CosemError(TYPE_UNMATCHED, "a token is an octet-string")
    code = bytes.fromhex(params.get("value", "")).decode("ascii", "replace")
    ledger = device.utrns  # type: ignore[attr-defined]  # an Esme's UtrnLedger
    check = ledger.check(device, code)
    alert, status = _REFUSALS.get(check.outcome, (0, TOKEN_EXECUTION_OK))
    obj.write(2, copy.deepcopy(params))
    obj.write(3, node("octet-string", device.cosem_now().hex().upper()))
    obj.write(6, structure(node("enum", status), node("bit-string", "")))
    if alert:
        device.raise_alert(alert)
        return
    ledger.accept(code, check.counter)
    credit = device.model.find(*TOKEN_CREDIT)
    current = credit.read(2).get("value") or 0
    credit.write(2, node("double-long", current + check.amount))
