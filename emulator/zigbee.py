"""ZigBee devices (GSME, GPF, PPMID, HCALCS): GBZ and ASN.1 payloads, GBZ alerts.

Their use cases are not implemented yet: every command passes the security checks and is
then logged as not supported (no response, no ECS100: that alert is an ESME use case).
"""

from __future__ import annotations

from .device import Device


class ZigbeeDevice(Device):
    """A GSME, GPF, PPMID or HCALCS."""

    kind = "ZIGBEE"
    __slots__ = ()
