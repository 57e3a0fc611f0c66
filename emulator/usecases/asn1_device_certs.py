"""The device's own credentials (gbcs spec §2.8): CS02c issue, CS02d update, CS02e provide.

CS02c: the device generates a new key pair for the requested key usage and answers with a
PKCS#10 request for it; it keeps using its current pair until CS02d installs a certificate
for the new key.  CS02d: a device certificate for this EUI whose key is the pending new key
(or the current one) replaces the certificate of that usage; the device then signs or
agrees keys with the new key.  CS02e: the certificate of the requested usage.

Response codes [I]: 0 success; CS02c 3 when the key usage is not exactly DS or KA, or on a hardware fault; CS02d
1 not a device certificate for this device, 2 its key is neither the pending nor the current
key; CS02e 3 when the device holds no certificate of that usage, or on a hardware fault.
"""

from __future__ import annotations

from typing import Any

from ..device import Device, Reply
from ..identity import certificate_usage, certification_request, generate_key, same_key
from ..registry import handles
from ..security import Incoming
from .asn1_common import ALL_KINDS, command_value, fault_hits, named, reply, state

BAD_USAGE = 3
NOT_FOR_DEVICE, UNKNOWN_KEY = 1, 2


def requested_usage(command: dict[str, Any]) -> str | None:
    names = command["keyUsage"].get("names") or []
    return {("digitalSignature",): "ds", ("keyAgreement",): "ka"}.get(tuple(names))


@handles(kinds=ALL_KINDS, codes=(0x000A,))
def issue_security_credentials(device: Device, incoming: Incoming) -> Reply | None:
    """CS02c: a new key pair, returned as a certification request."""
    command = command_value(device, incoming, "IssueSecurityCredentialsCommand")
    if command is None:
        return None
    usage = requested_usage(command)
    if usage is None or fault_hits(device):
        return reply("IssueSecurityCredentialsResponse", {"choice": "responseCode", "value": named(BAD_USAGE)})
    key = generate_key()
    state(device).new_keys[usage] = key
    return Reply(content=certification_request(key, device.eui, usage), payload_type="asn1")


@handles(kinds=ALL_KINDS, codes=(0x000B,))
def update_device_certificate(device: Device, incoming: Incoming) -> Reply | None:
    """CS02d: install a certificate for the pending (or current) key."""
    command = command_value(device, incoming, "UpdateDeviceCertificateCommand")
    if command is None:
        return None
    der = bytes.fromhex(command["der"])
    found = certificate_usage(der, device.eui)
    if found is None:
        return reply("UpdateDeviceCertificateResponse", named(NOT_FOR_DEVICE))
    usage, public = found
    keys = device.security.keys
    pending = state(device).new_keys.get(usage)
    if pending is not None and same_key(pending.public_key(), public):
        device.security.set_keys(keys.with_certificate(usage, der, pending))
        del state(device).new_keys[usage]
    elif same_key(keys.key(usage).public_key(), public):
        device.security.set_keys(keys.with_certificate(usage, der))
    else:
        return reply("UpdateDeviceCertificateResponse", named(UNKNOWN_KEY))
    return reply("UpdateDeviceCertificateResponse", named(0))


@handles(kinds=ALL_KINDS, codes=(0x000C,))
def provide_device_certificate(device: Device, incoming: Incoming) -> Reply | None:
    """CS02e: the device certificate of the requested usage."""
    command = command_value(device, incoming, "ProvideDeviceCertificateCommand")
    if command is None:
        return None
    usage = requested_usage(command)
    der = device.security.keys.certificate(usage) if usage else None
    if der is None or fault_hits(device):
        return reply("ProvideDeviceCertificateResponse", {"choice": "responseCode", "value": named(BAD_USAGE)})
    return Reply(content=der, payload_type="asn1")
