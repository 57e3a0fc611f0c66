"""CS14 / 0x8F12 "CHF Device Log Changed" from a :class:`DeviceLogChange`, raised by the CHF device.

The alert data follows the backup_pan layout the CHF already uses (emulator/chf.py):
structure{time, extended PAN id (the CHF EUI), array of structure{EUI, hashed link key}},
the hashed link key an empty octet-string until a key is established.
"""

from __future__ import annotations

from ..cosem_classes import Node, node, structure
from ..device import Device
from .device_log import DeviceLogChange

CS14, DEVICE_LOG_CHANGED = 0x0018, 0x8F12


def log_node(chf: Device, change: DeviceLogChange) -> Node:
    """The device log after ``change`` as the CS14 alert data."""
    devices = [structure(node("octet-string", eui.hex().upper()),
                         node("octet-string", "" if key_hash is None else key_hash.hex().upper()))
               for eui, _, key_hash in change.entries]
    return structure(node("octet-string", chf.cosem_now().hex().upper()),
                     node("octet-string", chf.eui.hex().upper()),
                     node("array", devices))


def raise_device_log_changed(chf: Device, change: DeviceLogChange) -> bytes | None:
    """Raise CS14 at ``chf`` for ``change``; returns the alert (None when the profile does not send it)."""
    return chf.raise_alert(DEVICE_LOG_CHANGED, message_code=CS14, extra=[log_node(chf, change)])
