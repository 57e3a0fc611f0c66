"""ZigBee devices (GSME, GPF, PPMID, HCALCS): GBZ and ASN.1 payloads, GBZ alerts.

A ZigBee device carries a ZCL attribute server (:class:`emulator.zcl_model.ZclModel`)
built from its profile on first use; a GPF adds the copy it keeps of its GSME's data
(:mod:`emulator.gpf`).  GBZ use cases run against these (``usecases/gbz_*.py``).
"""

from __future__ import annotations

from typing import Any

from .device import Device
from .zcl_model import ZclModel


class ZigbeeDevice(Device):
    """A GSME, GPF, PPMID or HCALCS."""

    kind = "ZIGBEE"
    __slots__ = ("_zcl", "_mirror", "gbz_state")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._zcl: ZclModel | None = None
        self._mirror: ZclModel | None = None
        self.gbz_state: dict[str, Any] = {}  # use-case state: samples, logs, snapshots ...

    @property
    def zcl(self) -> ZclModel:
        """The device's own attribute server."""
        if self._zcl is None:
            from .gsme import zcl_model_for

            self._zcl = zcl_model_for(self.profile, self.clock.now())
        return self._zcl

    @property
    def mirror(self) -> ZclModel | None:
        """The GSME data a GPF answers reads from (None on other kinds)."""
        if self.profile.kind != "GPF":
            return None
        if self._mirror is None:
            from .gpf import mirror_model_for

            self._mirror = mirror_model_for(self.profile, self.clock.now())
        return self._mirror

    def model_for(self, cluster: int) -> ZclModel:
        """The model serving ``cluster``: a GPF's own clusters, else its GSME copy; the device's own otherwise."""
        mirror = self.mirror
        if mirror is None or any(c == cluster for c, _ in self.zcl.values):
            return self.zcl
        return mirror
