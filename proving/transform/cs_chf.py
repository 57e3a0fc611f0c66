"""CHF device log use cases (DLMS, ZigBee HAN setup class 104), sent by the ACB for the User.

* CCS01 / CCS02 (SRV 8.11): add a device (register_device, then the join timeout and joining
  enabled) or remove one (unregister_device).  GBCS carries the install code without its
  CRC as an octet-string(16), so a SMETS2+ device's InstallCode must be exactly 16 octets
  (CR1277; the XSD's 6..16 octets cover SMETS1 devices, which GBCS does not address).
* CCS03 (SRV 8.12.1): restore the log of the old CHF from the DCC's copy of it.
* CCS04 / CCS06 / CCS07 (SRV 8.9): read the log, or (ReadSecurityDetails) back up the
  current and historic logs with their keys.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .cs_helpers import DeviceLogBackup, dlms, eui, extra, node, supplementary_remote_party
from .registry import TransformContext, Transformed, TransformError, transform_for
from .xml_values import element, hex_bytes, integer, text

HAN_SETUP, DEVICE_LOG, HISTORIC_LOG = 104, "0-0:30.3.0.255", "0-0:30.3.1.255"
REGISTER_DEVICE, UNREGISTER_DEVICE, BACKUP_PAN, RESTORE_PAN = 1, 2, 4, 5  # class 104 methods
ENABLE_JOINING, JOIN_TIMEOUT, ACTIVE_DEVICES = 2, 3, 4  # class 104 attributes
INSTALL_CODE_KEY = 1  # register_device key_type: install code
DLMS_TRUE = 0xFF  # A-XDR boolean TRUE as GBCS devices send it
INSTALL_CODE_OCTETS = 16
MAX_JOIN_TIME = 3600
# register_device device_type (requirements §4)
CHF_DEVICE_TYPES = {"ESME": 0, "GSME": 1, "HCALCS": 13, "IHD": 128, "CAD": 130, "PPMID": 132, "GPF": 254}


def _sent(ctx: TransformContext, instructions: list[tuple[Any, ...]]) -> Transformed:
    return dlms(ctx, instructions, other_information=supplementary_remote_party(ctx))


def _request_type(body: etree._Element, ctx: TransformContext, expected: str) -> None:
    value = text(body, "RequestType", ctx.use_case)
    if value != expected:
        raise TransformError(ctx.use_case, f"RequestType: {value!r}, {ctx.use_case} is a {expected!r} request")


@transform_for("CCS01")
def add_device(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CCS01: register the device with its install code, set the join time and enable joining."""
    device = eui(body, "DeviceID", ctx.use_case)
    _request_type(body, ctx, "Add")
    whitelist = element(body, "AddDeviceToCHFWhitelist", ctx.use_case)
    join_time = integer(whitelist, "JoinTimePeriod", ctx.use_case, minimum=1, maximum=MAX_JOIN_TIME)
    code = hex_bytes(whitelist, "InstallCode", ctx.use_case)
    assert code is not None
    if len(code) != INSTALL_CODE_OCTETS:
        raise TransformError(ctx.use_case, f"InstallCode: {len(code)} octets, a SMETS2+ install code (without "
                                           f"CRC) has {INSTALL_CODE_OCTETS}")
    kind = extra(ctx, "device_type")
    if kind not in CHF_DEVICE_TYPES:
        raise TransformError(ctx.use_case, f"DeviceID: device type {kind!r} is not kept in a CHF device log")
    entry = node("structure", [node("octet-string", device.hex().upper()), node("enum", INSTALL_CODE_KEY),
                               node("octet-string", code.hex().upper()), node("enum", CHF_DEVICE_TYPES[kind])])
    return _sent(ctx, [("action", HAN_SETUP, DEVICE_LOG, REGISTER_DEVICE, entry),
                       ("set", HAN_SETUP, DEVICE_LOG, JOIN_TIMEOUT, node("long-unsigned", join_time)),
                       ("set", HAN_SETUP, DEVICE_LOG, ENABLE_JOINING, node("boolean", DLMS_TRUE))])


@transform_for("CCS02")
def remove_device(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CCS02: unregister the device."""
    device = eui(body, "DeviceID", ctx.use_case)
    _request_type(body, ctx, "Remove")
    if element(body, "AddDeviceToCHFWhitelist", ctx.use_case, required=False) is not None:
        raise TransformError(ctx.use_case, "AddDeviceToCHFWhitelist: only for an 'Add' request")
    return _sent(ctx, [("action", HAN_SETUP, DEVICE_LOG, UNREGISTER_DEVICE,
                        node("octet-string", device.hex().upper()))])


@transform_for("CCS03")
def restore_device_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CCS03: restore_PAN with the DCC's copy of the old CHF's device log."""
    old = eui(body, "OldCHFID", ctx.use_case)
    backup = extra(ctx, "chf_device_logs").get(old)
    if not isinstance(backup, DeviceLogBackup):
        raise TransformError(ctx.use_case, f"OldCHFID: the DCC holds no device log of {old.hex().upper()}")
    devices = [node("structure", [node("octet-string", device.hex().upper()), node("octet-string", key.hex().upper())])
               for device, key in backup.devices]
    parameter = node("structure", [node("octet-string", backup.pan_id.hex().upper()), node("array", devices)])
    return _sent(ctx, [("action", HAN_SETUP, DEVICE_LOG, RESTORE_PAN, parameter)])


def _security_details(body: etree._Element, ctx: TransformContext, wanted: bool) -> None:
    present = element(body, "ReadSecurityDetails", ctx.use_case, required=False) is not None
    if present != wanted:
        raise TransformError(ctx.use_case, f"ReadSecurityDetails: {'required' if wanted else 'not part of'} "
                                           f"{ctx.use_case}")


@transform_for("CCS04", "CCS06")
def read_device_log(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CCS04 / CCS06: get the active devices of the CHF device log."""
    _security_details(body, ctx, False)
    return _sent(ctx, [("get", HAN_SETUP, DEVICE_LOG, ACTIVE_DEVICES, node("null"))])


@transform_for("CCS07")
def read_device_logs_with_keys(body: etree._Element, ctx: TransformContext) -> Transformed:
    """CCS07: back up the device log and the historic device log (with their keys)."""
    _security_details(body, ctx, True)
    return _sent(ctx, [("action", HAN_SETUP, DEVICE_LOG, BACKUP_PAN, node("null")),
                       ("action", HAN_SETUP, HISTORIC_LOG, BACKUP_PAN, node("null"))])
