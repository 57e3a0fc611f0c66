"""The emulated Communications Hub Function: a COSEM device (its use cases are DLMS, sent by the ACB)."""

from __future__ import annotations

from .cosem_device import CosemDevice


class Chf(CosemDevice):
    """A CHF; its device log and Sub-GHz state are plain COSEM objects for now."""

    kind = "CHF"
    __slots__ = ()
