"""Making devices: the device class of each kind, and :func:`create_device`."""

from __future__ import annotations

from .chf import Chf
from .clock import VirtualClock
from .device import Device
from .esme import Esme
from .identity import DeviceKeys
from .profiles import Profile, generic_profile
from .trust import TrustAnchors
from .zigbee import ZigbeeDevice

DEVICE_CLASSES: dict[str, type[Device]] = {
    "ESME": Esme, "SAPC": Esme, "CHF": Chf,
    "GSME": ZigbeeDevice, "GPF": ZigbeeDevice, "PPMID": ZigbeeDevice, "HCALCS": ZigbeeDevice,
}


def create_device(
    profile: Profile | str,
    eui: bytes,
    clock: VirtualClock,
    anchors: TrustAnchors,
    keys: DeviceKeys | None = None,
) -> Device:
    """A commissioned device of ``profile`` (or the generic profile of a kind name), with fresh keys by default."""
    if isinstance(profile, str):
        profile = generic_profile(profile)
    cls = DEVICE_CLASSES[profile.kind]
    return cls(eui, profile, clock, keys or DeviceKeys.generate(), anchors)
