"""DLMS use cases executed generically: the device runs the access-request against its object model.

This covers every ESME and CHF use case that is COSEM get / set / action /
get-with-selection (reads, writes, protected reads, future-dated activations), as a real
DLMS server does; use cases that need more than the object model register their own
handler for their message codes, which takes precedence.
"""

from __future__ import annotations

from gbcs.dlms import decode_dlms
from gbcs.errors import DecodeError

from ..cosem_device import CosemDevice
from ..device import Device, Reply
from ..dlms_server import DlmsServer
from ..registry import handles
from ..security import Incoming

MALFORMED_PAYLOAD = 0x8F1E


@handles(kinds=("ESME", "CHF"), payload="dlms")
def execute_access_request(device: Device, incoming: Incoming) -> Reply | None:
    """Execute a DLMS access-request; a payload that is not one is logged and alerted as malformed."""
    frame = incoming.frame
    try:
        request = decode_dlms(frame.content, frame.content_offset)
    except DecodeError as exc:
        device.refuse_malformed(f"payload: {exc}")
        return None
    if request.get("apdu") != "access-request" or not isinstance(device, CosemDevice):
        device.security_log.add(device.now(), MALFORMED_PAYLOAD, f"payload is a {request.get('apdu')}")
        return None
    server = DlmsServer(device, incoming)
    tree = server.execute(request)
    if server.plaintexts:
        return Reply(tree=tree, payload_type="dlms", plaintexts=server.plaintexts)
    return Reply(tree=tree, payload_type="dlms")
