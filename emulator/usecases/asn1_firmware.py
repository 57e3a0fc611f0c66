"""Firmware use cases: CS06 activate firmware (gbcs spec §3.3), CS08 read PPMID / HCALCS firmware version.

CS06 checks the manufacturer image hash against the image the device holds (the profile's
``image_hash``; all zeros means the profile pins no image and any hash is accepted) and
answers with the outcome and the running firmware version (response code 0 success,
1 the hash does not match [I]).  With an execution date-time in the future the activation is
stored and answered with ``commandAccepted``; at that time the device raises alert 0x8F66 /
0x8F67 with message code 0x00CA and the outcome.  9999-12-31 23:59:59 cancels it.
"""

from __future__ import annotations

from typing import Any

from ..alerts import FUTURE_DATED_FAILURE, FUTURE_DATED_SUCCESS
from ..device import Device, Reply
from ..faults import ASN1_FAILURE
from ..registry import handles
from ..security import Incoming
from .asn1_common import (
    ALL_KINDS,
    NEVER,
    cancel,
    command_tree,
    command_value,
    fault_hits,
    named,
    parse_generalized_time,
    reply,
    schedule,
    send_alert,
    state,
)

FIRMWARE_ALERT = 0x00CA
HASH_MISMATCH = 1


def firmware_version(device: Device) -> str:
    """The running firmware version as the hex of its text."""
    version = state(device).firmware_version or device.profile.firmware_version
    return version.encode().hex().upper()


def activate(device: Device, image_hash: bytes) -> dict[str, Any]:
    """Activate the image of ``image_hash``: the FirmwareActivationOutcome tree."""
    held = device.profile.image_hash
    code = 0 if not any(held) or image_hash == held else HASH_MISMATCH
    if code == 0:
        state(device).firmware_version = device.profile.firmware_version
    return {"responseCode": named(code), "firmwareVersion": firmware_version(device)}


@handles(kinds=ALL_KINDS, codes=(0x0012,))
def activate_firmware(device: Device, incoming: Incoming) -> Reply | None:
    """CS06: activate now, later, or cancel a stored activation."""
    command = command_value(device, incoming, "ActivateFirmwareCommand")
    if command is None:
        return None
    image_hash = bytes.fromhex(command["manufacturerImageHash"])
    when_text = command.get("executionDateTime")
    if when_text == NEVER:
        cancel(device, "firmware")
        return reply("ActivateFirmwareResponse", {"choice": "commandAccepted", "value": None})
    when = parse_generalized_time(when_text) if when_text else None
    if when is not None and when > device.now():
        originator = incoming.originator

        def execute_later() -> None:
            outcome = activate(device, image_hash)
            alert_code = FUTURE_DATED_SUCCESS if outcome["responseCode"]["value"] == 0 else FUTURE_DATED_FAILURE
            send_alert(device, FIRMWARE_ALERT, alert_code, "FutureDatedFirmwareActivationAlert",
                       {"alertCode": named(alert_code), "executionDateTime": when_text,
                        "originatorCounter": command["originatorCounter"], "activationOutcome": outcome}, originator)

        schedule(device, "firmware", when, execute_later)
        return reply("ActivateFirmwareResponse", {"choice": "commandAccepted", "value": None})
    if fault_hits(device):
        outcome = {"responseCode": named(ASN1_FAILURE), "firmwareVersion": firmware_version(device)}
    else:
        outcome = activate(device, image_hash)
    return reply("ActivateFirmwareResponse", {"choice": "activationOutcome", "value": outcome})


@handles(kinds=("PPMID", "HCALCS"), codes=(0x0129,))
def read_firmware_version(device: Device, incoming: Incoming) -> Reply | None:
    """CS08: the running firmware version."""
    if command_tree(device, incoming, "ReadFirmwareVersionCommand") is None:
        return None
    if fault_hits(device):  # the version could not be read: the failure code, no version
        return reply("ReadFirmwareVersionResponse", {"responseCode": named(ASN1_FAILURE)})
    return reply("ReadFirmwareVersionResponse", {"firmwareVersion": firmware_version(device),
                                                 "responseCode": named(0)})
